/** What `zen-lead run`'s JSON log says about its own start, as the image's test and bench read it. */

/**
 * The port of /healthz and /readyz from the "zen-lead started" line (it listens on the port asked
 * for; with port 0, one the system chose), or undefined while that line has not come.
 */
export function healthPort(output: string): number | undefined {
  const line = output.split("\n").find((l) => l.includes('"msg":"zen-lead started"'));
  if (line === undefined) return undefined;
  return (JSON.parse(line) as { healthAddr?: { port?: number } }).healthAddr?.port;
}

/** Whether /readyz on 127.0.0.1:`port` answers 200 (every watch synced); false when it cannot connect. */
export async function isReady(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}
