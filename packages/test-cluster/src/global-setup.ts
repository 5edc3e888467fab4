/**
 * vitest global setup of the integration project: builds (or reuses) and starts the real control
 * plane once for the whole run, hands its state to the tests, and tears it down afterwards. The
 * cluster also tears itself down if this process dies (--watch-pid), so an interrupted run leaves
 * no processes or ports behind. If it cannot start, the run fails here with the reason: integration
 * tests never skip silently.
 */
import type { TestProject } from "vitest/node";
import { startOwnCluster } from "./own-cluster.ts";

export default async function setup(project: TestProject) {
  const cluster = await startOwnCluster();
  project.provide("cluster", cluster.state);
  return () => cluster.stop();
}
