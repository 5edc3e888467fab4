/**
 * The workload the data-plane tests and benchmark run: a Deployment on a data-plane node whose
 * pods answer their name on container port "http", behind a Service zen-lead leads — and what a
 * user reads back: who leads, and where to send requests.
 */
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1Service,
} from "@kubernetes/client-node";
import { ANNOTATIONS } from "@zen-lead/core";
import type { DataplaneNode } from "./node.ts";
import { httpUrl } from "./probe.ts";

/** The Service's port; the pods' server listens on the container port "http" (8080). */
export const SERVICE_PORT = 80;
const CONTAINER_PORT = 8080;

export interface AppOptions {
  /** Default 3. */
  readonly replicas?: number;
  /** Environment of the pods' process (e.g. DRAIN_MS: how long it keeps serving after SIGTERM). */
  readonly env?: Readonly<Record<string, string>>;
  /** The source Service's `ipFamilyPolicy` (default: the cluster's, SingleStack IPv4). */
  readonly ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  /** Create the Service annotated zen-lead.io/enabled (default true); false: the Deployment only. */
  readonly service?: boolean;
}

/** Deployment `name` (label app=NAME, pods on the node) and Service `name` annotated zen-lead.io/enabled. */
export async function deployApp(
  kc: KubeConfig,
  node: DataplaneNode,
  namespace: string,
  name: string,
  options: AppOptions = {},
): Promise<void> {
  const labels = { app: name };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: options.replicas ?? 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...node.placement,
            containers: [
              {
                name: "app",
                image: "registry.invalid/answers-its-name:1",
                ports: [{ name: "http", containerPort: CONTAINER_PORT }],
                env: Object.entries(options.env ?? {}).map(([k, value]) => ({ name: k, value })),
              },
            ],
          },
        },
      },
    },
  });
  if (options.service === false) return;
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: {
      metadata: { name, annotations: { [ANNOTATIONS.enabled]: "true" } },
      spec: {
        selector: labels,
        ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http" }],
        ...(options.ipFamilyPolicy !== undefined ? { ipFamilyPolicy: options.ipFamilyPolicy } : {}),
      },
    },
  });
}

/** One URL per cluster IP of the Service (both families for a dual-stack one). */
export function serviceUrls(service: V1Service): string[] {
  return (service.spec?.clusterIPs ?? []).map((ip) => httpUrl(ip, SERVICE_PORT));
}

/**
 * The leader of `<name>-leader` if its Service's annotation and every one of its slices (one per
 * family) name the same pod; else undefined (no leader yet, or a change half seen).
 */
export async function agreedLeader(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  const service = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedService({ namespace, name: `${name}-leader` });
  const pod = service.metadata?.annotations?.[ANNOTATIONS.leaderPod];
  if (pod === undefined) return undefined;
  const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${name}-leader`,
  });
  const named = slices.items.map((s) => s.endpoints?.[0]?.targetRef?.name);
  const families = service.spec?.ipFamilies ?? [];
  return named.length === families.length && named.every((n) => n === pod) ? pod : undefined;
}
