/**
 * Desired objects as the Kubernetes JSON the adapter sends with server-side apply. Only fields
 * zen-lead owns appear: what it leaves out, other field managers may own.
 */
import type { DesiredObject, DesiredService, DesiredSlice, SourceRef } from "./desired.ts";

export type Manifest = Readonly<Record<string, unknown>>;

function ownerReferences(owner: SourceRef) {
  // controller: true marks zen-lead's ownership; no blockOwnerDeletion (it would need
  // services/finalizers permission under OwnerReferencesPermissionEnforcement).
  return [{ apiVersion: "v1", kind: "Service", name: owner.name, uid: owner.uid, controller: true }];
}

function serviceManifest(d: DesiredService): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: d.name,
      namespace: d.namespace,
      labels: d.labels,
      annotations: d.annotations,
      ownerReferences: ownerReferences(d.owner),
    },
    spec: {
      type: "ClusterIP",
      ...(d.headless ? { clusterIP: "None" } : {}),
      ...(d.ipFamilies.length > 0 ? { ipFamilies: d.ipFamilies } : {}),
      ...(d.ipFamilyPolicy !== undefined ? { ipFamilyPolicy: d.ipFamilyPolicy } : {}),
      ports: d.ports.map((p) => ({
        ...(p.name !== "" ? { name: p.name } : {}),
        protocol: p.protocol,
        ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
        port: p.port,
        targetPort: p.targetPort,
      })),
    },
  };
}

function sliceManifest(d: DesiredSlice): Manifest {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: d.name,
      namespace: d.namespace,
      labels: d.labels,
      ownerReferences: ownerReferences(d.owner),
    },
    addressType: d.addressType,
    endpoints: d.endpoints.map((e) => ({
      addresses: e.addresses,
      // Set explicitly: a nil condition reads as ready.
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      ...(e.podName !== undefined
        ? { targetRef: { kind: "Pod", namespace: d.namespace, name: e.podName, uid: e.podUid } }
        : {}),
      ...(e.nodeName !== undefined ? { nodeName: e.nodeName } : {}),
      ...(e.zone !== undefined ? { zone: e.zone } : {}),
    })),
    ports: d.ports.map((p) => ({
      name: p.name,
      protocol: p.protocol,
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
      port: p.port,
    })),
  };
}

export function manifestOf(d: DesiredObject): Manifest {
  return d.kind === "Service" ? serviceManifest(d) : sliceManifest(d);
}
