/**
 * The properties every run is checked against (docs/simulator.md, "Invariants"). The engine calls
 * these at the moments they must hold; each returns the violation's message, or nothing. They read
 * the core's own functions (isCandidate, plan, and its ownership rule: isOwnedBy, isOwnedAt), so the
 * simulator judges zen-lead by the rules zen-lead itself states, against the API model's ground truth.
 */
import {
  type Action,
  type Decision,
  decisionEntries,
  decisionOf,
  type EndpointSliceView,
  isCandidate,
  isFailure,
  isOwnedAt,
  isOwnedBy,
  LABELS,
  type OwnedView,
  objectKey,
  plan,
  podOf,
  readSourceConfig,
  type ServiceView,
  SLICE_MANAGED_BY,
  type State,
  servedSource,
  wantedNames,
} from "@zen-lead/core";
import type { ApiModel, StoredObject } from "./api-model.ts";

/** The invariants every run checks, by the name its violations carry (docs/simulator.md). */
export const INVARIANTS = {
  /** (a) A zen-lead EndpointSlice in the API never holds two endpoints. */
  singleEndpoint: "single-endpoint",
  /** (b) After every event, each leader the controller decided is a candidate in its own view. */
  leaderIsCandidate: "leader-is-candidate",
  /** (c) Once faults are over and the run has settled, the API holds what the controller wants. */
  converged: "converged",
  /** (d) No write the controller knew would change nothing. */
  noRedundantWrite: "no-redundant-write",
  /** (e) A controller restart never moves a leader that is still a candidate. */
  restartKeepsLeader: "restart-keeps-healthy-leader",
} as const;

/** (a): the message when a stored zen-lead slice holds more than one endpoint. */
export function sliceEndpointsViolation(stored: StoredObject): string | undefined {
  if (stored.kind !== "EndpointSlice" || isFailure(stored.view)) return undefined;
  const slice = stored.view as EndpointSliceView;
  if (slice.labels[LABELS.sliceManagedBy] !== SLICE_MANAGED_BY || slice.endpoints.length <= 1)
    return undefined;
  const names = slice.endpoints.map((e) => e.podName ?? e.addresses.join(",")).join(", ");
  return `EndpointSlice ${stored.key} holds ${slice.endpoints.length} endpoints (${names})`;
}

/** (b): the message when a decision's leader is not a candidate in the state that decided it. */
export function leaderCandidateViolation(state: State, decision: Decision | undefined): string | undefined {
  const leader = decision?.leader;
  // A frozen source (its Service could not be read) keeps its leader by design: nothing is written.
  if (decision === undefined || leader === undefined || decision.desired === undefined) return undefined;
  const { namespace, name } = decision.source;
  const pod = podOf(state, namespace, leader.podName);
  if (pod === undefined || pod.uid !== leader.podUid) {
    return `${namespace}/${name}: leader ${leader.podName} is not among the controller's pods`;
  }
  if (!isCandidate(pod)) return `${namespace}/${name}: leader ${leader.podName} is not a candidate`;
  return undefined;
}

/**
 * The sources in the API model that want a leader, by the names of the objects they want (core
 * `wantedNames`, as `kind:namespace/name`): the names where the core counts an object as the
 * source's by its controller reference alone (`isOwnedAt`).
 */
function sourcesByWantedName(model: ApiModel): Map<string, ServiceView[]> {
  const out = new Map<string, ServiceView[]>();
  const want = (key: string, svc: ServiceView) => {
    const list = out.get(key);
    if (list === undefined) out.set(key, [svc]);
    else list.push(svc);
  };
  for (const stored of model.list("Service")) {
    if (isFailure(stored.view)) continue;
    const svc = stored.view as ServiceView;
    const config = readSourceConfig(svc);
    if (!config.optedIn || !config.usable) continue;
    for (const { kind, namespace, name } of wantedNames(svc, config.config.leaderServiceName)) {
      want(`${kind}:${objectKey(namespace, name)}`, svc);
    }
  }
  return out;
}

/**
 * zen-lead's objects in the API model, by the source (`namespace/name`) they are zen-lead's for,
 * by the core's ownership rule (core ownership.ts, docs/semantics.md "Ownership is identity"): its
 * labels and controller reference name the source, with the uid of the source Service in the API
 * (`isOwnedBy`); or it sits at a name the source wants and its controller reference is that Service
 * by uid, whatever its labels (`isOwnedAt`: labels another writer took away are drift). Objects
 * whose labels name a source the API no longer has stay that source's: nothing else removes them
 * (the API model has no garbage collector), so `converged` expects zen-lead to.
 */
export function ownedInApi(model: ApiModel): Map<string, OwnedView[]> {
  const services = new Map<string, ServiceView>();
  for (const stored of model.list("Service")) {
    if (!isFailure(stored.view)) services.set(stored.key, stored.view as ServiceView);
  }
  const wanted = sourcesByWantedName(model);
  const out = new Map<string, OwnedView[]>();
  for (const kind of ["Service", "EndpointSlice"] as const) {
    for (const stored of model.list(kind)) {
      if (isFailure(stored.view)) continue;
      const view = stored.view as OwnedView;
      const claimed = servedSource(view);
      const claimedSource = claimed === undefined ? undefined : services.get(claimed);
      let source: string | undefined;
      if (claimed !== undefined && (claimedSource === undefined || isOwnedBy(view, claimedSource))) {
        source = claimed;
      } else {
        const at = wanted
          .get(`${kind}:${stored.key}`)
          ?.find((svc) => isOwnedAt(view, svc.namespace, svc.name, svc.uid));
        if (at !== undefined) source = objectKey(at.namespace, at.name);
      }
      if (source === undefined) continue;
      let list = out.get(source);
      if (list === undefined) {
        list = [];
        out.set(source, list);
      }
      list.push(view);
    }
  }
  return out;
}

/** The leader each source's slice publishes in the API model (first slice by name with an endpoint). */
export function publishedLeaders(model: ApiModel): Map<string, { podName: string; podUid: string }> {
  const out = new Map<string, { podName: string; podUid: string }>();
  const slices: { source: string; slice: EndpointSliceView }[] = [];
  for (const [source, list] of ownedInApi(model)) {
    for (const view of list) if (view.kind === "EndpointSlice") slices.push({ source, slice: view });
  }
  slices.sort((a, b) => (a.slice.name < b.slice.name ? -1 : a.slice.name > b.slice.name ? 1 : 0));
  for (const { source, slice } of slices) {
    const endpoint = slice.endpoints.find((e) => e.podName !== undefined && e.podUid !== undefined);
    if (out.has(source) || endpoint?.podName === undefined) continue;
    out.set(source, { podName: endpoint.podName, podUid: endpoint.podUid ?? "" });
  }
  return out;
}

/**
 * (c): for every source the controller decided on (and every source with owned objects in the
 * API), the writes that would still be needed to turn the API's objects into the desired ones.
 */
export function unconverged(model: ApiModel, state: State): { source: string; writes: Action[] }[] {
  const owned = ownedInApi(model);
  const sources = new Set<string>(owned.keys());
  for (const [source] of decisionEntries(state)) sources.add(source);
  const out: { source: string; writes: Action[] }[] = [];
  for (const source of [...sources].sort()) {
    const decision = decisionOf(state, source);
    if (decision !== undefined && decision.desired === undefined) continue; // frozen: writes nothing
    const writes = plan(decision?.desired ?? [], owned.get(source) ?? [], source);
    if (writes.length > 0) out.push({ source, writes });
  }
  return out;
}

/** One line per planned write: `update EndpointSlice default/web-leader-ipv4`. */
export function describeWrites(writes: readonly Action[]): string {
  return writes
    .map((w) =>
      w.type === "apply"
        ? `${w.create ? "create" : "update"} ${w.kind} ${w.namespace}/${w.name}`
        : w.type === "delete"
          ? `delete ${w.kind} ${w.namespace}/${w.name}`
          : w.type,
    )
    .join(", ");
}
