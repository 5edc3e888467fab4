/**
 * vitest global setup of the integration project: builds (or reuses) and starts the real control
 * plane once for the whole run, hands its state to the tests, and tears it down afterwards. The
 * cluster also tears itself down if this process dies (--watch-pid), so an interrupted run leaves
 * no processes or ports behind. If it cannot start, the run fails here with the reason: integration
 * tests never skip silently.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type { ClusterState } from "./state.ts";

const root = join(import.meta.dirname, "../../..");

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // Progress (the first build takes minutes) goes straight to the terminal; stdout is the answer.
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(out.trim());
      else
        reject(
          new Error(`${command} exited with ${code}: the control plane did not start (see the lines above)`),
        );
    });
  });
}

export default async function setup(project: TestProject) {
  const statePath = (
    await run(join(root, "tools/cluster/up.sh"), ["--watch-pid", String(process.pid), "--manual-nodes", "1"])
  )
    .split("\n")
    .pop() as string;
  const state = JSON.parse(readFileSync(statePath, "utf8")) as ClusterState;
  project.provide("cluster", state);
  return async () => {
    await run(join(root, "tools/cluster/down.sh"), [statePath]);
  };
}
