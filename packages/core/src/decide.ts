/**
 * decide(state, source): the Decision for one source Service, read from the state. Pure; `step`
 * calls it for every source an event touched.
 */
import { readSourceConfig } from "./config.ts";
import { type DesiredObject, desiredObjects, familiesOf, sourceRef } from "./desired.ts";
import { elect, isCandidate, type LeaderRecord } from "./elect.ts";
import { ANNOTATIONS } from "./labels.ts";
import { leaderSliceName } from "./names.ts";
import { isOwnedBy, ownerUid, servedSource } from "./ownership.ts";
import { mapGet, mapKeys } from "./persistent-map.ts";
import type { OwnedView } from "./plan.ts";
import { isLeaderReason, type LeaderReason, type Warning } from "./reasons.ts";
import type { Decision, DecisionBasis, KeySet, NameCheck, State } from "./state.ts";
import { parseTimestamp } from "./time.ts";
import { type EndpointSliceView, objectKey, type PodView, type ServiceView } from "./views.ts";

/**
 * The objects observed that are zen-lead's for a source (what `plan` compares the desired objects
 * with): those claiming to serve it whose controller reference carries `sourceUid`.
 */
export function observedOwned(state: State, source: string, sourceUid: string): OwnedView[] {
  const keys = mapGet(state.owned, source);
  const out: OwnedView[] = [];
  if (keys === undefined) return out;
  for (const key of mapKeys(keys)) {
    const colon = key.indexOf(":");
    const objKey = key.slice(colon + 1);
    const view = key.startsWith("Service:") ? mapGet(state.services, objKey) : mapGet(state.slices, objKey);
    if (view !== undefined && ownerUid(view) === sourceUid) out.push(view);
  }
  return out;
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
    const endpoint = o.kind === "EndpointSlice" ? o.endpoints.find((e) => e.podUid !== undefined) : undefined;
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

function podOf(state: State, namespace: string, name: string): PodView | undefined {
  const pods = mapGet(state.pods, namespace);
  return pods === undefined ? undefined : mapGet(pods, name);
}

/** The decode failure recorded for an object, if any (no key is built while there are none). */
function failureOf(state: State, kind: string, key: string) {
  return state.failures.size === 0 ? undefined : mapGet(state.failures, `${kind}:${key}`);
}

/** Why the current leader is not among the members any more. */
function missingReason(state: State, namespace: string, leader: LeaderRecord): LeaderReason {
  const pod = podOf(state, namespace, leader.podName);
  if (pod !== undefined && pod.uid === leader.podUid) return "LeaderNoLongerSelected";
  if (failureOf(state, "Pod", objectKey(namespace, leader.podName)) !== undefined) return "LeaderNotReady";
  return "LeaderDeleted";
}

const collision = (message: string): Warning => ({ reason: "NameCollision", message });

/** Why an object at a name this source wants is not this source's to write, if it is not. */
function heldBy(
  state: State,
  svc: ServiceView,
  what: string,
  object: ServiceView | EndpointSliceView,
): Warning | undefined {
  if (isOwnedBy(object, svc)) return undefined;
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

/**
 * What a passed name check read: the objects at the names, and the claims on the leader name.
 * Only recorded while no object failed to decode (failures take part in the check).
 */
function readNames(state: State, svc: ServiceView, leaderName: string): NameCheck | undefined {
  if (state.failures.size !== 0) return undefined;
  const leaderKey = objectKey(svc.namespace, leaderName);
  const sliceKeys = familiesOf(svc).map((family) => objectKey(svc.namespace, leaderSliceName(leaderName, family)));
  const claims = mapGet(state.claims, leaderKey);
  // Rival claimants are compared by their Services: not worth remembering, check every time.
  if (claims !== undefined && claims.size > 1) return undefined;
  return {
    leaderKey,
    leaderService: mapGet(state.services, leaderKey),
    claims,
    sliceKeys,
    slices: sliceKeys.map((key) => mapGet(state.slices, key)),
  };
}

/** Does a name check still stand: the same objects at the same names, the same claims, no failures? */
function namesUnchanged(state: State, names: NameCheck): boolean {
  if (state.failures.size !== 0) return false;
  if (mapGet(state.services, names.leaderKey) !== names.leaderService) return false;
  if ((mapGet(state.claims, names.leaderKey) as KeySet | undefined) !== names.claims) return false;
  for (let i = 0; i < names.sliceKeys.length; i++) {
    if (mapGet(state.slices, names.sliceKeys[i] as string) !== names.slices[i]) return false;
  }
  return true;
}

function hasMember(members: readonly PodView[], uid: string): boolean {
  for (const pod of members) if (pod.uid === uid) return true;
  return false;
}

const NO_MEMBERS: readonly PodView[] = [];
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

/** The Decision for one source Service, read from the state. */
export function decide(state: State, source: string): Decision | undefined {
  return decideAfter(state, source, mapGet(state.decisions, source));
}

/**
 * `decide`, given the source's previous decision (`step` has it at hand). Returns `previous`
 * itself when the new decision would equal it, so an unchanged decision costs no map write.
 */
export function decideAfter(state: State, source: string, previous: Decision | undefined): Decision | undefined {
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
  const svc = mapGet(state.services, source);
  if (svc === undefined) return undefined;

  const reusable = previous?.basis?.service === svc ? previous.basis : undefined;
  const config = reusable?.config ?? readSourceConfig(svc);
  const ref = reusable !== undefined && previous !== undefined ? previous.source : sourceRef(svc);
  if (!config.optedIn || !config.usable) {
    if (config.warnings.length === 0 && mapGet(state.owned, source) === undefined) return undefined;
    return { source: ref, candidates: 0, optedIn: config.optedIn, warnings: config.warnings, desired: [] };
  }
  const { leaderServiceName } = config.config;
  const members = mapGet(state.members, source) ?? NO_MEMBERS;
  let names = reusable?.names;
  if (names === undefined || !namesUnchanged(state, names)) {
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
    names = readNames(state, svc, leaderServiceName);
  }

  // Read the leader back only when zen-lead has no memory of this source (a restart): its own
  // slice may still name a leader it has since dropped, its write not yet echoed.
  const current =
    previous !== undefined ? previous.leader : publishedLeader(state, observedOwned(state, source, svc.uid));
  const election = elect({
    config: config.config,
    members,
    current,
    currentMissingReason:
      current === undefined || hasMember(members, current.podUid)
        ? "LeaderDeleted"
        : missingReason(state, svc.namespace, current),
    now: state.now,
  });
  const leader = election.leader;
  const leaderPod = leader && members.find((p) => p.uid === leader.podUid);
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
    same && reusable.names === names
      ? reusable
      : {
          service: svc,
          config,
          leader,
          leaderPod,
          zone,
          desiredWarnings: desired.warnings,
          ...(names !== undefined ? { names } : {}),
        };
  const decision: Decision = {
    source: ref,
    optedIn: true,
    leaderServiceName,
    ...(leader !== undefined ? { leader } : {}),
    ...(current !== undefined ? { previousLeader: current } : {}),
    ...(election.lost !== undefined ? { lost: election.lost } : {}),
    candidates: election.candidates,
    warnings: concatWarnings(config.warnings, election.warnings, desired.warnings),
    ...(election.wakeAt !== undefined ? { wakeAt: election.wakeAt } : {}),
    desired: desired.objects,
    basis,
  };
  return previous !== undefined && sameDecision(decision, previous) ? previous : decision;
}
