/** Helpers for integration tests on the real control plane started by the global setup. */

export { clusterConfig, clusterState, testNamespace } from "./cluster.ts";
export { type DocKubectlOptions, type DocKubectlRun, docCommands, runDocKubectl } from "./doc-commands.ts";
export type { ClusterState } from "./state.ts";
export { waitFor } from "./wait.ts";
export { createDeployment, isPodReady, readyPods } from "./workloads.ts";
