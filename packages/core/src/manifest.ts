/**
 * Desired objects as the Kubernetes JSON the adapter sends with server-side apply. Only fields
 * zen-lead owns appear: what it leaves out, other field managers may own.
 */
import type { DesiredObject, DesiredService, DesiredSlice, SourceRef } from "./desired.ts";
import { FORBIDDEN_LABELS, WRITTEN_ANNOTATIONS } from "./labels.ts";

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

type Json = Record<string, unknown>;
const record = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};

/**
 * The whole object to PUT (replace) when server-side apply could not bring a live owned object to
 * what zen-lead wants: apply never removes a field another field manager owns (a selector added
 * with `kubectl edit`, external IPs, kube-proxy's opt-out labels, another ownerReference). Built
 * from the live object (`live`, as the API server returned it): its metadata is kept — uid and
 * resourceVersion make the PUT conditional; others' labels and annotations stay — except that
 * zen-lead's labels, written annotations and ownerReference are set, the forbidden labels dropped
 * and managedFields left to the server; the spec (or a slice's addressType, endpoints and ports)
 * is zen-lead's, with the allocated clusterIP(s) and IP families the API server keeps.
 */
export function replacementOf(d: DesiredObject, live: Manifest): Manifest {
  const wanted = manifestOf(d);
  const liveMeta = record(live.metadata);
  const wantedMeta = record(wanted.metadata);
  const labels: Json = { ...record(liveMeta.labels), ...record(wantedMeta.labels) };
  for (const key of FORBIDDEN_LABELS) delete labels[key];
  const annotations: Json = { ...record(liveMeta.annotations) };
  for (const key of WRITTEN_ANNOTATIONS) delete annotations[key];
  Object.assign(annotations, record(wantedMeta.annotations));
  const { managedFields: _server, ...keptMeta } = liveMeta;
  const metadata = { ...keptMeta, labels, annotations, ownerReferences: wantedMeta.ownerReferences };
  if (d.kind === "EndpointSlice") return { ...wanted, metadata };
  const liveSpec = record(live.spec);
  const spec: Json = { ...record(wanted.spec) };
  for (const key of ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"]) {
    if (spec[key] === undefined && liveSpec[key] !== undefined) spec[key] = liveSpec[key];
  }
  return { ...wanted, metadata, spec };
}
