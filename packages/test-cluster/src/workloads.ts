/** Workloads for integration tests: a Deployment on kwok's nodes, and its pods as a user sees them. */
import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { clusterConfig } from "./cluster.ts";

/** Running, Ready, with an IP: what a readiness probe that passes looks like. */
export function isPodReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === "Running" &&
    pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true &&
    (pod.status.podIP ?? "") !== ""
  );
}

/** Ready pods matching the selector that are not being deleted. */
export async function readyPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
  const list = await clusterConfig().makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined && isPodReady(p));
}

/** A Deployment whose pods kwok runs: they become Running and Ready with IPs on their own. */
export async function createDeployment(
  namespace: string,
  name: string,
  replicas: number,
  labels: Record<string, string>,
): Promise<void> {
  await clusterConfig()
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                { name: "app", image: `${name}:1`, ports: [{ name: "http", containerPort: 8080 }] },
              ],
            },
          },
        },
      },
    });
}
