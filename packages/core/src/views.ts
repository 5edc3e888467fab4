/**
 * Views: the few fields of each Kubernetes object that zen-lead's decisions read. Decoding
 * (decode.ts) turns API JSON into these and drops everything else, so a cluster's worth of state
 * stays small. Times are epoch milliseconds. Views are immutable values and are compared
 * structurally (equal.ts): a watch event whose view is unchanged touches nothing.
 */

export type IpFamily = "IPv4" | "IPv6";
export type Protocol = "TCP" | "UDP" | "SCTP";

/** Metadata common to every view. `labels`/`annotations` keep only the keys zen-lead reads. */
export interface ObjectMeta {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface ServicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly appProtocol?: string;
  readonly port: number;
  /** A container port number or name; defaults to `port`, as the API server does. */
  readonly targetPort: number | string;
}

/**
 * One `metadata.ownerReferences` entry. zen-lead's own objects carry exactly one: a controller
 * reference to their source Service (ownership.ts).
 */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: boolean;
}

export interface ServiceView extends ObjectMeta {
  readonly kind: "Service";
  /** `metadata.creationTimestamp`, epoch ms (0 when absent): decides between name claimants. */
  readonly createdAt: number;
  /** Only `zen-lead.io/*` annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Only the labels in KEPT_LABELS (labels.ts): zen-lead's own, and those kube-proxy obeys. */
  readonly labels: Readonly<Record<string, string>>;
  readonly owners: readonly OwnerRef[];
  /** Undefined or empty: no selector (the Service gets no endpoints from the built-in controllers). */
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  readonly headless: boolean;
  readonly ipFamilies: readonly IpFamily[];
  readonly ipFamilyPolicy?: string;
  readonly ports: readonly ServicePort[];
  /**
   * Spec fields beyond the plain shape of a leader Service (type, clusterIP(s), ipFamilies,
   * ipFamilyPolicy, ports, sessionAffinity `None`, internalTrafficPolicy `Cluster`; the selector is
   * its own field), sorted, as `spec.field` or `spec.field=value` for a scalar: `spec.externalIPs`,
   * `spec.sessionAffinity=ClientIP`. Each changes where traffic goes, so a leader Service must have
   * none; on any other Service they are simply its owner's settings.
   */
  readonly extraSpec: readonly string[];
}

export interface ContainerPort {
  readonly name: string;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

export interface PodView extends ObjectMeta {
  readonly kind: "Pod";
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly deletedAt?: number;
  readonly phase: string;
  readonly ready: boolean;
  /** When the Ready condition last turned True (its lastTransitionTime); undefined when not Ready. */
  readonly readySince?: number;
  readonly ips: readonly string[];
  readonly nodeName?: string;
  readonly containerPorts: readonly ContainerPort[];
}

export interface EndpointView {
  readonly addresses: readonly string[];
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podName?: string;
  readonly podUid?: string;
  readonly nodeName?: string;
  readonly zone?: string;
}

export interface SlicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly appProtocol?: string;
  readonly port: number;
}

export interface EndpointSliceView extends ObjectMeta {
  readonly kind: "EndpointSlice";
  /** Only the labels in KEPT_LABELS (labels.ts). */
  readonly labels: Readonly<Record<string, string>>;
  readonly owners: readonly OwnerRef[];
  readonly addressType: string;
  readonly endpoints: readonly EndpointView[];
  readonly ports: readonly SlicePort[];
}

/** Nodes matter only for the zone zen-lead writes on the leader's endpoint. Cluster-scoped. */
export interface NodeView {
  readonly kind: "Node";
  readonly namespace: "";
  readonly name: string;
  readonly uid: string;
  readonly zone?: string;
}

export type View = ServiceView | PodView | EndpointSliceView | NodeView;
export type Kind = View["kind"];
export const KINDS: readonly Kind[] = ["Service", "Pod", "EndpointSlice", "Node"];

/** A watch event's object that could not be decoded: recorded with its reason, never thrown. */
export interface DecodeFailure {
  readonly kind: Kind;
  readonly failed: true;
  /** Present when the metadata itself decoded, so the object can still be keyed (and forgotten). */
  readonly namespace?: string;
  readonly name?: string;
  readonly reason: string;
}

export type Decoded<V extends View = View> = V | DecodeFailure;

export function isFailure(d: Decoded): d is DecodeFailure {
  return "failed" in d;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key of a view in the state. */
export function objectKey(namespace: string, name: string): string {
  return namespace === "" ? name : `${namespace}/${name}`;
}
