/**
 * vitest global setup of the integration project: builds (or reuses) and starts the real control
 * plane once for the whole run, hands its state to the tests, and tears it down afterwards. The
 * cluster also tears itself down if this process dies (--watch-pid), so an interrupted run leaves
 * no processes or ports behind. If it cannot start, the run fails here with the reason: integration
 * tests never skip silently.
 */
import type { TestProject } from "vitest/node";
import { clusterDown, clusterUp } from "./lifecycle.ts";

export default async function setup(project: TestProject) {
  const { statePath, state } = await clusterUp([
    "--watch-pid",
    String(process.pid),
    "--manual-nodes",
    "1",
  ]).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}: the control plane did not start`,
    );
  });
  project.provide("cluster", state);
  return async () => {
    await clusterDown(statePath);
  };
}
