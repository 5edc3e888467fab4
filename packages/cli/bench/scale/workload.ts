/**
 * The scale bench's workload: `services` Services annotated `zen-lead.io/enabled`, spread over
 * `namespaces` namespaces, each with `podsPerService` realistic pods (realistic-pod.ts) bound to
 * kwok's nodes, which kwok makes Running and Ready. Creating it again on a kept cluster finds what
 * is there.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { figures, pool } from "@zen-lead/test-cluster/figures";
import { sleep } from "@zen-lead/test-cluster/wait";
import { podManifest } from "../realistic-pod.ts";
import { ensure, listPages } from "./api.ts";
import type { ScaleOptions } from "./options.ts";

const { log } = figures("scale");

/** The built-in EndpointSlice controller's slices. */
const BUILTIN_SELECTOR = "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io";

/** Names in the workload: Service `i` is `s<i>` in namespace `scale-<i mod namespaces>`, its pods `s<i>-<j>`. */
export interface WorkloadNames {
  namespace(i: number): string;
  service(i: number): string;
  pod(i: number, j: number): string;
}

export function workloadNames(options: Pick<ScaleOptions, "namespaces">): WorkloadNames {
  return {
    namespace: (i) => `scale-${i % options.namespaces}`,
    service: (i) => `s${i}`,
    pod: (i, j) => `s${i}-${j}`,
  };
}

/** Every namespace of the workload, `scale-0` .. `scale-<namespaces - 1>`. */
export const workloadNamespaces = (options: Pick<ScaleOptions, "namespaces">): string[] =>
  Array.from({ length: options.namespaces }, (_, n) => `scale-${n}`);

function serviceBody(name: string, i: number) {
  return {
    metadata: {
      name,
      labels: { app: name, team: `team-${i % 17}`, "app.kubernetes.io/part-of": "scale-bench" },
      annotations: { "zen-lead.io/enabled": "true" },
    },
    spec: {
      selector: { app: name },
      ports: [
        { name: "http", port: 80, targetPort: "http" },
        { name: "metrics", port: 9090, targetPort: 9090 },
      ],
    },
  };
}

/** Creates the namespaces, Services and pods (16 Services at a time), pods round robin over `nodes`. */
export async function createWorkload(
  kc: KubeConfig,
  options: ScaleOptions,
  nodes: readonly string[],
): Promise<void> {
  const names = workloadNames(options);
  for (const ns of workloadNamespaces(options))
    await ensure(kc, "/api/v1/namespaces", { metadata: { name: ns } });
  const indexes = Array.from({ length: options.services }, (_, i) => i);
  const perService = options.podsPerService;
  let done = 0;
  await pool(indexes, 16, async (i) => {
    const app = names.service(i);
    await ensure(kc, `/api/v1/namespaces/${names.namespace(i)}/services`, serviceBody(app, i));
    for (let j = 0; j < perService; j++) {
      const node = nodes[(i * perService + j) % nodes.length] as string;
      const pod = podManifest({ app, name: names.pod(i, j), node, team: i % 17 });
      await ensure(kc, `/api/v1/namespaces/${names.namespace(i)}/pods`, pod);
    }
    if (++done % 200 === 0) log(`created ${done}/${options.services} Services with ${perService} pods each`);
  });
}

/** Ready endpoints in the built-in controller's slices (every pod of the workload, once settled). */
async function builtinReadyEndpoints(kc: KubeConfig): Promise<number> {
  let ready = 0;
  await listPages(kc, "/apis/discovery.k8s.io/v1/endpointslices", BUILTIN_SELECTOR, (page) => {
    for (const s of (page.items ?? []) as { endpoints?: { conditions?: { ready?: boolean } }[] }[])
      for (const e of s.endpoints ?? []) if (e.conditions?.ready === true) ready++;
  });
  return ready;
}

/** Waits (polling every 5 s) until the built-in slices hold `pods` ready endpoints. */
export async function workloadSettled(kc: KubeConfig, pods: number): Promise<void> {
  for (let last = -1; ; ) {
    const ready = await builtinReadyEndpoints(kc);
    if (ready >= pods) return;
    if (ready !== last) log(`${ready}/${pods} pods Ready in the built-in EndpointSlices`);
    last = ready;
    await sleep(5000);
  }
}
