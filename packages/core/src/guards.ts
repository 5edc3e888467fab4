/**
 * Hand-written type guards for the codecs of decode.ts (`PodC`, `ServiceC`, `EndpointSliceC`), the
 * hot path of every watch event: io-ts's generic decoder walks its codec tree and builds a context
 * for every field (~5 µs a pod), a guard reads the same fields once (~1 µs). Each accepts exactly
 * what its codec accepts, field by field — io-ts stays the reference and the source of every
 * failure message: the decoders fall back to it whenever a guard says no. `guards.test.ts` checks
 * that they agree on arbitrary and on realistic objects (fast-check).
 *
 * The io-ts rules mirrored: a record is a non-null, non-array object; `t.type` requires each
 * property to pass, `t.partial` skips properties that are `undefined`; `t.record(string, string)`
 * checks every own enumerable key's value; `t.Int` is an integer number; a port is an Int in
 * 1-65535; a protocol is one of TCP, UDP, SCTP.
 */

type Json = Readonly<Record<string, unknown>>;

function isRecord(u: unknown): u is Json {
  return u !== null && typeof u === "object" && !Array.isArray(u);
}

const isString = (u: unknown): u is string => typeof u === "string";
/** `t.partial` member: absent (undefined) or passing `is`. */
const optional = (u: unknown, is: (u: unknown) => boolean) => u === undefined || is(u);

function isStringMap(u: unknown): boolean {
  if (!isRecord(u)) return false;
  for (const key of Object.keys(u)) if (typeof u[key] !== "string") return false;
  return true;
}

function isArrayOf(u: unknown, is: (u: unknown) => boolean): boolean {
  if (!Array.isArray(u)) return false;
  for (const item of u) if (!is(item)) return false;
  return true;
}

const isStringOrNull = (u: unknown) => u === null || typeof u === "string";
const isStringMapOrNull = (u: unknown) => u === null || isStringMap(u);
const isBooleanOrNull = (u: unknown) => u === null || typeof u === "boolean";

const isPort = (u: unknown) => typeof u === "number" && Number.isInteger(u) && u >= 1 && u <= 65535;
const isProtocol = (u: unknown) => u === "TCP" || u === "UDP" || u === "SCTP";

const isOwnerReferencesOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isOwnerReference);

function isOwnerReference(u: unknown): boolean {
  return (
    isRecord(u) &&
    isString(u.kind) &&
    isString(u.name) &&
    isString(u.uid) &&
    optional(u.apiVersion, isString) &&
    optional(u.controller, isBooleanOrNull)
  );
}

/** `MetadataC`: a name, the rest optional. */
export function isObjectMeta(u: unknown): boolean {
  return (
    isRecord(u) &&
    isString(u.name) &&
    optional(u.namespace, isString) &&
    optional(u.uid, isString) &&
    optional(u.labels, isStringMapOrNull) &&
    optional(u.annotations, isStringMapOrNull) &&
    optional(u.creationTimestamp, isStringOrNull) &&
    optional(u.deletionTimestamp, isStringOrNull) &&
    optional(u.ownerReferences, isOwnerReferencesOrNull)
  );
}

function isContainerPort(u: unknown): boolean {
  return (
    isRecord(u) && isPort(u.containerPort) && optional(u.name, isString) && optional(u.protocol, isProtocol)
  );
}

const isContainerPortsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isContainerPort);

function isContainer(u: unknown): boolean {
  return isRecord(u) && optional(u.ports, isContainerPortsOrNull);
}

const isContainers = (u: unknown): boolean => isArrayOf(u, isContainer);

function isPodSpec(u: unknown): boolean {
  return isRecord(u) && optional(u.nodeName, isString) && optional(u.containers, isContainers);
}

function isPodIp(u: unknown): boolean {
  return isRecord(u) && isString(u.ip);
}

function isCondition(u: unknown): boolean {
  return (
    isRecord(u) && isString(u.type) && isString(u.status) && optional(u.lastTransitionTime, isStringOrNull)
  );
}

const isPodIpsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isPodIp);
const isConditionsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isCondition);

function isPodStatus(u: unknown): boolean {
  return (
    isRecord(u) &&
    optional(u.phase, isString) &&
    optional(u.podIP, isString) &&
    optional(u.podIPs, isPodIpsOrNull) &&
    optional(u.conditions, isConditionsOrNull)
  );
}

/** Does `u` pass decode.ts's `PodC` (metadata, spec and status, each checked as the codec does)? */
export function isPodShape(u: unknown): boolean {
  return isRecord(u) && isObjectMeta(u.metadata) && isPodSpec(u.spec) && isPodStatus(u.status);
}

const isServiceType = (u: unknown) =>
  u === "ClusterIP" || u === "NodePort" || u === "LoadBalancer" || u === "ExternalName";
const isIpFamily = (u: unknown) => u === "IPv4" || u === "IPv6";
const isIpFamiliesOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isIpFamily);
const isIntOrString = (u: unknown) => typeof u === "string" || (typeof u === "number" && Number.isInteger(u));

function isServicePort(u: unknown): boolean {
  return (
    isRecord(u) &&
    isPort(u.port) &&
    optional(u.name, isString) &&
    optional(u.protocol, isProtocol) &&
    optional(u.appProtocol, isString) &&
    optional(u.targetPort, isIntOrString)
  );
}

const isServicePortsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isServicePort);

function isServiceSpec(u: unknown): boolean {
  return (
    isRecord(u) &&
    optional(u.selector, isStringMapOrNull) &&
    optional(u.type, isServiceType) &&
    optional(u.clusterIP, isString) &&
    optional(u.ipFamilies, isIpFamiliesOrNull) &&
    optional(u.ipFamilyPolicy, isString) &&
    optional(u.ports, isServicePortsOrNull)
  );
}

/** Does `u` pass decode.ts's `ServiceC`? */
export function isServiceShape(u: unknown): boolean {
  return isRecord(u) && isObjectMeta(u.metadata) && isServiceSpec(u.spec);
}

const isStrings = (u: unknown): boolean => isArrayOf(u, isString);
const isProtocolOrNull = (u: unknown) => u === null || isProtocol(u);
const isPortOrNull = (u: unknown) => u === null || isPort(u);

function isEndpointConditions(u: unknown): boolean {
  return (
    isRecord(u) &&
    optional(u.ready, isBooleanOrNull) &&
    optional(u.serving, isBooleanOrNull) &&
    optional(u.terminating, isBooleanOrNull)
  );
}

function isTargetRef(u: unknown): boolean {
  return isRecord(u) && optional(u.kind, isString) && optional(u.name, isString) && optional(u.uid, isString);
}

function isEndpoint(u: unknown): boolean {
  return (
    isRecord(u) &&
    isStrings(u.addresses) &&
    optional(u.conditions, isEndpointConditions) &&
    optional(u.targetRef, isTargetRef) &&
    optional(u.nodeName, isStringOrNull) &&
    optional(u.zone, isStringOrNull)
  );
}

function isSlicePort(u: unknown): boolean {
  return (
    isRecord(u) &&
    optional(u.name, isStringOrNull) &&
    optional(u.protocol, isProtocolOrNull) &&
    optional(u.appProtocol, isStringOrNull) &&
    optional(u.port, isPortOrNull)
  );
}

const isEndpointsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isEndpoint);
const isSlicePortsOrNull = (u: unknown): boolean => u === null || isArrayOf(u, isSlicePort);

/** Does `u` pass decode.ts's `EndpointSliceC`? */
export function isEndpointSliceShape(u: unknown): boolean {
  return (
    isRecord(u) &&
    isObjectMeta(u.metadata) &&
    isString(u.addressType) &&
    optional(u.endpoints, isEndpointsOrNull) &&
    optional(u.ports, isSlicePortsOrNull)
  );
}
