/**
 * decide(state, source): the Decision for one source Service, read from the state. Pure; `step`
 * calls it for every source an event touched.
 */
import { readSourceConfig } from "./config.ts";
import { desiredObjects, familiesOf, sourceRef } from "./desired.ts";
import { elect, isCandidate, type LeaderRecord } from "./elect.ts";
import { ANNOTATIONS } from "./labels.ts";
import { leaderSliceName } from "./names.ts";
import { isOwnedBy, ownerUid, servedSource } from "./ownership.ts";
import { mapGet, mapKeys } from "./persistent-map.ts";
import type { OwnedView } from "./plan.ts";
import { isLeaderReason, type LeaderReason, type Warning } from "./reasons.ts";
import type { Decision, State } from "./state.ts";
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

/**
 * A standby's leader as the holder published it: when the leader Service zen-lead owns names the
 * same pod, its `leader-since` and `leader-reason` are the record's. The standby's own fold reaches
 * the same leader some milliseconds apart from the holder's; without this, taking the Lease over
 * would rewrite every leader Service whose leader changed meanwhile, for a timestamp.
 */
function asPublished(
  state: State,
  source: string,
  sourceUid: string,
  leader: LeaderRecord | undefined,
): LeaderRecord | undefined {
  if (leader === undefined) return undefined;
  const service = observedOwned(state, source, sourceUid).find((o) => o.kind === "Service");
  const annotations = service?.kind === "Service" ? service.annotations : {};
  if (annotations[ANNOTATIONS.leaderPodUid] !== leader.podUid) return leader;
  const since = parseTimestamp(annotations[ANNOTATIONS.leaderSince] ?? "");
  const reason = annotations[ANNOTATIONS.leaderReason];
  if (since === undefined || !isLeaderReason(reason)) return leader;
  return since === leader.since && reason === leader.reason ? leader : { ...leader, since, reason };
}

function podOf(state: State, namespace: string, name: string): PodView | undefined {
  const pods = mapGet(state.pods, namespace);
  return pods === undefined ? undefined : mapGet(pods, name);
}

/** Why the current leader is not among the members any more. */
function missingReason(state: State, namespace: string, leader: LeaderRecord): LeaderReason {
  const pod = podOf(state, namespace, leader.podName);
  if (pod !== undefined && pod.uid === leader.podUid) return "LeaderNoLongerSelected";
  if (mapGet(state.failures, `Pod:${objectKey(namespace, leader.podName)}`) !== undefined)
    return "LeaderNotReady";
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
  if (mapGet(state.failures, `Service:${key}`) !== undefined) {
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
    if (mapGet(state.failures, `EndpointSlice:${sliceKey}`) !== undefined) {
      return collision(`EndpointSlice ${name} exists but cannot be read; leaving it untouched`);
    }
    const slice = mapGet(state.slices, sliceKey);
    const held = slice === undefined ? undefined : heldBy(state, svc, `EndpointSlice ${name}`, slice);
    if (held !== undefined) return held;
  }
  return undefined;
}

export function decide(state: State, source: string): Decision | undefined {
  const previous = mapGet(state.decisions, source);
  const failure = mapGet(state.failures, `Service:${source}`);
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
  const base = { source: sourceRef(svc), candidates: 0 };
  if (!config.optedIn || !config.usable) {
    if (config.warnings.length === 0 && mapGet(state.owned, source) === undefined) return undefined;
    return { ...base, optedIn: config.optedIn, warnings: config.warnings, desired: [] };
  }
  const { leaderServiceName } = config.config;
  const blocked = nameCollision(state, svc, leaderServiceName);
  if (blocked !== undefined) {
    return {
      ...base,
      // Blocked, yet what could lead is still worth knowing (status, metrics).
      candidates: (mapGet(state.members, source) ?? []).filter(isCandidate).length,
      optedIn: true,
      leaderServiceName,
      warnings: [...config.warnings, blocked],
      desired: [],
    };
  }

  // Read the leader back only when zen-lead has no memory of this source (a restart): its own
  // slice may still name a leader it has since dropped, its write not yet echoed.
  const current =
    previous !== undefined ? previous.leader : publishedLeader(state, observedOwned(state, source, svc.uid));
  const members = mapGet(state.members, source) ?? [];
  const election = elect({
    config: config.config,
    members,
    current,
    currentMissingReason:
      current === undefined ? "LeaderDeleted" : missingReason(state, svc.namespace, current),
    now: state.now,
  });
  const leader = state.leading ? election.leader : asPublished(state, source, svc.uid, election.leader);
  const leaderPod = leader && members.find((p) => p.uid === leader.podUid);
  const zone = leaderPod?.nodeName !== undefined ? mapGet(state.nodes, leaderPod.nodeName)?.zone : undefined;
  const desired =
    reusable !== undefined &&
    previous?.desired !== undefined &&
    reusable.leader === leader &&
    reusable.leaderPod === leaderPod &&
    reusable.zone === zone
      ? { objects: previous.desired, warnings: reusable.desiredWarnings }
      : desiredObjects({ source: svc, leaderServiceName, leader, leaderPod, leaderZone: zone });
  return {
    ...base,
    optedIn: true,
    leaderServiceName,
    ...(leader !== undefined ? { leader } : {}),
    ...(current !== undefined ? { previousLeader: current } : {}),
    ...(election.lost !== undefined ? { lost: election.lost } : {}),
    candidates: election.candidates,
    warnings: [...config.warnings, ...election.warnings, ...desired.warnings],
    ...(election.wakeAt !== undefined ? { wakeAt: election.wakeAt } : {}),
    desired: desired.objects,
    basis: { service: svc, config, leader, leaderPod, zone, desiredWarnings: desired.warnings },
  };
}
