/**
 * Does an observed owned object say what zen-lead wants? Compared field by field on everything
 * that decides where traffic goes or who owns the object (docs/semantics.md, "Drift"): what zen-lead
 * sets must have its value, and what a leader Service or slice must not have (a selector, external
 * IPs, kube-proxy's opt-out labels, another owner, ...) must be absent — whoever wrote it.
 */
import type { DesiredObject, DesiredService, DesiredSlice } from "./desired.ts";
import { FORBIDDEN_LABELS, WRITTEN_ANNOTATIONS } from "./labels.ts";
import type { EndpointSliceView, EndpointView, OwnerRef, ServiceView } from "./views.ts";

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

const sameEndpoint = (a: EndpointView, b: EndpointView) => sameFlat(a, b);

/** Field names in the style of the API (`metadata.labels[key]`, `spec.selector`). */
type Drift = string[];

function metadataDrift(
  drift: Drift,
  d: DesiredObject,
  labels: Readonly<Record<string, string>>,
  owners: readonly OwnerRef[],
) {
  for (const key in d.labels) if (labels[key] !== d.labels[key]) drift.push(`metadata.labels[${key}]`);
  for (const key of FORBIDDEN_LABELS) if (key in labels) drift.push(`metadata.labels[${key}]`);
  const ref = owners[0];
  if (
    owners.length !== 1 ||
    ref === undefined ||
    !ref.controller ||
    ref.uid !== d.owner.uid ||
    ref.name !== d.owner.name ||
    ref.kind !== "Service" ||
    ref.apiVersion !== "v1"
  ) {
    drift.push("metadata.ownerReferences");
  }
}

function serviceDrift(drift: Drift, d: DesiredService, o: ServiceView) {
  metadataDrift(drift, d, o.labels, o.owners);
  for (const key of WRITTEN_ANNOTATIONS) {
    if (o.annotations[key] !== d.annotations[key]) drift.push(`metadata.annotations[${key}]`);
  }
  if (o.selector !== undefined) drift.push("spec.selector");
  if (o.type !== "ClusterIP") drift.push("spec.type");
  if (o.headless !== d.headless) drift.push("spec.clusterIP");
  if (d.ipFamilies.length > 0 && !sameList(d.ipFamilies, o.ipFamilies, (x, y) => x === y)) {
    drift.push("spec.ipFamilies");
  }
  if (d.ipFamilyPolicy !== undefined && d.ipFamilyPolicy !== o.ipFamilyPolicy)
    drift.push("spec.ipFamilyPolicy");
  if (!sameList(d.ports, o.ports, sameFlat)) drift.push("spec.ports");
  drift.push(...o.extraSpec);
}

function sliceDrift(drift: Drift, d: DesiredSlice, o: EndpointSliceView) {
  metadataDrift(drift, d, o.labels, o.owners);
  if (o.addressType !== d.addressType) drift.push("addressType");
  if (!sameList(d.endpoints, o.endpoints, sameEndpoint)) drift.push("endpoints");
  if (!sameList(d.ports, o.ports, sameFlat)) drift.push("ports");
}

/**
 * The fields where the observed object differs from the desired one, in the API's terms (empty
 * when it already says what zen-lead wants). The applier names them when it cannot correct them.
 */
export function driftOf(d: DesiredObject, o: ServiceView | EndpointSliceView): readonly string[] {
  const drift: Drift = [];
  if (d.kind !== o.kind) drift.push("kind");
  else if (d.kind === "Service") serviceDrift(drift, d, o as ServiceView);
  else sliceDrift(drift, d, o as EndpointSliceView);
  return drift;
}

export function matches(d: DesiredObject, o: ServiceView | EndpointSliceView): boolean {
  return driftOf(d, o).length === 0;
}

/** Fields the API server will not change in place: the object must be deleted and created again. */
export function needsReplacement(d: DesiredObject, o: ServiceView | EndpointSliceView): boolean {
  if (d.kind === "Service") return o.kind === "Service" && o.headless !== d.headless;
  return o.kind === "EndpointSlice" && o.addressType !== d.addressType;
}
