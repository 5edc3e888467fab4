/**
 * Does an observed owned object already say what zen-lead wants? Compared field by field on the
 * fields zen-lead sets (decoding already dropped the rest and applied the API server's defaults).
 */
import type { DesiredObject, DesiredService, DesiredSlice } from "./desired.ts";
import { ANNOTATIONS } from "./labels.ts";
import type { EndpointSliceView, EndpointView, ServiceView } from "./views.ts";

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let count = 0;
  for (const key in a) {
    if (a[key] !== b[key]) return false;
    count++;
  }
  return Object.keys(b).length === count;
}

/** Every desired key has its value in the observed record (others' keys are theirs). */
function includesRecord(
  observed: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
) {
  for (const key in wanted) if (observed[key] !== wanted[key]) return false;
  return true;
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i] as T, b[i] as T)) return false;
  return true;
}

function sameFlat<T extends object>(a: T, b: T): boolean {
  const ka = Object.keys(a) as (keyof T)[];
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const va = a[k];
    const vb = b[k];
    if (Array.isArray(va) && Array.isArray(vb)) {
      if (!sameList(va, vb, (x, y) => x === y)) return false;
    } else if (va !== vb) return false;
  }
  return true;
}

function serviceMatches(d: DesiredService, o: ServiceView): boolean {
  return (
    includesRecord(o.labels, d.labels) &&
    sameRecord(d.annotations, pickWritten(o.annotations)) &&
    o.ownerUids.includes(d.owner.uid) &&
    o.selector === undefined &&
    o.type === "ClusterIP" &&
    o.headless === d.headless &&
    (d.ipFamilies.length === 0 || sameList(d.ipFamilies, o.ipFamilies, (x, y) => x === y)) &&
    (d.ipFamilyPolicy === undefined || d.ipFamilyPolicy === o.ipFamilyPolicy) &&
    sameList(d.ports, o.ports, sameFlat)
  );
}

/** The annotations zen-lead writes on a leader Service (users may add other zen-lead.io/ ones). */
const WRITTEN = [ANNOTATIONS.leaderPod, ANNOTATIONS.leaderPodUid, ANNOTATIONS.leaderSince];
function pickWritten(annotations: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of WRITTEN) {
    const value = annotations[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const sameEndpoint = (a: EndpointView, b: EndpointView) => sameFlat(a, b);

function sliceMatches(d: DesiredSlice, o: EndpointSliceView): boolean {
  return (
    includesRecord(o.labels, d.labels) &&
    o.ownerUids.includes(d.owner.uid) &&
    o.addressType === d.addressType &&
    sameList(d.endpoints, o.endpoints, sameEndpoint) &&
    sameList(d.ports, o.ports, sameFlat)
  );
}

export function matches(d: DesiredObject, o: ServiceView | EndpointSliceView): boolean {
  if (d.kind === "Service") return o.kind === "Service" && serviceMatches(d, o);
  return o.kind === "EndpointSlice" && sliceMatches(d, o);
}

/** Fields the API server will not change in place: the object must be deleted and created again. */
export function needsReplacement(d: DesiredObject, o: ServiceView | EndpointSliceView): boolean {
  if (d.kind === "Service") return o.kind === "Service" && o.headless !== d.headless;
  return o.kind === "EndpointSlice" && o.addressType !== d.addressType;
}
