/**
 * Which objects are zen-lead's: ownership is identity, not labels (docs/semantics.md, "Ownership").
 * An object is zen-lead's for source Service S when its only controller ownerReference is the v1
 * Service S, with S's current uid, and
 *
 * - it carries `app.kubernetes.io/managed-by: zen-lead` and `zen-lead.io/source-service: S`, or
 * - it sits at a name S wants now (its leader Service, the slice of one of its IP families): there
 *   nothing but zen-lead makes an object S controls (the built-in controller's slices have
 *   generated names), so labels another writer took away are drift, put back — never a reason to
 *   treat zen-lead's own leader objects as foreign and block the source (`isOwnedAt`).
 *
 * Labels alone prove nothing (anyone can set them); anything else — even with the right name, even
 * with zen-lead's labels — is foreign: never updated, never deleted.
 */
import { LABELS, MANAGED_BY, SLICE_MANAGED_BY } from "./labels.ts";
import { type EndpointSliceView, type OwnerRef, objectKey, type ServiceView } from "./views.ts";

/** The single controller reference of an object, or undefined when it has none or several. */
function controllerRef(view: ServiceView | EndpointSliceView): OwnerRef | undefined {
  let found: OwnerRef | undefined;
  for (const ref of view.owners) {
    if (!ref.controller) continue;
    if (found !== undefined) return undefined;
    found = ref;
  }
  return found;
}

/**
 * The source (`namespace/name`) an object claims to serve, by its labels and controller reference
 * agreeing; undefined when they do not (then it is nobody's). Whether the claim holds also depends
 * on the source's uid: see `isOwnedBy`.
 */
export function servedSource(view: ServiceView | EndpointSliceView): string | undefined {
  if (view.labels[LABELS.managedBy] !== MANAGED_BY) return undefined;
  const source = view.labels[LABELS.sourceService];
  const ref = controllerRef(view);
  if (source === undefined || source === "" || ref === undefined) return undefined;
  if (ref.kind !== "Service" || ref.apiVersion !== "v1" || ref.name !== source) return undefined;
  return objectKey(view.namespace, source);
}

/**
 * The source (`namespace/name`) whose leader Service a *stray* EndpointSlice publishes endpoints
 * for; undefined for any other slice. Once someone gives zen-lead's leader Service a selector (a
 * `kubectl edit`), the built-in EndpointSlice controller publishes every selected pod for it in a
 * slice of its own — copying the Service's labels (zen-lead's) onto it, with the leader Service as
 * its controller — and kube-proxy merges that slice with zen-lead's: the leader's traffic reaches
 * every pod. The controller never removes it when the selector goes (it skips Services without
 * one). Such a slice is a dependent of zen-lead's own Service; `observedOwned` counts it only
 * when its controller reference is that Service by uid, so `plan` deletes it (uid precondition).
 */
export function strayFor(view: EndpointSliceView): string | undefined {
  if (view.labels[LABELS.sliceManagedBy] === SLICE_MANAGED_BY) return undefined;
  if (view.labels[LABELS.managedBy] !== MANAGED_BY) return undefined;
  const source = view.labels[LABELS.sourceService];
  const leaderService = view.labels[LABELS.serviceName];
  const ref = controllerRef(view);
  if (!source || !leaderService || leaderService === source || ref === undefined) return undefined;
  if (ref.kind !== "Service" || ref.apiVersion !== "v1" || ref.name !== leaderService) return undefined;
  return objectKey(view.namespace, source);
}

/** Is this slice zen-lead's own make (its managed-by label), as opposed to a stray (`strayFor`)? */
export function isZenLeadSlice(view: EndpointSliceView): boolean {
  return view.labels[LABELS.sliceManagedBy] === SLICE_MANAGED_BY;
}

/** The uid of the object's single controller reference (undefined when none, or several). */
export function ownerUid(view: ServiceView | EndpointSliceView): string | undefined {
  return controllerRef(view)?.uid;
}

/** Is this object zen-lead's for `source` (its current view)? */
export function isOwnedBy(view: ServiceView | EndpointSliceView, source: ServiceView): boolean {
  return (
    view.namespace === source.namespace &&
    servedSource(view) === objectKey(source.namespace, source.name) &&
    ownerUid(view) === source.uid
  );
}

/**
 * Is this object, found at a name source `namespace/name` (uid `uid`) wants now, zen-lead's own
 * whatever its labels? Its single controller reference is that v1 Service, by uid. Only for
 * objects at wanted names (see the module comment); elsewhere the labels are needed too.
 */
export function isOwnedAt(
  view: ServiceView | EndpointSliceView,
  namespace: string,
  name: string,
  uid: string,
): boolean {
  const ref = controllerRef(view);
  return (
    view.namespace === namespace &&
    ref !== undefined &&
    ref.kind === "Service" &&
    ref.apiVersion === "v1" &&
    ref.name === name &&
    ref.uid === uid
  );
}

/** Key of an owned object in the `owned` and `inflight` maps. */
export function ownedKey(kind: "Service" | "EndpointSlice", namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}
