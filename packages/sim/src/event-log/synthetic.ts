/**
 * A synthetic, deterministic event log for tests and benchmarks: realistic Service/Pod/Node JSON,
 * the four initial lists, then random readiness flaps, pod replacements (DELETED + ADDED under a
 * new name), Service edits, bookmarks and the occasional full Pod relist. Pure: no clock, no I/O;
 * the same options always yield the same lines.
 */
import { LOG_FORMAT, LOG_VERSION, type LoggedKind, type LogHeader, type WatchType } from "./types.ts";

/** mulberry32: a tiny seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticLogOptions {
  /** Services annotated `zen-lead.io/enabled: "true"`, each selecting its own pods. */
  readonly services: number;
  /** Pods per Service (the count stays constant: a deleted pod is replaced at once). */
  readonly podsPerService: number;
  /** Records after the header, initial lists included: the log has `events + 1` lines. */
  readonly events: number;
  readonly seed: number;
}

/** Records the initial lists take (the minimum `events`). */
export function initialListSize(services: number, podsPerService: number): number {
  return 4 * 2 + services + services * podsPerService + NODES.length;
}

/** The recording instant of every synthetic log. */
export const SYNTHETIC_RECORDED_AT = "2025-01-01T00:00:00Z";
const RECORDED_AT_MS = Date.parse(SYNTHETIC_RECORDED_AT);

const NODES = [
  { name: "node-1", zone: "zone-a", ip: "172.18.0.2" },
  { name: "node-2", zone: "zone-b", ip: "172.18.0.3" },
  { name: "node-3", zone: "zone-c", ip: "172.18.0.4" },
] as const;
const NAMESPACES = ["team-a", "team-b", "team-c"] as const;
/** The alphabet Kubernetes uses for generated name suffixes. */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** RFC 3339 at second precision, as metav1.Time is serialized. */
function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

interface ServiceState {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly created: number;
  readonly clusterIP: string;
  readonly replicaSet: string;
  readonly replicaSetUid: string;
  readonly hash: string;
  revision: number;
  resourceVersion: number;
}

interface PodState {
  readonly service: ServiceState;
  readonly name: string;
  readonly uid: string;
  readonly created: number;
  readonly node: (typeof NODES)[number];
  readonly ip: string;
  ready: boolean;
  /** When Ready last changed (epoch ms). */
  readyChanged: number;
  resourceVersion: number;
}

function serviceJson(s: ServiceState): object {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: s.uid,
      resourceVersion: String(s.resourceVersion),
      creationTimestamp: timestamp(s.created),
      labels: { app: s.name, "example.com/revision": String(s.revision) },
      annotations: { "zen-lead.io/enabled": "true" },
    },
    spec: {
      selector: { app: s.name },
      type: "ClusterIP",
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }],
      sessionAffinity: "None",
    },
    status: { loadBalancer: {} },
  };
}

function podJson(p: PodState, deletedAt?: number): object {
  const s = p.service;
  const readyStatus = p.ready ? "True" : "False";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      generateName: `${s.replicaSet}-`,
      namespace: s.namespace,
      uid: p.uid,
      resourceVersion: String(p.resourceVersion),
      creationTimestamp: timestamp(p.created),
      ...(deletedAt === undefined
        ? {}
        : { deletionTimestamp: timestamp(deletedAt), deletionGracePeriodSeconds: 0 }),
      labels: { app: s.name, "pod-template-hash": s.hash },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: s.replicaSet,
          uid: s.replicaSetUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: p.node.name,
      containers: [
        {
          name: "app",
          image: "registry.example.com/app:1.4.2",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        },
      ],
    },
    status: {
      phase: "Running",
      hostIP: p.node.ip,
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: timestamp(p.created) },
        { type: "Ready", status: readyStatus, lastTransitionTime: timestamp(p.readyChanged) },
      ],
    },
  };
}

function nodeJson(node: (typeof NODES)[number], uid: string, resourceVersion: number): object {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      uid,
      resourceVersion: String(resourceVersion),
      creationTimestamp: timestamp(RECORDED_AT_MS - 30 * 86_400_000),
      labels: { "kubernetes.io/hostname": node.name, "topology.kubernetes.io/zone": node.zone },
    },
    status: { addresses: [{ type: "InternalIP", address: node.ip }] },
  };
}

function line(t: number, kind: LoggedKind, type: WatchType, object?: object): string {
  return JSON.stringify(object === undefined ? { t, kind, type } : { t, kind, type, object });
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`syntheticLog: ${name} must be an integer >= 0 (got ${value})`);
  }
}

/** The lines of a valid v1 log (header first), generated lazily. */
export function* syntheticLog(options: SyntheticLogOptions): Generator<string, void, undefined> {
  const { services, podsPerService, events, seed } = options;
  checkCount("services", services);
  checkCount("podsPerService", podsPerService);
  checkCount("events", events);
  const minimum = initialListSize(services, podsPerService);
  if (events < minimum) {
    throw new RangeError(
      `syntheticLog: events must be at least ${minimum}, the size of the initial lists (got ${events})`,
    );
  }

  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const hex8 = () => int(0x100000000).toString(16).padStart(8, "0");
  const uid = () => {
    const a = hex8();
    const b = hex8();
    const c = hex8();
    // RFC 4122 version 4 layout: version nibble 4, variant nibble 8-b.
    const variant = (8 + (int(16) & 3)).toString(16);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${hex8()}`;
  };
  const suffix = (n: number) => {
    let out = "";
    for (let i = 0; i < n; i++) out += SUFFIX_ALPHABET[int(SUFFIX_ALPHABET.length)];
    return out;
  };
  let resourceVersion = 100_000 + int(900_000);
  let ipCounter = (244 << 16) + 2;
  const nextIp = () => {
    if ((ipCounter & 255) === 0) ipCounter++;
    const n = ipCounter++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  };
  const liveNames = new Set<string>();
  const newPod = (service: ServiceState, created: number, ready: boolean, readyChanged: number): PodState => {
    let name: string;
    do name = `${service.replicaSet}-${suffix(5)}`;
    while (liveNames.has(name));
    liveNames.add(name);
    const node = NODES[int(NODES.length)] ?? NODES[0];
    return {
      service,
      name,
      uid: uid(),
      created,
      node,
      ip: nextIp(),
      ready,
      readyChanged,
      resourceVersion: ++resourceVersion,
    };
  };

  const header: LogHeader = {
    format: LOG_FORMAT,
    version: LOG_VERSION,
    recordedAt: SYNTHETIC_RECORDED_AT,
    source: { cluster: "https://synthetic.invalid:6443", namespaces: null, recorder: "zen-lead synthetic" },
  };
  yield JSON.stringify(header);

  const serviceStates: ServiceState[] = [];
  const pods: PodState[] = [];
  for (let i = 0; i < services; i++) {
    const name = `app-${i}`;
    const hash = suffix(10);
    const service: ServiceState = {
      name,
      namespace: NAMESPACES[i % NAMESPACES.length] ?? "default",
      uid: uid(),
      created: RECORDED_AT_MS - 86_400_000 - int(86_400_000),
      clusterIP: `10.96.${(i >> 8) & 255}.${(i & 255) + 1}`,
      replicaSet: `${name}-${hash}`,
      replicaSetUid: uid(),
      hash,
      revision: 1,
      resourceVersion: ++resourceVersion,
    };
    serviceStates.push(service);
    for (let j = 0; j < podsPerService; j++) {
      const created = RECORDED_AT_MS - 3_600_000 - int(3_600_000);
      pods.push(newPod(service, created, true, created + 2000 + int(8000)));
    }
  }

  let t = 0;
  let remaining = events - minimum;
  yield line(t, "Service", "RELIST_START");
  for (const s of serviceStates) yield line(t, "Service", "ADDED", serviceJson(s));
  yield line(t, "Service", "RELIST_END", { metadata: { resourceVersion: String(resourceVersion) } });
  yield line(t, "Pod", "RELIST_START");
  for (const p of pods) yield line(t, "Pod", "ADDED", podJson(p));
  yield line(t, "Pod", "RELIST_END", { metadata: { resourceVersion: String(resourceVersion) } });
  yield line(t, "EndpointSlice", "RELIST_START");
  yield line(t, "EndpointSlice", "RELIST_END", { metadata: { resourceVersion: String(resourceVersion) } });
  yield line(t, "Node", "RELIST_START");
  for (const node of NODES) yield line(t, "Node", "ADDED", nodeJson(node, uid(), ++resourceVersion));
  yield line(t, "Node", "RELIST_END", { metadata: { resourceVersion: String(resourceVersion) } });

  // About 5% of the records after the lists belong to full Pod relists.
  const relistChance = 1 / (20 * (pods.length + 2));
  while (remaining > 0) {
    t += int(20);
    const now = RECORDED_AT_MS + t;
    const roll = random();
    if (pods.length > 0 && remaining >= pods.length + 2 && random() < relistChance) {
      yield line(t, "Pod", "RELIST_START");
      for (const p of pods) yield line(t, "Pod", "ADDED", podJson(p));
      yield line(t, "Pod", "RELIST_END", { metadata: { resourceVersion: String(resourceVersion) } });
      remaining -= pods.length + 2;
    } else if (pods.length > 0 && roll < 0.75) {
      // A readiness flap.
      const p = pods[int(pods.length)] as PodState;
      p.ready = !p.ready;
      p.readyChanged = now;
      p.resourceVersion = ++resourceVersion;
      yield line(t, "Pod", "MODIFIED", podJson(p));
      remaining -= 1;
    } else if (pods.length > 0 && roll < 0.87 && remaining >= 2) {
      // A pod deleted and replaced by its ReplicaSet; the new one starts not Ready.
      const index = int(pods.length);
      const old = pods[index] as PodState;
      old.resourceVersion = ++resourceVersion;
      yield line(t, "Pod", "DELETED", podJson(old, now));
      liveNames.delete(old.name);
      const replacement = newPod(old.service, now, false, now);
      pods[index] = replacement;
      yield line(t, "Pod", "ADDED", podJson(replacement));
      remaining -= 2;
    } else if (serviceStates.length > 0 && roll < 0.95) {
      const s = serviceStates[int(serviceStates.length)] as ServiceState;
      s.revision++;
      s.resourceVersion = ++resourceVersion;
      yield line(t, "Service", "MODIFIED", serviceJson(s));
      remaining -= 1;
    } else {
      yield line(t, "Pod", "BOOKMARK", { metadata: { resourceVersion: String(resourceVersion) } });
      remaining -= 1;
    }
  }
}
