/**
 * zen-lead's objects in the workload's namespaces — its leader Services and their slices — counted
 * and deleted, so that each adoption starts from a cluster without them.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { figures, pool } from "@zen-lead/test-cluster/figures";
import { type Page, retry } from "./api.ts";

const { log } = figures("scale");

/** zen-lead's EndpointSlices. */
export const LEADER_SLICE_SELECTOR = "endpointslice.kubernetes.io/managed-by=controller.zen-lead.io";
/** zen-lead's leader Services. */
const LEADER_SERVICE_SELECTOR = "app.kubernetes.io/managed-by=zen-lead";

/** zen-lead's leader Services and slices in `namespaces`. */
async function leaderObjects(kc: KubeConfig, namespaces: readonly string[]): Promise<number> {
  let count = 0;
  for (const ns of namespaces) {
    for (const [path, labelSelector] of [
      [`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, LEADER_SLICE_SELECTOR],
      [`/api/v1/namespaces/${ns}/services`, LEADER_SERVICE_SELECTOR],
    ] as const) {
      const list = (await retry(() => request(kc, "GET", path, { query: { labelSelector } }))) as Page;
      count += list.items?.length ?? 0;
    }
  }
  return count;
}

async function deleteLeaderObjectsOnce(kc: KubeConfig, namespaces: readonly string[]): Promise<void> {
  for (const ns of namespaces) {
    await retry(() =>
      request(kc, "DELETE", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
        query: { labelSelector: LEADER_SLICE_SELECTOR },
      }),
    );
    const list = (await request(kc, "GET", `/api/v1/namespaces/${ns}/services`, {
      query: { labelSelector: LEADER_SERVICE_SELECTOR },
    })) as Page;
    const names = ((list.items ?? []) as { metadata: { name: string } }[]).map((s) => s.metadata.name);
    await pool(names, 32, async (name) => {
      await retry(() => request(kc, "DELETE", `/api/v1/namespaces/${ns}/services/${name}`)).catch(
        () => undefined,
      );
    });
  }
}

/** Deletes zen-lead's leader Services and slices in `namespaces` until none is left (10 rounds at most). */
export async function deleteLeaderObjects(kc: KubeConfig, namespaces: readonly string[]): Promise<void> {
  for (let round = 1; ; round++) {
    await deleteLeaderObjectsOnce(kc, namespaces);
    const left = await leaderObjects(kc, namespaces);
    if (left === 0) return;
    if (round >= 10) throw new Error(`${left} leader objects still there after 10 rounds of deletes`);
    log(`${left} leader objects left after a round of deletes; again`);
  }
}
