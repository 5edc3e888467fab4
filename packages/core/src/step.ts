/**
 * step(state, event) -> state: the fold at the heart of zen-lead. It never mutates its input: a
 * draft copies the top-level record and reassigns persistent maps, so an event costs what it
 * touches. It keeps the indexes current, then re-decides the sources the event touched (once the
 * initial lists are in).
 */
import { readSourceConfig, wantsLeader } from "./config.ts";
import { decideAfter, type MembersChange } from "./decide.ts";
import { isCandidate } from "./elect.ts";
import { deepEqual } from "./equal.ts";
import { type ClusterEvent, REQUIRED_KINDS } from "./events.ts";
import { ANNOTATION_PREFIX, selectorMatches } from "./labels.ts";
import { ownedKey, servedSource, strayFor } from "./ownership.ts";
import {
  emptyMap,
  mapEntries,
  mapForEach,
  mapGet,
  mapHas,
  mapKeys,
  mapRemove,
  mapSet,
  mapUpdate,
  mapValues,
  type PersistentMap,
} from "./persistent-map.ts";
import {
  indexSource,
  type NamespaceIndex,
  type Selector,
  sourcesUnder,
  unindexSource,
} from "./selector-index.ts";
import { type Decision, failureKey, failureOf, type State } from "./state.ts";
import { takeDue, timerFor, withTimer } from "./timers.ts";
import {
  type Decoded,
  type EndpointSliceView,
  isFailure,
  type Kind,
  type NodeView,
  objectKey,
  type PodView,
  type ServiceView,
} from "./views.ts";

type Draft = { -readonly [K in keyof State]: State[K] };

/**
 * The sources a step touched. `names`: those among them for which an object at a name they need
 * (their leader Service, its slices) or a rival claim on it changed — every such change goes
 * through `touchClaimants` — so that only they run the name-collision check again.
 */
class Touched extends Set<string> {
  #names: Set<string> | undefined;
  /** The member lists this step changed, by source (decide reads them from here). */
  #members: Map<string, MembersChange> | undefined;
  /** Every source is looked at afresh (initial sync, taking over): no name check is skipped. */
  all = false;

  /** `source` is touched, and something at a name it needs changed. */
  addWithNames(source: string): void {
    this.add(source);
    this.#names ??= new Set();
    this.#names.add(source);
  }

  namesChanged(source: string): boolean {
    return this.all || this.#names?.has(source) === true;
  }

  membersOf(source: string): MembersChange | undefined {
    return this.#members?.get(source);
  }

  setMembers(source: string, change: MembersChange): void {
    this.#members ??= new Map();
    this.#members.set(source, change);
  }
}

function addKey<V>(
  map: PersistentMap<PersistentMap<V>>,
  key: string,
  member: string,
  value: V,
): PersistentMap<PersistentMap<V>> {
  return mapUpdate(map, key, (set) => mapSet(set ?? emptyMap<V>(), member, value));
}

function removeKey<V>(
  map: PersistentMap<PersistentMap<V>>,
  key: string,
  member: string,
): PersistentMap<PersistentMap<V>> {
  return mapUpdate(map, key, (set) => {
    if (set === undefined) return undefined;
    const next = mapRemove(set, member);
    return next.size === 0 ? undefined : next;
  });
}

function activeSelector(svc: ServiceView | undefined) {
  return svc !== undefined && wantsLeader(svc) ? svc.selector : undefined;
}

function claimedName(svc: ServiceView | undefined): string | undefined {
  if (svc === undefined || !wantsLeader(svc)) return undefined;
  const config = readSourceConfig(svc);
  return config.optedIn && config.usable
    ? objectKey(svc.namespace, config.config.leaderServiceName)
    : undefined;
}

function hasZenLeadAnnotation(svc: ServiceView | undefined): boolean {
  if (svc === undefined) return false;
  for (const key in svc.annotations) if (key.startsWith(ANNOTATION_PREFIX)) return true;
  return false;
}

function touchClaimants(d: Draft, name: string | undefined, touched: Touched) {
  if (name === undefined) return;
  const claimants = mapGet(d.claims, name);
  if (claimants === undefined) return;
  for (const key of mapKeys(claimants)) {
    touched.addWithNames(key);
  }
}

/** Keep the selector index, member sets and name claims of one source in step with its view. */
function reindexSource(d: Draft, key: string, old: ServiceView | undefined, next: ServiceView | undefined) {
  const oldSelector = activeSelector(old);
  const newSelector = activeSelector(next);
  const namespace = (next ?? old)?.namespace ?? "";
  if (!deepEqual(oldSelector, newSelector)) {
    if (oldSelector !== undefined)
      d.selectorIndex = unindexSource(d.selectorIndex, namespace, oldSelector, key);
    d.members = mapRemove(d.members, key);
    if (newSelector !== undefined) {
      d.selectorIndex = indexSource(d.selectorIndex, namespace, newSelector, key, next as ServiceView);
      // A new selector: find its pods once, by scanning the namespace.
      const members: PodView[] = [];
      const pods = mapGet(d.pods, namespace);
      if (pods !== undefined) {
        for (const pod of mapValues(pods)) if (selectorMatches(newSelector, pod.labels)) members.push(pod);
      }
      members.sort(byName);
      if (members.length > 0) d.members = mapSet(d.members, key, members);
    }
  } else if (newSelector !== undefined && next !== old) {
    // Same selector, another view: the index holds the current one.
    d.selectorIndex = indexSource(d.selectorIndex, namespace, newSelector, key, next as ServiceView);
  }
}

function reclaim(
  d: Draft,
  key: string,
  old: ServiceView | undefined,
  next: ServiceView | undefined,
  touched: Touched,
) {
  const oldClaim = claimedName(old);
  const newClaim = claimedName(next);
  if (oldClaim === newClaim) return;
  // Whoever else wants either name may win or lose it now.
  touchClaimants(d, oldClaim, touched);
  touchClaimants(d, newClaim, touched);
  if (oldClaim !== undefined) d.claims = removeKey(d.claims, oldClaim, key);
  if (newClaim !== undefined) d.claims = addKey(d.claims, newClaim, key, true);
}

/** The source an object is indexed under in `owned`: the one it serves, or whose leader Service a stray slice serves. */
function indexedSource(view: ServiceView | EndpointSliceView): string | undefined {
  return servedSource(view) ?? (view.kind === "EndpointSlice" ? strayFor(view) : undefined);
}

function reindexOwned(
  d: Draft,
  objKey: string,
  old: ServiceView | EndpointSliceView | undefined,
  next: ServiceView | EndpointSliceView | undefined,
  touched: Touched,
) {
  const oldSource = old === undefined ? undefined : indexedSource(old);
  const newSource = next === undefined ? undefined : indexedSource(next);
  if (oldSource !== newSource) {
    if (oldSource !== undefined) d.owned = removeKey(d.owned, oldSource, objKey);
    if (newSource !== undefined) d.owned = addKey(d.owned, newSource, objKey, true);
  }
  // Seeing its own object again (its write's echo) lets the source check and settle.
  if (oldSource !== undefined) touched.add(oldSource);
  if (newSource !== undefined) touched.add(newSource);
}

function setService(d: Draft, key: string, next: ServiceView | undefined, touched: Touched) {
  const old = mapGet(d.services, key);
  d.services = next === undefined ? mapRemove(d.services, key) : mapSet(d.services, key, next);
  reindexSource(d, key, old, next);
  reclaim(d, key, old, next, touched);
  reindexOwned(
    d,
    ownedKey("Service", (next ?? old)?.namespace ?? "", (next ?? old)?.name ?? ""),
    old,
    next,
    touched,
  );
  if (hasZenLeadAnnotation(old) || hasZenLeadAnnotation(next) || mapHas(d.decisions, key)) touched.add(key);
  // This Service's name may be some source's leader Service name (a collision appearing or leaving).
  touchClaimants(d, key, touched);
}

const byName = (a: PodView, b: PodView) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The sorted member list with `pod` put in (or, undefined, taken out) under `name`. `at` is where
 * the pod's previous view is in the list (-1: not there): members are the very views the pods map
 * holds, so an update finds its pod by identity without reading the other members (each a cache
 * miss in a large cluster).
 */
function withMember(
  members: readonly PodView[],
  name: string,
  at: number,
  pod: PodView | undefined,
): readonly PodView[] {
  if (at !== -1) {
    if (pod === undefined) return members.toSpliced(at, 1);
    const next = members.slice();
    next[at] = pod;
    return next;
  }
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((members[mid] as PodView).name < name) lo = mid + 1;
    else hi = mid;
  }
  const found = members[lo]?.name === name;
  if (pod === undefined) return found ? [...members.slice(0, lo), ...members.slice(lo + 1)] : members;
  const next = members.slice();
  next.splice(lo, found ? 1 : 0, pod);
  return next;
}

/**
 * Route a pod change to the sources whose selectors match its old or new labels. The index holds
 * each source's selector, so routing reads no Service; most pod updates (readiness, IPs) keep
 * their labels and visit them once.
 */
function routePod(
  d: Draft,
  namespace: string,
  name: string,
  old: PodView | undefined,
  next: PodView | undefined,
  touched: Touched,
) {
  const oldLabels = old?.labels;
  const index = mapGet(d.selectorIndex, namespace);
  if (index === undefined) return; // no source selects pods in this namespace
  const newLabels = next?.labels;
  const route: Route = { d, name, old, next, touched, visited: [] };
  if (oldLabels !== undefined) visitLabels(index, oldLabels, route);
  if (newLabels !== undefined && (oldLabels === undefined || !deepEqual(oldLabels, newLabels))) {
    visitLabels(index, newLabels, route);
  }
}

/** One pod change being routed: the sources visited so far, each once. */
interface Route {
  readonly d: Draft;
  readonly name: string;
  readonly old: PodView | undefined;
  readonly next: PodView | undefined;
  readonly touched: Touched;
  readonly visited: string[];
}

function visitLabels(index: NamespaceIndex, labels: Readonly<Record<string, string>>, route: Route) {
  for (const label in labels) {
    const sources = sourcesUnder(index, label, labels[label] as string);
    if (sources !== undefined)
      mapForEach(sources, (selector, source) => visitSource(route, source, selector));
  }
}

/**
 * Puts the pod in (or takes it out of) one source's members, as its selector now says, and
 * records the change with how it moved the source's count of candidates.
 */
function visitSource(route: Route, source: string, service: ServiceView) {
  const { d, name, old, next, touched } = route;
  if (route.visited.includes(source)) return;
  route.visited.push(source);
  const is = next !== undefined && selectorMatches(service.selector as Selector, next.labels);
  const members = mapGet(d.members, source) ?? NO_MEMBERS;
  const at = old === undefined ? -1 : members.indexOf(old);
  const updated = withMember(members, name, at, is ? next : undefined);
  if (updated === members) return; // neither was nor is a member
  d.members = updated.length === 0 ? mapRemove(d.members, source) : mapSet(d.members, source, updated);
  touched.add(source);
  // The count moves by this pod alone when it was found by identity or simply added; otherwise
  // (another view under its name was replaced) it is counted afresh.
  const added = is && next !== undefined && isCandidate(next) ? 1 : 0;
  const delta =
    at !== -1
      ? added - (isCandidate(old as PodView) ? 1 : 0)
      : updated.length === members.length + 1
        ? added
        : Number.NaN;
  const change = touched.membersOf(source);
  const before = change === undefined ? members : change.before;
  const total = change === undefined ? delta : change.delta + delta;
  touched.setMembers(source, { service, before, after: updated, delta: total });
}

const NO_MEMBERS: readonly PodView[] = [];

/** Put a pod's new view (or, undefined, its removal) in its namespace, given what is there now. */
function setPod(
  d: Draft,
  namespace: string,
  name: string,
  pods: PersistentMap<PodView> | undefined,
  old: PodView | undefined,
  next: PodView | undefined,
  touched: Touched,
) {
  if (old === undefined && next === undefined) return;
  const base = pods ?? emptyMap<PodView>();
  const updated = next === undefined ? mapRemove(base, name) : mapSet(base, name, next);
  d.pods = updated.size === 0 ? mapRemove(d.pods, namespace) : mapSet(d.pods, namespace, updated);
  routePod(d, namespace, name, old, next, touched);
}

/** The leader Service name a slice name belongs to (`<leader>-ipv4`, `<leader>-ipv6`). */
const SLICE_SUFFIX = /-ipv[46]$/;

function setSlice(d: Draft, key: string, next: EndpointSliceView | undefined, touched: Touched) {
  const old = mapGet(d.slices, key);
  d.slices = next === undefined ? mapRemove(d.slices, key) : mapSet(d.slices, key, next);
  const objKey = `EndpointSlice:${key}`;
  if (next === undefined) d.inflight = mapRemove(d.inflight, objKey);
  reindexOwned(d, objKey, old, next, touched);
  // Whoever wants this slice's name may now be blocked by it, or free of it.
  if (SLICE_SUFFIX.test(key)) touchClaimants(d, key.replace(SLICE_SUFFIX, ""), touched);
}

function setNode(d: Draft, name: string, next: NodeView | undefined, touched: Touched) {
  const old = mapGet(d.nodes, name);
  d.nodes = next === undefined ? mapRemove(d.nodes, name) : mapSet(d.nodes, name, next);
  if (old?.zone === next?.zone) return;
  // Rare (a node's zone label changed): find the leaders on that node.
  for (const [source, decision] of mapEntries(d.decisions)) {
    const leader = decision.leader;
    if (leader === undefined) continue;
    const pods = mapGet(d.pods, decision.source.namespace);
    if (pods !== undefined && mapGet(pods, leader.podName)?.nodeName === name) touched.add(source);
  }
}

function currentView(d: Draft, kind: Kind, namespace: string, name: string) {
  const key = objectKey(namespace, name);
  switch (kind) {
    case "Service":
      return mapGet(d.services, key);
    case "Pod": {
      const pods = mapGet(d.pods, namespace);
      return pods === undefined ? undefined : mapGet(pods, name);
    }
    case "EndpointSlice":
      return mapGet(d.slices, key);
    case "Node":
      return mapGet(d.nodes, name);
  }
}

function setView(
  d: Draft,
  kind: Kind,
  namespace: string,
  name: string,
  view: Decoded | undefined,
  touched: Touched,
) {
  const key = objectKey(namespace, name);
  switch (kind) {
    case "Service":
      return setService(d, key, view as ServiceView | undefined, touched);
    case "Pod": {
      const pods = mapGet(d.pods, namespace);
      const old = pods === undefined ? undefined : mapGet(pods, name);
      return setPod(d, namespace, name, pods, old, view as PodView | undefined, touched);
    }
    case "EndpointSlice":
      return setSlice(d, key, view as EndpointSliceView | undefined, touched);
    case "Node":
      return setNode(d, name, view as NodeView | undefined, touched);
  }
}

function upsert(d: Draft, object: Decoded, touched: Touched) {
  if (isFailure(object)) {
    if (object.name === undefined) return; // nothing to key it by: reported, not stored
    const namespace = object.namespace ?? "";
    d.failures = mapSet(d.failures, failureKey(object.kind, objectKey(namespace, object.name)), object);
    if (object.kind === "Service") {
      // Keep the last good view: the source is frozen (decide.ts), not treated as deleted.
      touched.add(objectKey(namespace, object.name));
      touchClaimants(d, objectKey(namespace, object.name), touched);
    } else {
      // A pod or slice that cannot be read is no longer trusted: forget its last view.
      setView(d, object.kind, namespace, object.name, undefined, touched);
    }
    return;
  }
  const { kind, namespace, name } = object;
  const hadFailure = hasFailure(d, kind, namespace, name);
  if (hadFailure) d.failures = mapRemove(d.failures, failureKey(kind, objectKey(namespace, name)));
  if (kind === "Pod") {
    // The hot path (readiness flaps): the namespace's pods are looked up once.
    const pods = mapGet(d.pods, namespace);
    const old = pods === undefined ? undefined : mapGet(pods, name);
    if (hadFailure || old === undefined || !deepEqual(old, object)) {
      setPod(d, namespace, name, pods, old, object, touched);
    }
    return;
  }
  const old = currentView(d, kind, namespace, name);
  if (!hadFailure && old !== undefined && deepEqual(old, object)) return;
  if (hadFailure && kind === "Service") touched.add(objectKey(namespace, name));
  setView(d, kind, namespace, name, object, touched);
}

/** Is the object's last version a decode failure? */
function hasFailure(d: Draft, kind: Kind, namespace: string, name: string): boolean {
  return failureOf(d, kind, objectKey(namespace, name)) !== undefined;
}

function remove(d: Draft, kind: Kind, namespace: string, name: string, touched: Touched) {
  if (hasFailure(d, kind, namespace, name)) {
    const failKey = failureKey(kind, objectKey(namespace, name));
    d.failures = mapRemove(d.failures, failKey);
    if (kind === "Service") {
      touched.add(objectKey(namespace, name));
      touchClaimants(d, objectKey(namespace, name), touched);
    }
  }
  if (kind === "Pod") {
    const pods = mapGet(d.pods, namespace);
    const old = pods === undefined ? undefined : mapGet(pods, name);
    if (old !== undefined) setPod(d, namespace, name, pods, old, undefined, touched);
    return;
  }
  if (currentView(d, kind, namespace, name) === undefined) return;
  if (kind === "Service") d.inflight = mapRemove(d.inflight, ownedKey("Service", namespace, name));
  setView(d, kind, namespace, name, undefined, touched);
}

function viewsOf(d: Draft, kind: Kind): Iterable<{ namespace: string; name: string }> {
  switch (kind) {
    case "Service":
      return mapValues(d.services);
    case "EndpointSlice":
      return mapValues(d.slices);
    case "Node":
      return mapValues(d.nodes);
    case "Pod": {
      const all: PodView[] = [];
      for (const pods of mapValues(d.pods)) for (const pod of mapValues(pods)) all.push(pod);
      return all;
    }
  }
}

/** A relist: objects of this kind not in the new list are gone; the others are upserted. */
function resync(d: Draft, kind: Kind, objects: readonly Decoded[], touched: Touched) {
  const present = new Set<string>();
  for (const o of objects) if (o.name !== undefined) present.add(objectKey(o.namespace ?? "", o.name));
  const gone: { namespace: string; name: string }[] = [];
  for (const v of viewsOf(d, kind)) if (!present.has(objectKey(v.namespace, v.name))) gone.push(v);
  for (const [key, failure] of mapEntries(d.failures)) {
    if (failure.kind === kind && failure.name !== undefined && !present.has(key.slice(kind.length + 1))) {
      gone.push({ namespace: failure.namespace ?? "", name: failure.name });
    }
  }
  for (const v of gone) remove(d, kind, v.namespace, v.name, touched);
  for (const o of objects) upsert(d, o, touched);
}

/** Whether every kind in `REQUIRED_KINDS` has been listed, so that decisions are made. */
export function isSynced(state: State): boolean {
  return REQUIRED_KINDS.every((k) => state.synced.has(k));
}

/** Every source that may need a decision: after the initial lists, all of them are looked at afresh. */
function touchAll(d: Draft, touched: Touched) {
  touched.all = true;
  for (const [key, svc] of mapEntries(d.services)) if (hasZenLeadAnnotation(svc)) touched.add(key);
  for (const key of mapKeys(d.owned)) touched.add(key);
  for (const failure of mapValues(d.failures)) {
    if (failure.kind === "Service" && failure.name !== undefined) {
      touched.add(objectKey(failure.namespace ?? "", failure.name));
    }
  }
}

function markSynced(d: Draft, kind: Kind, touched: Touched) {
  if (d.synced.has(kind)) return;
  const wasSynced = isSynced(d);
  d.synced = new Set([...d.synced, kind]);
  if (!wasSynced && isSynced(d)) touchAll(d, touched);
}

/** Becoming the leader: forget writes remembered as in flight and look at every source again. */
function setLeading(d: Draft, leading: boolean, touched: Touched) {
  if (d.leading === leading) return;
  d.leading = leading;
  if (!leading) return;
  d.inflight = emptyMap();
  if (isSynced(d)) touchAll(d, touched);
}

function fireTimers(d: Draft, touched: Touched) {
  const { due, table } = takeDue(d, d.now);
  d.timers = table.timers;
  d.nextTimerAt = table.nextTimerAt;
  for (const source of due) touched.add(source);
}

function redecide(d: Draft, source: string, touched: Touched): DecisionChange {
  const before = mapGet(d.decisions, source);
  const decision = decideAfter(d, source, before, {
    namesUnchanged: !touched.namesChanged(source),
    members: touched.membersOf(source),
  });
  if (decision !== before) {
    d.decisions =
      decision === undefined ? mapRemove(d.decisions, source) : mapSet(d.decisions, source, decision);
  }
  const table = withTimer(d, source, timerFor(d, source, decision));
  d.timers = table.timers;
  d.nextTimerAt = table.nextTimerAt;
  return { source, before, after: decision };
}

/** What one step did to a touched source's decision (for `advance`, which would look both up). */
export interface DecisionChange {
  readonly source: string;
  readonly before: Decision | undefined;
  readonly after: Decision | undefined;
}

const NO_CHANGES: readonly DecisionChange[] = [];

/**
 * The fold: the state after `event`. `state` is never mutated and stays valid (old states can be
 * kept, compared, folded again); the result shares every part the event did not touch.
 *
 * - `upsert`/`delete`/`resync` update the views and indexes; a `resync` (a relist) also removes
 *   objects of its kind missing from the list. An object that cannot be decoded is recorded in
 *   `failures` (a Service's failure freezes its source; a pod's takes it out of the candidates).
 * - `synced`/`resync` mark a kind listed; once all of `REQUIRED_KINDS` are, every source is decided.
 *   Before that, nothing is (decisions would rest on half a cluster).
 * - `tick` moves `now` (epoch ms) and fires the timers due (timers.ts); before `nextTimerAt` it
 *   costs nothing.
 * - `leadership` sets `leading`; gaining it forgets in-flight writes and decides every source again.
 *
 * Then each source the event touched is decided again (`decideAfter`). Never throws on any event
 * the types allow. Writes and Events are `advance`'s (reconcile.ts), not step's.
 */
export function step(state: State, event: ClusterEvent): State {
  return stepWithChanges(state, event).state;
}

/**
 * `step`, also returning each touched source's decision before and after, in the order they were
 * touched (empty before the initial lists are in, and for a tick with no timer due).
 */
export function stepWithChanges(
  state: State,
  event: ClusterEvent,
): { readonly state: State; readonly changes: readonly DecisionChange[] } {
  // Time passing with no timer due (before every event, in the operator) touches nothing.
  if (event.type === "tick" && event.now < state.nextTimerAt) {
    return { state: event.now === state.now ? state : { ...state, now: event.now }, changes: NO_CHANGES };
  }
  const d: Draft = { ...state };
  const touched = new Touched();
  switch (event.type) {
    case "tick":
      d.now = event.now;
      fireTimers(d, touched);
      break;
    case "upsert":
      upsert(d, event.object, touched);
      break;
    case "delete":
      remove(d, event.kind, event.namespace, event.name, touched);
      break;
    case "resync":
      resync(d, event.kind, event.objects, touched);
      markSynced(d, event.kind, touched);
      break;
    case "synced":
      markSynced(d, event.kind, touched);
      break;
    case "leadership":
      setLeading(d, event.leading, touched);
      break;
  }
  if (touched.size === 0) return { state: d, changes: NO_CHANGES };
  // Before the initial lists are in, decisions would rest on half a cluster: wait for sync.
  if (!isSynced(d)) return { state: d, changes: NO_CHANGES };
  const changes: DecisionChange[] = [];
  for (const source of touched) changes.push(redecide(d, source, touched));
  return { state: d, changes };
}
