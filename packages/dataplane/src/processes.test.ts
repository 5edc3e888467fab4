/**
 * The pod's server and the node's client as plain processes (no namespaces): what answers, what a
 * refused connection looks like, and the drain after SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { httpUrl, type ProbeResult, tally } from "./probe.ts";

const dir = join(import.meta.dirname, "processes");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function start(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [join(dir, script), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.push(child);
  return child;
}

const firstLine = (child: ChildProcess) =>
  new Promise<string>((resolve) =>
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve),
  );

async function probeOnce(url: string, count = 1): Promise<ProbeResult[]> {
  const child = start("prober.ts", ["--target", url, "--count", String(count), "--interval", "5"]);
  const results: ProbeResult[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (l) =>
    results.push(JSON.parse(l)),
  );
  await new Promise((resolve) => child.once("close", resolve));
  return results;
}

describe("pod-server and prober", () => {
  it("the server answers its pod name on every port, over IPv4 and IPv6", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const server = start("pod-server.ts", ["--name", "web-0", "--port", String(a), "--port", String(b)]);
    expect(await firstLine(server)).toBe("listening");
    const results = [
      ...(await probeOnce(httpUrl("127.0.0.1", a), 2)),
      ...(await probeOnce(httpUrl("::1", b), 2)),
    ];
    expect(tally(results)).toEqual({ "web-0": 4 });
    expect(results[0]).toMatchObject({ target: `http://127.0.0.1:${a}/`, error: null });
    expect(results[2]?.target).toBe(`http://[::1]:${b}/`);
  });

  it("the prober reports a refused connection as an error, not an answer", async () => {
    const [r] = await probeOnce(httpUrl("127.0.0.1", await freePort()));
    expect(r).toMatchObject({ answer: null, error: "ECONNREFUSED" });
    expect(r?.at).toBeGreaterThan(Date.parse("2020-01-01"));
  });

  it("after SIGTERM the server keeps answering for DRAIN_MS, then exits", async () => {
    const port = await freePort();
    const server = start("pod-server.ts", ["--name", "web-1", "--port", String(port)], { DRAIN_MS: "1500" });
    expect(await firstLine(server)).toBe("listening");
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    expect(tally(await probeOnce(httpUrl("127.0.0.1", port)))).toEqual({ "web-1": 1 });
    expect(await exited).toBe(0);
    expect(tally(await probeOnce(httpUrl("127.0.0.1", port)))).toEqual({ "error: ECONNREFUSED": 1 });
  });

  it("the server refuses bad arguments with exit code 2", async () => {
    const server = start("pod-server.ts", ["--name", "x", "--port", "99999"]);
    expect(await new Promise((resolve) => server.once("exit", resolve))).toBe(2);
  });
});
