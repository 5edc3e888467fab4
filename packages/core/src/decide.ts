/**
 * decide(state, source): the Decision for one source Service, read from the state. Pure; `step`
 * calls it for every source an event touched.
 */
import { readSourceConfig } from "./config.ts";
import { type DesiredObject, desiredObjects, familiesOf, sourceRef } from "./desired.ts";
import { type ElectionInput, elect, isCandidate, type LeaderRecord, memberWithUid } from "./elect.ts";
import { ANNOTATIONS, LABELS } from "./labels.ts";
import { leaderSliceName } from "./names.ts";
import { isOwnedAt, isOwnedBy, isZenLeadSlice, ownerUid, servedSource, strayFor } from "./ownership.ts";
import { mapGet, mapKeys } from "./persistent-map.ts";
import type { OwnedView } from "./plan.ts";
import { isLeaderReason, type LeaderReason, type Warning } from "./reasons.ts";
import {
  type Decision,
  type DecisionBasis,
  decisionOf,
  failureOf,
  membersOf,
  podOf,
  type State,
} from "./state.ts";
import { parseTimestamp } from "./time.ts";
import { type EndpointSliceView, objectKey, type PodView, type ServiceView } from "./views.ts";

/** Where a source wants an object: a desired object, or only its name (`wantedNames`). */
export type WantedName = Pick<DesiredObject, "kind" | "namespace" | "name">;

/**
 * The names a source Service with leader Service `leaderName` (its config's `leaderServiceName`)
 * wants: that Service and the slice of each of the source's IP families — where an object
 * controlled by the source by uid is zen-lead's whatever its labels (`isOwnedAt`). Reading a leader
 * back (a restart) looks there too, so that zen-lead's own objects whose labels another writer
 * removed still tell who leads.
 */
export function wantedNames(svc: ServiceView, leaderName: string): WantedName[] {
  const out: WantedName[] = [{ kind: "Service", namespace: svc.namespace, name: leaderName }];
  for (const family of familiesOf(svc)) {
    out.push({ kind: "EndpointSlice", namespace: svc.namespace, name: leaderSliceName(leaderName, family) });
  }
  return out;
}

/**
 * The objects observed that are zen-lead's for a source (what `plan` compares the desired objects
 * with): those claiming to serve it whose controller reference carries `sourceUid`, the stray
 * slices (`strayFor`) whose controller reference is the leader Service among them, by uid, and —
 * given the source's desired objects or just their names (`wanted`) — the objects at those names
 * that are its own by controller reference whatever their labels (`isOwnedAt`).
 */
export function observedOwned(
  state: State,
  source: string,
  sourceUid: string,
  wanted: readonly WantedName[] = [],
): OwnedView[] {
  const keys = mapGet(state.owned, source);
  const out: OwnedView[] = [];
  if (wanted.length !== 0) ownedAtWantedNames(state, source, sourceUid, wanted, out);
  if (keys === undefined) return out;
  let strays: EndpointSliceView[] | undefined;
  let leaderService: ServiceView | undefined;
  for (const key of mapKeys(keys)) {
    const colon = key.indexOf(":");
    const objKey = key.slice(colon + 1);
    const view = key.startsWith("Service:") ? mapGet(state.services, objKey) : mapGet(state.slices, objKey);
    if (view === undefined || out.includes(view)) continue;
    if (ownerUid(view) === sourceUid && servedSource(view) === source) {
      out.push(view);
      if (view.kind === "Service") leaderService = view;
    } else if (view.kind === "EndpointSlice" && strayFor(view) === source) {
      strays ??= [];
      strays.push(view);
    }
  }
  if (strays !== undefined && leaderService !== undefined) {
    for (const slice of strays) {
      if (slice.labels[LABELS.serviceName] === leaderService.name && ownerUid(slice) === leaderService.uid) {
        out.push(slice);
      }
    }
  }
  return out;
}

/**
 * Adds to `out` the objects at the names the source wants (`wanted`: its desired objects) that are
 * its own by controller reference whatever their labels (`isOwnedAt`): another writer took zen-lead's
 * labels away, so they are not indexed as its own, and the write that follows puts the labels back.
 */
function ownedAtWantedNames(
  state: State,
  source: string,
  sourceUid: string,
  wanted: readonly WantedName[],
  out: OwnedView[],
): void {
  const name = source.slice(source.indexOf("/") + 1);
  for (const d of wanted) {
    const objKey = objectKey(d.namespace, d.name);
    const view = d.kind === "Service" ? mapGet(state.services, objKey) : mapGet(state.slices, objKey);
    if (view !== undefined && servedSource(view) !== source && isOwnedAt(view, d.namespace, name, sourceUid))
      out.push(view);
  }
}

/**
 * The leader zen-lead has published for a source, read from the cluster: its own slice's endpoint
 * (targetRef) or — when it published no endpoint (say, a named port that did not resolve) — its
 * leader Service's annotations. After a restart this is the leader; on taking over the Lease it is
 * what a leader change is announced against.
 */
export function publishedLeader(state: State, observed: readonly OwnedView[]): LeaderRecord | undefined {
  let podName: string | undefined;
  let podUid: string | undefined;
  for (const o of observed) {
    // zen-lead's own slice only: a stray one lists every pod the leader Service once selected.
    const endpoint =
      o.kind === "EndpointSlice" && isZenLeadSlice(o)
        ? o.endpoints.find((e) => e.podUid !== undefined)
        : undefined;
    if (endpoint?.podName !== undefined && endpoint.podUid !== undefined) {
      podName = endpoint.podName;
      podUid = endpoint.podUid;
      break;
    }
  }
  const service = observed.find((o) => o.kind === "Service");
  const annotations = service?.kind === "Service" ? service.annotations : {};
  if (podUid === undefined) {
    podName = annotations[ANNOTATIONS.leaderPod];
    podUid = annotations[ANNOTATIONS.leaderPodUid];
  }
  if (podName === undefined || podUid === undefined) return undefined;
  const sameLeader = annotations[ANNOTATIONS.leaderPodUid] === podUid;
  const since = sameLeader ? parseTimestamp(annotations[ANNOTATIONS.leaderSince] ?? "") : undefined;
  const published = sameLeader ? annotations[ANNOTATIONS.leaderReason] : undefined;
  // The reason it was published with, so that reading it back writes nothing; `Restored` for a
  // leader published before zen-lead recorded reasons.
  const reason = isLeaderReason(published) ? published : "Restored";
  return { podName, podUid, since: since ?? state.now, reason };
}

/**
 * A standby's leader as the holder published it: when the leader Service zen-lead owns names the
 * same pod, its `leader-since` and `leader-reason` are the record's. The standby's own fold reaches
 * the same leader some milliseconds apart from the holder's; without this, taking the Lease over
 * would rewrite every leader Service whose leader changed meanwhile, for a timestamp.
 */
function asPublished(
  state: State,
  svc: ServiceView,
  leaderName: string,
  leader: LeaderRecord | undefined,
): LeaderRecord | undefined {
  if (leader === undefined) return undefined;
  const source = objectKey(svc.namespace, svc.name);
  const wanted: WantedName[] = [{ kind: "Service", namespace: svc.namespace, name: leaderName }];
  const service = observedOwned(state, source, svc.uid, wanted).find((o) => o.kind === "Service");
  const annotations = service?.kind === "Service" ? service.annotations : {};
  if (annotations[ANNOTATIONS.leaderPodUid] !== leader.podUid) return leader;
  const since = parseTimestamp(annotations[ANNOTATIONS.leaderSince] ?? "");
  const reason = annotations[ANNOTATIONS.leaderReason];
  if (since === undefined || !isLeaderReason(reason)) return leader;
  return since === leader.since && reason === leader.reason ? leader : { ...leader, since, reason };
}

/** Why the current leader is not among the members any more. */
function missingReason(state: State, namespace: string, leader: LeaderRecord): LeaderReason {
  const pod = podOf(state, namespace, leader.podName);
  if (pod !== undefined && pod.uid === leader.podUid) return "LeaderNoLongerSelected";
  if (failureOf(state, "Pod", objectKey(namespace, leader.podName)) !== undefined) return "LeaderNotReady";
  return "LeaderDeleted";
}

/**
 * A NameCollision: the source is blocked, so the note says what that means for the user too — no
 * leader published, the leader objects zen-lead made for it removed (docs/semantics.md).
 */
const collision = (message: string): Warning => ({
  reason: "NameCollision",
  message: `${message} (no leader is published for this Service meanwhile)`,
});

/** Why an object at a name this source wants is not this source's to write, if it is not. */
function heldBy(
  state: State,
  svc: ServiceView,
  what: string,
  object: ServiceView | EndpointSliceView,
): Warning | undefined {
  if (isOwnedBy(object, svc) || isOwnedAt(object, svc.namespace, svc.name, svc.uid)) return undefined;
  const claimed = servedSource(object);
  if (claimed === objectKey(svc.namespace, svc.name)) {
    return collision(
      `${what} belongs to an earlier Service ${svc.name} (uid ${ownerUid(object)}); it is left to the garbage collector`,
    );
  }
  const holder = claimed === undefined ? undefined : mapGet(state.services, claimed);
  if (holder !== undefined && isOwnedBy(object, holder)) {
    return collision(`${what} is held by Service ${holder.name}, which keeps it`);
  }
  return collision(`${what} exists and is not zen-lead's for this Service; leaving it untouched`);
}

/** Earlier created first, then the lexically first name: who gets a name nobody holds yet. */
function claimsFirst(a: ServiceView, b: ServiceView): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.name < b.name;
}

/**
 * Another object holds a name this source needs (its leader Service, or the slice of one of its
 * IP families), or another source has the better claim to it: a reason to write nothing. The
 * source already holding a name keeps it; between claimants holding nothing yet, the earliest
 * created wins, then the lexically first name (docs/semantics.md, "Incumbency").
 */
function nameCollision(state: State, svc: ServiceView, leaderName: string): Warning | undefined {
  const key = objectKey(svc.namespace, leaderName);
  if (failureOf(state, "Service", key) !== undefined) {
    return collision(`Service ${leaderName} exists but cannot be read; leaving it untouched`);
  }
  const existing = mapGet(state.services, key);
  if (existing !== undefined) {
    const held = heldBy(state, svc, `Service ${leaderName}`, existing);
    if (held !== undefined) return held;
  } else {
    const claimants = mapGet(state.claims, key);
    if (claimants !== undefined && claimants.size > 1) {
      let first = svc;
      for (const claimant of mapKeys(claimants)) {
        const other = mapGet(state.services, claimant);
        if (other !== undefined && claimsFirst(other, first)) first = other;
      }
      if (first !== svc) {
        return collision(
          `leader Service name ${leaderName} is also wanted by Service ${first.name}, which was created first and gets it`,
        );
      }
    }
  }
  for (const family of familiesOf(svc)) {
    const name = leaderSliceName(leaderName, family);
    const sliceKey = objectKey(svc.namespace, name);
    if (failureOf(state, "EndpointSlice", sliceKey) !== undefined) {
      return collision(`EndpointSlice ${name} exists but cannot be read; leaving it untouched`);
    }
    const slice = mapGet(state.slices, sliceKey);
    const held = slice === undefined ? undefined : heldBy(state, svc, `EndpointSlice ${name}`, slice);
    if (held !== undefined) return held;
  }
  return undefined;
}

const NO_WARNINGS: readonly Warning[] = Object.freeze([]);

function concatWarnings(...lists: (readonly Warning[])[]): readonly Warning[] {
  let out: Warning[] | undefined;
  for (const list of lists) if (list.length > 0) out = out === undefined ? [...list] : [...out, ...list];
  return out ?? NO_WARNINGS;
}

function sameWarnings(a: readonly Warning[], b: readonly Warning[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Warning;
    const y = b[i] as Warning;
    if (x.reason !== y.reason || x.message !== y.message) return false;
  }
  return true;
}

/** The previous decision's warnings when equal (kept as the same array: nothing to announce). */
function keptWarnings(previous: Decision | undefined, warnings: readonly Warning[]): readonly Warning[] {
  return previous !== undefined && sameWarnings(previous.warnings, warnings) ? previous.warnings : warnings;
}

/** Field by field (identity for objects the fold reuses): an equal decision is kept as it was. */
function sameDecision(a: Decision, b: Decision): boolean {
  return (
    a.source === b.source &&
    a.optedIn === b.optedIn &&
    a.leaderServiceName === b.leaderServiceName &&
    a.leader === b.leader &&
    a.previousLeader === b.previousLeader &&
    a.lost === b.lost &&
    a.candidates === b.candidates &&
    a.wakeAt === b.wakeAt &&
    a.desired === b.desired &&
    a.basis === b.basis &&
    sameWarnings(a.warnings, b.warnings)
  );
}

/**
 * The Decision for the source Service at key `source` (`namespace/name`), made again from the
 * state against the decision it holds (the leader it remembers): undefined when no Service has
 * that key, or it has not opted in, has no zen-lead warning and no owned object serves it. A
 * Service that cannot be decoded gives a frozen decision (`desired` undefined, a `DecodeFailed`
 * warning). Pure; for tools and tests — `step` keeps each source's decision (`decisionOf`) current itself.
 */
export function decide(state: State, source: string): Decision | undefined {
  return decideAfter(state, source, decisionOf(state, source), NOTHING_KNOWN);
}

/** How one step changed a source's member list (the list before and after, and its candidates). */
export interface MembersChange {
  /** The source's Service view, as the selector index holds it (the state's current one). */
  readonly service: ServiceView;
  readonly before: readonly PodView[];
  readonly after: readonly PodView[];
  /** Change in the number of candidates; NaN when unknown (count again). */
  readonly delta: number;
}

/** What `step` knows about a source it re-decides, beyond the state. */
export interface StepHints {
  /** No object at a name the source needs, and no claim on its leader name, changed in this step. */
  readonly namesUnchanged: boolean;
  /** The member list this step made (undefined: unchanged). */
  readonly members: MembersChange | undefined;
}

const NOTHING_KNOWN: StepHints = { namesUnchanged: false, members: undefined };

/**
 * `decide`, given the source's previous decision and what `step` knows: while nothing at the
 * names changed, a name check that passed for the same Service still stands; the candidates are
 * counted from the previous count when the members changed by known pods. Returns `previous`
 * itself when the new decision would equal it, so an unchanged decision costs no map write.
 */
export function decideAfter(
  state: State,
  source: string,
  previous: Decision | undefined,
  hints: StepHints,
): Decision | undefined {
  const failure = failureOf(state, "Service", source);
  if (failure !== undefined) {
    // Frozen: nothing is written on the strength of an object zen-lead could not read.
    const warnings: Warning[] = [
      { reason: "DecodeFailed", message: `Service could not be read: ${failure.reason}` },
    ];
    if (previous === undefined) {
      const [namespace = "", name = ""] = source.split("/");
      return {
        source: { namespace, name, uid: "" },
        optedIn: false,
        candidates: 0,
        warnings,
        desired: undefined,
      };
    }
    const { previousLeader: _was, wakeAt: _timer, lost: _lost, ...kept } = previous;
    return { ...kept, ...(kept.leader ? { previousLeader: kept.leader } : {}), warnings, desired: undefined };
  }
  const svc = hints.members?.service ?? mapGet(state.services, source);
  if (svc === undefined) return undefined;

  const reusable = previous?.basis?.service === svc ? previous.basis : undefined;
  const config = reusable?.config ?? readSourceConfig(svc);
  const ref = reusable !== undefined && previous !== undefined ? previous.source : sourceRef(svc);
  if (!config.optedIn || !config.usable) {
    if (config.warnings.length === 0 && mapGet(state.owned, source) === undefined) return undefined;
    return { source: ref, candidates: 0, optedIn: config.optedIn, warnings: config.warnings, desired: [] };
  }
  const { leaderServiceName } = config.config;
  const change = hints.members;
  const members = change !== undefined ? change.after : membersOf(state, source);
  // Skipped while nothing at the names changed since the same Service passed it (the basis).
  const namesChecked = reusable !== undefined && hints.namesUnchanged && state.failures.size === 0;
  if (!namesChecked) {
    const blocked = nameCollision(state, svc, leaderServiceName);
    if (blocked !== undefined) {
      return {
        source: ref,
        // Blocked, yet what could lead is still worth knowing (status, metrics).
        candidates: members.filter(isCandidate).length,
        optedIn: true,
        leaderServiceName,
        warnings: [...config.warnings, blocked],
        desired: [],
      };
    }
  }

  // Read the leader back only when zen-lead has no memory of this source (a restart): its own
  // slice may still name a leader it has since dropped, its write not yet echoed.
  const current =
    previous !== undefined
      ? previous.leader
      : publishedLeader(state, observedOwned(state, source, svc.uid, wantedNames(svc, leaderServiceName)));
  // The previous count stands for the same members, and moves by the change for changed ones.
  let candidates: number | undefined;
  if (reusable !== undefined && previous !== undefined) {
    if (reusable.members === members) candidates = previous.candidates;
    else if (change !== undefined && reusable.members === change.before && !Number.isNaN(change.delta)) {
      candidates = previous.candidates + change.delta;
    }
  }
  // The leader's pod: the very view the basis elected while it is still a member (members hold
  // the pods map's views, so a changed pod is another object), else searched by uid.
  const basisPod = reusable?.leader === current ? reusable?.leaderPod : undefined;
  const currentPod =
    current === undefined
      ? undefined
      : basisPod !== undefined && members.includes(basisPod)
        ? basisPod
        : (memberWithUid(members, current.podUid) ?? null);
  // Built without spreads: this runs on every event.
  const input: { -readonly [K in keyof ElectionInput]: ElectionInput[K] } = {
    config: config.config,
    members,
    current,
    currentMissingReason:
      currentPod === null && current !== undefined
        ? missingReason(state, svc.namespace, current)
        : "LeaderDeleted",
    now: state.now,
  };
  if (candidates !== undefined) input.candidates = candidates;
  if (currentPod !== undefined) input.currentPod = currentPod;
  const election = elect(input);
  const leader = state.leading
    ? election.leader
    : asPublished(state, svc, leaderServiceName, election.leader);
  const leaderPod = election.leaderPod;
  const zone =
    leaderPod?.nodeName !== undefined && state.nodes.size !== 0
      ? mapGet(state.nodes, leaderPod.nodeName)?.zone
      : undefined;
  const same =
    reusable !== undefined &&
    previous?.desired !== undefined &&
    reusable.leader === leader &&
    reusable.leaderPod === leaderPod &&
    reusable.zone === zone;
  const desired = same
    ? { objects: previous.desired as readonly DesiredObject[], warnings: reusable.desiredWarnings }
    : desiredObjects({ source: svc, leaderServiceName, leader, leaderPod, leaderZone: zone });
  const basis: DecisionBasis =
    same && reusable.members === members
      ? reusable
      : { service: svc, config, leader, leaderPod, zone, desiredWarnings: desired.warnings, members };
  // Optional fields are set only when present (no spreads: this runs on every event).
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = {
    source: ref,
    optedIn: true,
    leaderServiceName,
    candidates: election.candidates,
    warnings: keptWarnings(previous, concatWarnings(config.warnings, election.warnings, desired.warnings)),
    desired: desired.objects,
    basis,
  };
  if (leader !== undefined) decision.leader = leader;
  if (current !== undefined) decision.previousLeader = current;
  if (election.lost !== undefined) decision.lost = election.lost;
  if (election.wakeAt !== undefined) decision.wakeAt = election.wakeAt;
  return previous !== undefined && sameDecision(decision, previous) ? previous : decision;
}
