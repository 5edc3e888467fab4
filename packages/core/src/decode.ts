/**
 * Decoding: API JSON -> small views (views.ts). io-ts checks the shape of exactly the fields the
 * decisions read; everything else is dropped. A malformed object is a value (DecodeFailure with a
 * one-line reason naming the field), never an exception, so one bad object cannot stop the others.
 */
import { isLeft } from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { isEndpointSliceShape, isPodShape, isServiceShape } from "./guards.ts";
import { ANNOTATION_PREFIX, KEPT_LABELS, LABELS } from "./labels.ts";
import { parseTimestamp } from "./time.ts";
import type {
  ContainerPort,
  Decoded,
  DecodeFailure,
  EndpointSliceView,
  EndpointView,
  IpFamily,
  Kind,
  NodeView,
  OwnerRef,
  PodView,
  Protocol,
  ServicePort,
  ServiceView,
  SlicePort,
  View,
} from "./views.ts";

const StringMap = t.record(t.string, t.string);
const Port = t.refinement(t.Int, (n) => n >= 1 && n <= 65535, "port (1-65535)");
const ProtocolC = t.keyof({ TCP: null, UDP: null, SCTP: null }, "TCP | UDP | SCTP");

const OwnerReferenceC = t.intersection([
  t.type({ kind: t.string, name: t.string, uid: t.string }),
  t.partial({ apiVersion: t.string, controller: t.union([t.boolean, t.null]) }),
]);

const MetadataC = t.intersection(
  [
    t.type({ name: t.string }),
    t.partial({
      namespace: t.string,
      uid: t.string,
      labels: t.union([StringMap, t.null]),
      annotations: t.union([StringMap, t.null]),
      creationTimestamp: t.union([t.string, t.null]),
      deletionTimestamp: t.union([t.string, t.null]),
      ownerReferences: t.union([t.array(OwnerReferenceC), t.null]),
    }),
  ],
  "ObjectMeta",
);
type Metadata = t.TypeOf<typeof MetadataC>;

const ServicePortC = t.intersection([
  t.type({ port: Port }),
  t.partial({
    name: t.string,
    protocol: ProtocolC,
    appProtocol: t.string,
    targetPort: t.union([t.Int, t.string]),
  }),
]);

const ServiceC = t.type(
  {
    metadata: MetadataC,
    spec: t.partial(
      {
        selector: t.union([StringMap, t.null]),
        type: t.keyof({ ClusterIP: null, NodePort: null, LoadBalancer: null, ExternalName: null }),
        clusterIP: t.string,
        ipFamilies: t.union([t.array(t.keyof({ IPv4: null, IPv6: null })), t.null]),
        ipFamilyPolicy: t.string,
        ports: t.union([t.array(ServicePortC), t.null]),
      },
      "ServiceSpec",
    ),
  },
  "Service",
);

const ContainerPortC = t.intersection([
  t.type({ containerPort: Port }),
  t.partial({ name: t.string, protocol: ProtocolC }),
]);

const PodC = t.type(
  {
    metadata: MetadataC,
    spec: t.partial(
      {
        nodeName: t.string,
        containers: t.array(t.partial({ ports: t.union([t.array(ContainerPortC), t.null]) }, "Container")),
      },
      "PodSpec",
    ),
    status: t.partial(
      {
        phase: t.string,
        podIP: t.string,
        podIPs: t.union([t.array(t.type({ ip: t.string })), t.null]),
        conditions: t.union([
          t.array(
            t.intersection([
              t.type({ type: t.string, status: t.string }),
              t.partial({ lastTransitionTime: t.union([t.string, t.null]) }),
            ]),
          ),
          t.null,
        ]),
      },
      "PodStatus",
    ),
  },
  "Pod",
);

const OptionalBool = t.union([t.boolean, t.null]);
const EndpointC = t.intersection([
  t.type({ addresses: t.array(t.string) }),
  t.partial({
    conditions: t.partial({ ready: OptionalBool, serving: OptionalBool, terminating: OptionalBool }),
    targetRef: t.partial({ kind: t.string, name: t.string, uid: t.string }),
    nodeName: t.union([t.string, t.null]),
    zone: t.union([t.string, t.null]),
  }),
]);

const SlicePortC = t.partial({
  name: t.union([t.string, t.null]),
  protocol: t.union([ProtocolC, t.null]),
  appProtocol: t.union([t.string, t.null]),
  port: t.union([Port, t.null]),
});

const EndpointSliceC = t.intersection(
  [
    t.type({ metadata: MetadataC, addressType: t.string }),
    t.partial({
      endpoints: t.union([t.array(EndpointC), t.null]),
      ports: t.union([t.array(SlicePortC), t.null]),
    }),
  ],
  "EndpointSlice",
);

const NodeC = t.type({ metadata: MetadataC }, "Node");

/** One line naming the first offending field, e.g. `spec.ports.0.port: expected port (1-65535), got "x"`. */
function describeErrors(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return "invalid object";
  const path: string[] = [];
  for (let i = 1; i < first.context.length; i++) {
    const parent = (first.context[i - 1]?.type as { _tag?: string } | undefined)?._tag;
    // Keys under a union or intersection name a member codec, not a field: leave them out.
    if (parent === "UnionType" || parent === "IntersectionType") continue;
    path.push(first.context[i]?.key ?? "");
  }
  const expected = first.context[first.context.length - 1]?.type.name ?? "value";
  const got = first.value === undefined ? "nothing" : (JSON.stringify(first.value) ?? "?").slice(0, 60);
  return `${path.join(".") || "object"}: expected ${expected}, got ${got}`;
}

function failure(kind: Kind, raw: unknown, reason: string): DecodeFailure {
  const meta = (raw as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  return {
    kind,
    failed: true,
    ...(typeof meta?.namespace === "string" ? { namespace: meta.namespace } : {}),
    ...(typeof meta?.name === "string" ? { name: meta.name } : {}),
    reason,
  };
}

function pick(source: Record<string, string> | null | undefined, keep: (key: string) => boolean) {
  const out: Record<string, string> = {};
  if (source) for (const key in source) if (keep(key)) out[key] = source[key] as string;
  return out;
}

const isZenLeadAnnotation = (key: string) => key.startsWith(ANNOTATION_PREFIX);
const isKeptLabel = (key: string) => KEPT_LABELS.has(key);

/** Common metadata checks; a string is the reason the object is malformed. */
function namespacedMeta(m: Metadata): { namespace: string; name: string; uid: string } | string {
  if (m.name === "") return "metadata.name: must not be empty";
  if (m.namespace === undefined || m.namespace === "") return "metadata.namespace: must be set";
  if (m.uid === undefined || m.uid === "") return "metadata.uid: must be set";
  return { namespace: m.namespace, name: m.name, uid: m.uid };
}

function owners(m: Metadata): readonly OwnerRef[] {
  return (m.ownerReferences ?? []).map((o) => ({
    apiVersion: o.apiVersion ?? "",
    kind: o.kind,
    name: o.name,
    uid: o.uid,
    controller: o.controller === true,
  }));
}

/** The spec a leader Service may have: these fields, the others at their defaults (ServiceView.extraSpec). */
const PLAIN_SPEC: ReadonlySet<string> = new Set([
  "type",
  "clusterIP",
  "clusterIPs",
  "ipFamilies",
  "ipFamilyPolicy",
  "ports",
  "selector",
]);
const SPEC_DEFAULTS: Readonly<Record<string, unknown>> = {
  sessionAffinity: "None",
  internalTrafficPolicy: "Cluster",
  publishNotReadyAddresses: false,
};
const NONE: readonly string[] = [];

function isUnset(value: unknown): boolean {
  return (
    value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)
  );
}

function extraSpec(spec: Readonly<Record<string, unknown>>): readonly string[] {
  const out: string[] = [];
  for (const key in spec) {
    const value = spec[key];
    if (PLAIN_SPEC.has(key) || isUnset(value) || SPEC_DEFAULTS[key] === value) continue;
    const scalar = typeof value === "string" || typeof value === "boolean" || typeof value === "number";
    out.push(scalar ? `spec.${key}=${String(value)}` : `spec.${key}`);
  }
  // One shared empty list for the common case: views stay small and compare fast.
  return out.length === 0 ? NONE : out.sort();
}

type Service = t.TypeOf<typeof ServiceC>;

export function decodeService(raw: unknown): Decoded<ServiceView> {
  // The hand-written guard accepts exactly what ServiceC does (guards.ts).
  return isServiceShape(raw) ? serviceView(raw, raw as Service) : decodeServiceWithIoTs(raw);
}

/** decodeService through io-ts alone: the reference the guard is tested against. */
function decodeServiceWithIoTs(raw: unknown): Decoded<ServiceView> {
  const r = ServiceC.decode(raw);
  return isLeft(r) ? failure("Service", raw, describeErrors(r.left)) : serviceView(raw, r.right);
}

function serviceView(raw: unknown, service: Service): Decoded<ServiceView> {
  const { metadata: m, spec } = service;
  const meta = namespacedMeta(m);
  if (typeof meta === "string") return failure("Service", raw, meta);
  const ports: ServicePort[] = [];
  for (const p of spec.ports ?? []) {
    const port: ServicePort = {
      name: p.name ?? "",
      protocol: p.protocol ?? "TCP",
      port: p.port,
      targetPort: p.targetPort === undefined || p.targetPort === 0 ? p.port : p.targetPort,
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    };
    ports.push(port);
  }
  const selector = spec.selector ?? undefined;
  return {
    kind: "Service",
    ...meta,
    createdAt: parseTimestamp(m.creationTimestamp ?? "") ?? 0,
    annotations: pick(m.annotations, isZenLeadAnnotation),
    labels: pick(m.labels, isKeptLabel),
    owners: owners(m),
    selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
    type: spec.type ?? "ClusterIP",
    headless: spec.clusterIP === "None",
    ipFamilies: (spec.ipFamilies ?? []) as IpFamily[],
    ...(spec.ipFamilyPolicy !== undefined ? { ipFamilyPolicy: spec.ipFamilyPolicy } : {}),
    ports,
    // io-ts keeps the keys it does not check: the whole spec is still here.
    extraSpec: extraSpec(spec as Readonly<Record<string, unknown>>),
  };
}

type Pod = t.TypeOf<typeof PodC>;

export function decodePod(raw: unknown): Decoded<PodView> {
  // The hand-written guard accepts exactly what PodC does (pod-guard.ts); io-ts decodes the rest
  // and says what is wrong.
  return isPodShape(raw) ? podView(raw, raw as Pod) : decodePodWithIoTs(raw);
}

/** decodePod through io-ts alone: the reference the guard is tested against. */
function decodePodWithIoTs(raw: unknown): Decoded<PodView> {
  const r = PodC.decode(raw);
  return isLeft(r) ? failure("Pod", raw, describeErrors(r.left)) : podView(raw, r.right);
}

function podView(raw: unknown, pod: Pod): Decoded<PodView> {
  const { metadata: m, spec, status } = pod;
  const meta = namespacedMeta(m);
  if (typeof meta === "string") return failure("Pod", raw, meta);
  const createdAt = parseTimestamp(m.creationTimestamp ?? "");
  if (createdAt === undefined)
    return failure("Pod", raw, "metadata.creationTimestamp: expected an RFC 3339 time");
  let deletedAt: number | undefined;
  if (m.deletionTimestamp != null) {
    deletedAt = parseTimestamp(m.deletionTimestamp);
    if (deletedAt === undefined) {
      return failure("Pod", raw, "metadata.deletionTimestamp: expected an RFC 3339 time");
    }
  }
  const readyCondition = (status.conditions ?? []).find((c) => c.type === "Ready");
  const ready = readyCondition?.status === "True";
  const readySince = ready ? parseTimestamp(readyCondition?.lastTransitionTime ?? "") : undefined;
  const ips = (status.podIPs ?? []).map((p) => p.ip);
  if (ips.length === 0 && status.podIP) ips.push(status.podIP);
  const containerPorts: ContainerPort[] = [];
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      containerPorts.push({
        name: p.name ?? "",
        containerPort: p.containerPort,
        protocol: p.protocol ?? "TCP",
      });
    }
  }
  return {
    kind: "Pod",
    ...meta,
    labels: m.labels ?? {},
    createdAt,
    ...(deletedAt !== undefined ? { deletedAt } : {}),
    phase: status.phase ?? "Pending",
    ready,
    // A Ready pod whose condition has no usable time counts as ready since its creation.
    ...(ready ? { readySince: readySince ?? createdAt } : {}),
    ips,
    ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
    containerPorts,
  };
}

type EndpointSlice = t.TypeOf<typeof EndpointSliceC>;

export function decodeEndpointSlice(raw: unknown): Decoded<EndpointSliceView> {
  // The hand-written guard accepts exactly what EndpointSliceC does (guards.ts).
  return isEndpointSliceShape(raw) ? sliceView(raw, raw as EndpointSlice) : decodeEndpointSliceWithIoTs(raw);
}

/** decodeEndpointSlice through io-ts alone: the reference the guard is tested against. */
function decodeEndpointSliceWithIoTs(raw: unknown): Decoded<EndpointSliceView> {
  const r = EndpointSliceC.decode(raw);
  return isLeft(r) ? failure("EndpointSlice", raw, describeErrors(r.left)) : sliceView(raw, r.right);
}

function sliceView(raw: unknown, slice: EndpointSlice): Decoded<EndpointSliceView> {
  const { metadata: m, addressType } = slice;
  const meta = namespacedMeta(m);
  if (typeof meta === "string") return failure("EndpointSlice", raw, meta);
  const endpoints: EndpointView[] = (slice.endpoints ?? []).map((e) => {
    const ready = e.conditions?.ready ?? true; // nil reads as ready (API semantics)
    const ref = e.targetRef;
    return {
      addresses: e.addresses,
      ready,
      serving: e.conditions?.serving ?? ready,
      terminating: e.conditions?.terminating ?? false,
      ...(ref?.kind === "Pod" && ref.name !== undefined ? { podName: ref.name } : {}),
      ...(ref?.kind === "Pod" && ref.uid !== undefined ? { podUid: ref.uid } : {}),
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
    };
  });
  const ports: SlicePort[] = (slice.ports ?? []).map((p) => ({
    name: p.name ?? "",
    protocol: (p.protocol ?? "TCP") as Protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    port: p.port ?? 0,
  }));
  return {
    kind: "EndpointSlice",
    ...meta,
    labels: pick(m.labels, isKeptLabel),
    owners: owners(m),
    addressType,
    endpoints,
    ports,
  };
}

export function decodeNode(raw: unknown): Decoded<NodeView> {
  const r = NodeC.decode(raw);
  if (isLeft(r)) return failure("Node", raw, describeErrors(r.left));
  const m = r.right.metadata;
  if (m.name === "") return failure("Node", raw, "metadata.name: must not be empty");
  const zone = m.labels?.[LABELS.zone];
  return { kind: "Node", namespace: "", name: m.name, uid: m.uid ?? "", ...(zone ? { zone } : {}) };
}

/** The io-ts codecs, for the tests that check the hand-written guards against them. */
export const codecsForTest = {
  PodC,
  decodePodWithIoTs,
  ServiceC,
  decodeServiceWithIoTs,
  EndpointSliceC,
  decodeEndpointSliceWithIoTs,
} as const;

const DECODERS: { readonly [K in Kind]: (raw: unknown) => Decoded } = {
  Service: decodeService,
  Pod: decodePod,
  EndpointSlice: decodeEndpointSlice,
  Node: decodeNode,
};

/** Decode an object of a known kind. Never throws. */
export function decode(kind: Kind, raw: unknown): Decoded<View> {
  return DECODERS[kind](raw);
}
