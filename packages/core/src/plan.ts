/**
 * plan(desired, observed): the writes that turn what zen-lead observes of its own objects into
 * what it wants. Empty when they already match. Only owned objects are ever passed in as
 * `observed`, so a delete can only ever target zen-lead's own objects.
 */
import type { Action, ApplyAction, DeleteAction } from "./actions.ts";
import type { DesiredObject } from "./desired.ts";
import { manifestOf } from "./manifest.ts";
import { matches, needsReplacement } from "./matches.ts";
import { strayFor } from "./ownership.ts";
import type { EndpointSliceView, ServiceView } from "./views.ts";

export type OwnedView = ServiceView | EndpointSliceView;

function apply(d: DesiredObject, source: string, observed: OwnedView | undefined): ApplyAction {
  return {
    type: "apply",
    kind: d.kind,
    namespace: d.namespace,
    name: d.name,
    create: observed === undefined,
    ...(observed !== undefined ? { expectedUid: observed.uid } : {}),
    desired: d,
    manifest: manifestOf(d),
    source,
  };
}

function remove(o: OwnedView, source: string): DeleteAction {
  const action: DeleteAction = {
    type: "delete",
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    uid: o.uid,
    source,
  };
  return o.kind === "EndpointSlice" && strayFor(o) !== undefined ? { ...action, stray: true } : action;
}

/**
 * The writes that turn `observed` (zen-lead's objects serving `source`, as the watch shows them)
 * into `desired`: a create for what is missing, a server-side apply (with the observed uid as a
 * precondition) for what differs (`matches`), a delete (uid precondition) for what is no longer
 * wanted. Nothing for what already matches: a steady cluster costs no write. Slices are written
 * before the leader Service: on a failover the slice is what moves traffic, the Service's
 * annotations only record it. Deletes come last, after their replacements exist — except a stray
 * slice's (another controller's, spreading the leader's traffic), which goes first.
 *
 * A leader Service is created only once every slice wanted is observed: while a slice's create has
 * not landed, the Service's create (a replacement's delete with it) and the deletes wait for a
 * later plan (the slice's echo). A slice
 * name held by an object zen-lead cannot see (its watch selects its own labels) shows up only as a
 * refused create; the source is then blocked (NameCollision) before any leader Service existed to
 * name a leader that gets no traffic (docs/semantics.md, "Ownership is identity").
 */
export function plan(
  desired: readonly DesiredObject[],
  observed: readonly OwnedView[],
  source: string,
): Action[] {
  const slices: Action[] = [];
  const services: Action[] = [];
  const deletes: DeleteAction[] = [];
  const wanted = new Set<string>();
  for (const d of desired) {
    wanted.add(`${d.kind}/${d.name}`);
    const o = observed.find((x) => x.kind === d.kind && x.name === d.name);
    const out = d.kind === "EndpointSlice" ? slices : services;
    if (o === undefined) out.push(apply(d, source, undefined));
    else if (needsReplacement(d, o)) {
      out.push(remove(o, source), apply(d, source, undefined));
    } else if (!matches(d, o)) out.push(apply(d, source, o));
  }
  for (const o of observed) {
    if (!wanted.has(`${o.kind}/${o.name}`)) deletes.push(remove(o, source));
  }
  const sliceMissing = desired.some(
    (d) => d.kind === "EndpointSlice" && !observed.some((o) => o.kind === d.kind && o.name === d.name),
  );
  if (sliceMissing && services.some((a) => a.type === "apply" && a.create)) {
    const strays = deletes.filter((d) => d.stray === true);
    // Updates of a Service that exists go on; a replacement's delete waits with its create.
    return [...strays, ...slices, ...services.filter((a) => a.type === "apply" && !a.create)];
  }
  // Slices before Services, then by name: a stable order whatever the observation order was.
  deletes.sort((a, b) =>
    a.kind === b.kind ? (a.name < b.name ? -1 : 1) : a.kind === "EndpointSlice" ? -1 : 1,
  );
  const strays = deletes.filter((d) => d.stray === true);
  if (strays.length === 0) return [...slices, ...services, ...deletes];
  return [...strays, ...slices, ...services, ...deletes.filter((d) => d.stray !== true)];
}
