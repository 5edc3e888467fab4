/**
 * API JSON for the objects a scenario puts in the cluster, shaped as the API server returns them
 * (defaults filled in, status written by the kubelet), so the simulator exercises decoding too.
 */
import { formatTimestamp } from "@zen-lead/core";
import type { ApiObject } from "../model.ts";
import type { ContainerPortSpec, NodeSpec, ServiceSpec } from "./spec.ts";

/** metav1.Time has second precision on the wire. */
const time = (epochMs: number) => formatTimestamp(Math.floor(epochMs / 1000) * 1000);

/** A Node as the world model keeps it. */
export interface NodeObject {
  readonly spec: NodeSpec;
  /** Its position among the nodes: its InternalIP is derived from it (172.18.x.y). */
  readonly index: number;
  readonly uid: string;
  /** Epoch ms. */
  readonly createdMs: number;
}

/** The Node's JSON: Ready, with its zone label; `unschedulable` (cordoned) adds the taint. */
export function nodeObject(n: NodeObject, unschedulable = false): ApiObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: n.spec.name,
      uid: n.uid,
      creationTimestamp: time(n.createdMs),
      labels: {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.spec.name,
        "kubernetes.io/os": "linux",
        ...(n.spec.zone !== undefined ? { "topology.kubernetes.io/zone": n.spec.zone } : {}),
      },
    },
    spec: unschedulable
      ? {
          unschedulable: true,
          taints: [
            { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: time(n.createdMs) },
          ],
        }
      : {},
    status: {
      addresses: [
        { type: "InternalIP", address: `172.18.${Math.floor(n.index / 250)}.${(n.index % 250) + 2}` },
        { type: "Hostname", address: n.spec.name },
      ],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
    },
  };
}

/** A pod as the world model keeps it (times in epoch ms). */
export interface PodObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Absent: not scheduled (Pending, no node fits). */
  readonly node?: string;
  readonly hostIP?: string;
  readonly ips: readonly string[];
  readonly createdMs: number;
  readonly containerPorts: readonly ContainerPortSpec[];
  readonly terminationGraceMs: number;
  /** Its ReplicaSet (a Deployment's pod); absent for a bare pod. */
  readonly owner?: { readonly name: string; readonly uid: string };
  readonly generateName?: string;
  /** Its phase once scheduled (`Running`, `Succeeded`...). */
  readonly phase: string;
}

/**
 * The pod's JSON with the kubelet's status: its Ready and ContainersReady conditions `ready`,
 * last changed at `readyChangedMs` (epoch ms, written with second precision); a pod with no node
 * is Pending and Unschedulable.
 */
export function podObject(p: PodObject, ready: boolean, readyChangedMs: number): ApiObject {
  const scheduled = p.node !== undefined;
  const running = scheduled && p.phase === "Running";
  const status = ready ? "True" : "False";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      ...(p.generateName !== undefined ? { generateName: p.generateName } : {}),
      namespace: p.namespace,
      uid: p.uid,
      creationTimestamp: time(p.createdMs),
      labels: { ...p.labels },
      ...(p.owner !== undefined
        ? {
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name: p.owner.name,
                uid: p.owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(scheduled ? { nodeName: p.node } : {}),
      containers: [
        {
          name: "app",
          image: `registry.example.com/${p.owner?.name ?? p.name}:1.0.0`,
          ports: p.containerPorts.map((c) => ({ ...c })),
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: Math.round(p.terminationGraceMs / 1000),
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
    },
    status: scheduled
      ? {
          phase: p.phase,
          ...(p.hostIP !== undefined ? { hostIP: p.hostIP } : {}),
          ...(running && p.ips.length > 0 ? { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) } : {}),
          startTime: time(p.createdMs),
          conditions: [
            { type: "Initialized", status: "True", lastTransitionTime: time(p.createdMs) },
            { type: "Ready", status, lastTransitionTime: time(readyChangedMs) },
            { type: "ContainersReady", status, lastTransitionTime: time(readyChangedMs) },
            { type: "PodScheduled", status: "True", lastTransitionTime: time(p.createdMs) },
          ],
        }
      : {
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: "0/1 nodes are available: 1 node(s) were unschedulable.",
              lastTransitionTime: time(p.createdMs),
            },
          ],
        },
  };
}

/** A Service as the world model keeps it. */
export interface ServiceObject {
  readonly spec: ServiceSpec;
  readonly uid: string;
  /** Its position among the Services: its ClusterIPs are derived from it. */
  readonly index: number;
  /** Epoch ms. */
  readonly createdMs: number;
  /** Node ports given to NodePort/LoadBalancer ports without one, in port order. */
  readonly nodePorts: readonly number[];
}

/** The Service's JSON with `annotations` (templates already replaced), as the API server defaults it. */
export function serviceObject(s: ServiceObject, annotations: Readonly<Record<string, string>>): ApiObject {
  const { spec } = s;
  const n = s.index + 10;
  const clusterIPs = spec.headless
    ? ["None"]
    : spec.ipFamilies.map((f) =>
        f === "IPv4" ? `10.96.${Math.floor(n / 250)}.${n % 250}` : `fd00:10:96::${n.toString(16)}`,
      );
  const withNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  const ports = spec.ports.map((p, i) => ({
    ...(p.name !== undefined ? { name: p.name } : {}),
    protocol: p.protocol,
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    port: p.port,
    targetPort: p.targetPort,
    ...(withNodePorts ? { nodePort: p.nodePort ?? s.nodePorts[i] } : {}),
  }));
  const metadata = {
    name: spec.name,
    namespace: spec.namespace,
    uid: s.uid,
    creationTimestamp: time(s.createdMs),
    ...(Object.keys(spec.labels).length > 0 ? { labels: { ...spec.labels } } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
  };
  if (spec.type === "ExternalName") {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata,
      spec: {
        type: "ExternalName",
        externalName: spec.externalName,
        ...(spec.selector !== undefined ? { selector: { ...spec.selector } } : {}),
        ...(ports.length > 0 ? { ports } : {}),
        sessionAffinity: "None",
      },
      status: { loadBalancer: {} },
    };
  }
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      ...(spec.selector !== undefined ? { selector: { ...spec.selector } } : {}),
      ...(ports.length > 0 ? { ports } : {}),
      type: spec.type,
      clusterIP: clusterIPs[0],
      clusterIPs,
      ipFamilies: [...spec.ipFamilies],
      ipFamilyPolicy: spec.ipFamilies.length > 1 ? "RequireDualStack" : "SingleStack",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ...(withNodePorts ? { externalTrafficPolicy: "Cluster" } : {}),
    },
    status: {
      loadBalancer:
        spec.type === "LoadBalancer"
          ? { ingress: [{ ip: `203.0.113.${(s.index % 250) + 1}`, ipMode: "VIP" }] }
          : {},
    },
  };
}
