/** Running commands from tests: their output and exit code, and a one-line reason when they fail. */
import { execFile } from "node:child_process";
import { join } from "node:path";

/** The repository's root. */
export const ROOT = join(import.meta.dirname, "..", "..", "..");

export interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` to completion (never rejects for a non-zero exit: `code` says it). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Output> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : (error as { code?: unknown }).code;
        if (typeof code !== "number") reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs it and returns stdout; a failure rejects with the command, its exit code and its stderr. */
export async function succeed(
  command: string,
  args: readonly string[],
  options: Parameters<typeof run>[2] = {},
): Promise<string> {
  const out = await run(command, args, options);
  if (out.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${out.code}:\n${out.stderr || out.stdout}`);
  }
  return out.stdout;
}
