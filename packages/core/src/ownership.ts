/**
 * Which objects are zen-lead's. An object is owned when it carries zen-lead's managed-by label
 * and an ownerReference; its `zen-lead.io/source-service` label says which source it serves.
 * Anything else — even with the right name — is foreign and never written.
 */
import { LABELS, MANAGED_BY, SLICE_MANAGED_BY } from "./labels.ts";
import { type EndpointSliceView, objectKey, type ServiceView } from "./views.ts";

/** The source (`namespace/name`) an owned object serves, or undefined when it is not zen-lead's. */
export function servedSource(view: ServiceView | EndpointSliceView): string | undefined {
  const managed =
    view.kind === "Service"
      ? view.labels[LABELS.managedBy] === MANAGED_BY
      : view.labels[LABELS.sliceManagedBy] === SLICE_MANAGED_BY;
  const source = view.labels[LABELS.sourceService];
  if (!managed || source === undefined || source === "" || view.ownerUids.length === 0) return undefined;
  return objectKey(view.namespace, source);
}

/** Key of an owned object in the `owned` and `inflight` maps. */
export function ownedKey(kind: "Service" | "EndpointSlice", namespace: string, name: string): string {
  return `${kind}:${namespace}/${name}`;
}
