/**
 * The control plane's scripts (tools/cluster: build.sh, up.sh, down.sh), run from Node: the vitest
 * global setup, benchmarks and the demo start and stop clusters through these. No vitest here.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterState } from "./state.ts";

const ROOT = join(import.meta.dirname, "../../..");

/**
 * Runs `tools/cluster/SCRIPT ARGS`: its progress (stderr) goes to this process's stderr, its
 * stdout's last line is the answer (build.sh: the bin dir; up.sh: the state file). Rejects with one
 * line: "interrupted" for exit code 130 or SIGINT, else the exit code.
 */
export function clusterScript(
  script: "build.sh" | "up.sh" | "down.sh",
  args: readonly string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "tools/cluster", script), args, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(out.trim().split("\n").at(-1) ?? "");
      else if (code === 130 || signal === "SIGINT") reject(new Error(`tools/cluster/${script} interrupted`));
      else reject(new Error(`tools/cluster/${script} exited with ${code ?? signal} (see the lines above)`));
    });
  });
}

/** Starts a control plane (up.sh with `args`); resolves with its state file's path and contents. */
export async function clusterUp(
  args: readonly string[] = [],
): Promise<{ statePath: string; state: ClusterState }> {
  const statePath = await clusterScript("up.sh", args);
  return { statePath, state: JSON.parse(readFileSync(statePath, "utf8")) as ClusterState };
}

/** Stops the control plane of that state file (down.sh; idempotent). */
export async function clusterDown(statePath: string): Promise<void> {
  await clusterScript("down.sh", [statePath]);
}
