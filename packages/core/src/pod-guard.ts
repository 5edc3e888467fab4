/**
 * A hand-written type guard for the Pod codec (decode.ts `PodC`), the hot path of every watch
 * event: io-ts's generic decoder walks its codec tree and builds a context for every field (~5 µs a
 * pod), this reads the same fields once (~1 µs). It accepts exactly what the codec accepts, field
 * by field — io-ts stays the reference and the source of every failure message: `decodePod` falls
 * back to it whenever the guard says no. `pod-guard.test.ts` checks the two agree on arbitrary and
 * on realistic objects (fast-check).
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

const isPort = (u: unknown) => typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= 65535;
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
