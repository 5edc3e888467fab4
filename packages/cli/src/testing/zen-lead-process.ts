/**
 * `zen-lead run` for the CLI's integration tests: the shared process helper
 * (@zen-lead/test-cluster/zen-lead-process) on the test cluster, one namespace, one identity.
 */
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { clusterConfig, clusterState } from "@zen-lead/test-cluster";
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

/** Short Lease timings for hand-over tests: the Lease expires 4 s after the holder's last renewal. */
export const SHORT_LEASE: readonly string[] = [
  "--lease-duration",
  "4s",
  "--renew-deadline",
  "3s",
  "--retry-period",
  "500ms",
];

/** The pod the leader slice `slice` (default `web-leader-ipv4`) in `namespace` names, if any. */
export async function sliceLeader(namespace: string, slice = "web-leader-ipv4"): Promise<string | undefined> {
  const found = await clusterConfig()
    .makeApiClient(DiscoveryV1Api)
    .readNamespacedEndpointSlice({ namespace, name: slice })
    .catch(() => undefined);
  return found?.endpoints?.[0]?.targetRef?.name;
}
