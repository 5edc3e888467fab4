/**
 * decide(state, source): the Decision for one source Service, read from the state. Pure; `step`
 * calls it for every source an event touched.
 */
import { readSourceConfig } from "./config.ts";
import { desiredObjects, sourceRef } from "./desired.ts";
import { elect, type LeaderRecord } from "./elect.ts";
import { ANNOTATIONS } from "./labels.ts";
import { servedSource } from "./ownership.ts";
import { mapGet, mapKeys } from "./persistent-map.ts";
import type { OwnedView } from "./plan.ts";
import type { LeaderReason, Warning } from "./reasons.ts";
import type { Decision, State } from "./state.ts";
import { parseTimestamp } from "./time.ts";
import { objectKey, type PodView } from "./views.ts";

/** The owned objects observed for a source (what `plan` compares the desired objects with). */
export function observedOwned(state: State, source: string): OwnedView[] {
  const keys = mapGet(state.owned, source);
  const out: OwnedView[] = [];
  if (keys === undefined) return out;
  for (const key of mapKeys(keys)) {
    const colon = key.indexOf(":");
    const objKey = key.slice(colon + 1);
    const view = key.startsWith("Service:") ? mapGet(state.services, objKey) : mapGet(state.slices, objKey);
    if (view !== undefined) out.push(view);
  }
  return out;
}

/**
 * After a restart: the leader zen-lead published before, read back from its own slice (the
 * endpoint's targetRef), or — when it published no endpoint (say, a named port that did not
 * resolve) — from its leader Service's annotations.
 */
function restoredLeader(state: State, observed: readonly OwnedView[]): LeaderRecord | undefined {
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
  const since =
    annotations[ANNOTATIONS.leaderPodUid] === podUid
      ? parseTimestamp(annotations[ANNOTATIONS.leaderSince] ?? "")
      : undefined;
  return { podName, podUid, since: since ?? state.now, reason: "Restored" };
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

/** Another object already holds the leader Service name: a reason to write nothing. */
function nameCollision(
  state: State,
  source: string,
  namespace: string,
  leaderName: string,
): Warning | undefined {
  const key = objectKey(namespace, leaderName);
  const existing = mapGet(state.services, key);
  const unreadable = mapGet(state.failures, `Service:${key}`) !== undefined;
  if (unreadable || (existing !== undefined && servedSource(existing) !== source)) {
    return {
      reason: "NameCollision",
      message: `Service ${leaderName} exists and is not zen-lead's for this Service; leaving it untouched`,
    };
  }
  const claimants = mapGet(state.claims, objectKey(namespace, leaderName));
  if (claimants !== undefined && claimants.size > 1) {
    // Several sources want one name: the lexically first keeps it, deterministically.
    let first: string | undefined;
    for (const key of mapKeys(claimants)) if (first === undefined || key < first) first = key;
    if (first !== source) {
      return {
        reason: "NameCollision",
        message: `leader Service name ${leaderName} is also wanted by Service ${first}, which keeps it`,
      };
    }
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
  const collision = nameCollision(state, source, svc.namespace, leaderServiceName);
  if (collision !== undefined) {
    return {
      ...base,
      optedIn: true,
      leaderServiceName,
      warnings: [...config.warnings, collision],
      desired: [],
    };
  }

  // Read the leader back only when zen-lead has no memory of this source (a restart): its own
  // slice may still name a leader it has since dropped, its write not yet echoed.
  const current =
    previous !== undefined ? previous.leader : restoredLeader(state, observedOwned(state, source));
  const members = mapGet(state.members, source) ?? [];
  const election = elect({
    config: config.config,
    members,
    current,
    currentMissingReason:
      current === undefined ? "LeaderDeleted" : missingReason(state, svc.namespace, current),
    now: state.now,
  });
  const leader = election.leader;
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
