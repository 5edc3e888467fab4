/**
 * The fault suite's workload: opted-in Services, each with bare pods bound to the cluster's manual
 * node (no kubelet there), whose status the suite writes itself as a kubelet would — so it decides
 * exactly when a leader turns NotReady. Writes go through the adapter's pooled `request()`: the
 * load phase writes 50 statuses a second.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";

export interface WorkloadOptions {
  readonly namespace: string;
  readonly services: number;
  readonly podsPerService: number;
  /** The node the pods are bound to (nobody else writes their status). */
  readonly node: string;
  /** Third octet block for pod IPs (10.<block>.x.y), distinct per workload. */
  readonly ipBlock: number;
  /** Requests in flight while creating. Default 16. */
  readonly concurrency?: number;
}

export interface Workload {
  readonly namespace: string;
  /** Source Service names. */
  readonly services: readonly string[];
  /** Pod names of a Service. */
  podsOf(service: string): readonly string[];
  /** Whether the suite last wrote (or is writing) the pod Ready. */
  isReady(pod: string): boolean;
  /** Writes the pod's status: Running with its IP, Ready or not. */
  setReady(pod: string, ready: boolean): Promise<void>;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Retries a request until it succeeds or `timeoutMs` passes: the API server may be busy, or just back. */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function createWorkload(kc: KubeConfig, options: WorkloadOptions): Promise<Workload> {
  const { namespace, node } = options;
  const concurrency = options.concurrency ?? 16;
  const services = Array.from({ length: options.services }, (_, i) => `svc-${i}`);
  const pods = new Map<string, string[]>();
  const ips = new Map<string, string>();
  const ready = new Map<string, boolean>();
  let n = 0;
  for (const svc of services) {
    const names = Array.from({ length: options.podsPerService }, (_, j) => `${svc}-pod-${j}`);
    pods.set(svc, names);
    for (const pod of names) {
      ips.set(pod, `10.${options.ipBlock}.${n >> 8}.${n & 255}`);
      n++;
    }
  }
  const allPods = [...pods.values()].flat();

  await retrying(() =>
    request(kc, "POST", "/api/v1/namespaces", { body: { metadata: { name: namespace } } }).catch(
      (error: unknown) => {
        if ((error as { status?: number }).status !== 409) throw error;
      },
    ),
  );
  await inPool(services, concurrency, (svc) =>
    retrying(() =>
      request(kc, "POST", `/api/v1/namespaces/${namespace}/services`, {
        body: {
          metadata: { name: svc, annotations: { "zen-lead.io/enabled": "true" } },
          spec: { selector: { app: svc }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
        },
      }),
    ).then(() => undefined),
  );
  await inPool(allPods, concurrency, (pod) =>
    retrying(() =>
      request(kc, "POST", `/api/v1/namespaces/${namespace}/pods`, {
        body: {
          metadata: { name: pod, labels: { app: pod.slice(0, pod.indexOf("-pod-")) } },
          spec: {
            nodeName: node,
            containers: [{ name: "app", image: "app:1", ports: [{ containerPort: 8080 }] }],
          },
        },
      }),
    ).then(() => undefined),
  );

  const setReady = async (pod: string, value: boolean) => {
    const ip = ips.get(pod) ?? "";
    // Recorded before the write, so that concurrent writers see the intent (the load phase keeps a
    // Ready pod in every Service by asking isReady); undone if the write fails.
    const before = ready.get(pod);
    ready.set(pod, value);
    await request(kc, "PATCH", `/api/v1/namespaces/${namespace}/pods/${pod}/status`, {
      contentType: "application/merge-patch+json",
      body: {
        status: {
          phase: "Running",
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [
            { type: "Ready", status: value ? "True" : "False", lastTransitionTime: new Date().toISOString() },
          ],
        },
      },
    }).catch((error: unknown) => {
      if (before === undefined) ready.delete(pod);
      else ready.set(pod, before);
      throw error;
    });
  };
  await inPool(allPods, concurrency, (pod) => retrying(() => setReady(pod, true)));

  return {
    namespace,
    services,
    podsOf: (service) => pods.get(service) ?? [],
    isReady: (pod) => ready.get(pod) === true,
    setReady,
  };
}
