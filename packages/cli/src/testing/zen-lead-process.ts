/**
 * `zen-lead run` for the CLI's integration tests: the shared process helper
 * (@zen-lead/test-cluster/zen-lead-process) on the test cluster, one namespace, one identity.
 */
import { clusterState } from "@zen-lead/test-cluster";
import { SOURCE_MAIN, spawnZenLead, type ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";

export type { ZenLeadProcess };

/** The CLI's entry point (run with the same Node as the tests). */
export const MAIN = SOURCE_MAIN;

/** Starts `zen-lead run --namespace NS --lease-namespace NS --identity ID ...extra` on the test cluster. */
export function startZenLead(
  namespace: string,
  identity: string,
  extra: readonly string[] = [],
): Promise<ZenLeadProcess> {
  const args = ["--namespace", namespace, "--lease-namespace", namespace, "--identity", identity, ...extra];
  return spawnZenLead({ kubeconfig: clusterState().kubeconfig, args });
}
