/**
 * Builders of API JSON for tests, the simulator and benchmarks: objects as the API server returns
 * them (defaults filled in), so tests exercise decoding too. Times are seconds from the epoch.
 */
import { formatTimestamp } from "../time.ts";

export interface PodSpec {
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly uid?: string;
  /** creationTimestamp, seconds. */
  readonly created?: number;
  readonly phase?: string;
  readonly ready?: boolean;
  /** Ready condition's lastTransitionTime, seconds (default: created). */
  readonly readySince?: number;
  readonly ips?: readonly string[];
  /** deletionTimestamp, seconds. */
  readonly deleting?: number;
  readonly node?: string;
  readonly containerPorts?: readonly { name?: string; containerPort: number; protocol?: string }[];
}

export function podJson(name: string, spec: PodSpec = {}): Record<string, unknown> {
  const created = spec.created ?? 0;
  const ready = spec.ready ?? true;
  const ips = spec.ips ?? ["10.0.0.1"];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: spec.namespace ?? "default",
      uid: spec.uid ?? `uid-${spec.namespace ?? "default"}-${name}`,
      labels: spec.labels ?? { app: "web" },
      creationTimestamp: formatTimestamp(created * 1000),
      ...(spec.deleting !== undefined ? { deletionTimestamp: formatTimestamp(spec.deleting * 1000) } : {}),
    },
    spec: {
      ...(spec.node !== undefined ? { nodeName: spec.node } : { nodeName: "node-a" }),
      containers: [{ name: "main", image: "app", ports: spec.containerPorts ?? [] }],
    },
    status: {
      phase: spec.phase ?? "Running",
      conditions: [
        {
          type: "Ready",
          status: ready ? "True" : "False",
          lastTransitionTime: formatTimestamp((spec.readySince ?? created) * 1000),
        },
      ],
      ...(ips.length > 0 ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
    },
  };
}

export interface ServiceSpec {
  readonly namespace?: string;
  readonly uid?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly selector?: Record<string, string> | null;
  readonly type?: string;
  readonly clusterIP?: string;
  readonly ipFamilies?: readonly string[];
  readonly ports?: readonly Record<string, unknown>[];
  readonly ownerReferences?: readonly Record<string, unknown>[];
}

/** An opted-in Service by default (`zen-lead.io/enabled: "true"`, selector app=web, port 80->8080). */
export function serviceJson(name: string, spec: ServiceSpec = {}): Record<string, unknown> {
  const ports = spec.ports ?? [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: spec.namespace ?? "default",
      uid: spec.uid ?? `uid-svc-${spec.namespace ?? "default"}-${name}`,
      annotations: spec.annotations ?? { "zen-lead.io/enabled": "true" },
      ...(spec.labels !== undefined ? { labels: spec.labels } : {}),
      ...(spec.ownerReferences !== undefined ? { ownerReferences: spec.ownerReferences } : {}),
      creationTimestamp: formatTimestamp(0),
    },
    spec: {
      ...(spec.selector !== null ? { selector: spec.selector ?? { app: "web" } } : {}),
      type: spec.type ?? "ClusterIP",
      clusterIP: spec.clusterIP ?? "10.96.0.10",
      ipFamilies: spec.ipFamilies ?? ["IPv4"],
      ipFamilyPolicy: (spec.ipFamilies?.length ?? 1) > 1 ? "RequireDualStack" : "SingleStack",
      ports,
    },
  };
}

export function nodeJson(name: string, zone?: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `uid-node-${name}`, labels: zone ? { "topology.kubernetes.io/zone": zone } : {} },
  };
}

export interface SliceSpec {
  readonly namespace?: string;
  /** The source named by the `zen-lead.io/source-service` label (default "web"). */
  readonly source?: string;
  /** The ownerReference (default: a controller reference to Service `web`); null for none. */
  readonly owner?: { readonly name: string; readonly uid: string; readonly controller?: boolean } | null;
  /** `app.kubernetes.io/managed-by` (default "zen-lead"); null to leave it out. */
  readonly managedBy?: string | null;
  readonly endpoints?: readonly Record<string, unknown>[];
}

/** An EndpointSlice as zen-lead writes them for its leader Services, by default for `web`. */
export function sliceJson(name: string, spec: SliceSpec = {}): Record<string, unknown> {
  const namespace = spec.namespace ?? "default";
  const source = spec.source ?? "web";
  const owner =
    spec.owner === undefined
      ? { name: "web", uid: `uid-svc-${namespace}-web`, controller: true }
      : spec.owner;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace,
      uid: `uid-slice-${namespace}-${name}`,
      labels: {
        ...(spec.managedBy !== null ? { "app.kubernetes.io/managed-by": spec.managedBy ?? "zen-lead" } : {}),
        "zen-lead.io/source-service": source,
        "kubernetes.io/service-name": name.replace(/-ipv[46]$/, ""),
        "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
      },
      ...(owner !== null
        ? {
            ownerReferences: [
              {
                apiVersion: "v1",
                kind: "Service",
                name: owner.name,
                uid: owner.uid,
                controller: owner.controller ?? true,
              },
            ],
          }
        : {}),
    },
    addressType: "IPv4",
    endpoints: spec.endpoints ?? [],
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
  };
}
