/**
 * Leader election among one source Service's pods: a pure function of the pods, the current
 * leader, the Service's configuration and the time. This is where "why did pod X become leader at
 * time T" is answered.
 */
import type { LeaderConfig } from "./config.ts";
import type { LeaderReason, Warning } from "./reasons.ts";
import type { PodView } from "./views.ts";

export interface LeaderRecord {
  readonly podName: string;
  readonly podUid: string;
  /** When this pod became leader (epoch ms). */
  readonly since: number;
  /** Why it became leader: Elected, PreferredLeader, or why its predecessor was replaced. */
  readonly reason: LeaderReason;
}

/** Why a pod cannot lead right now, or undefined when it is a candidate. */
export function disqualification(pod: PodView): LeaderReason | undefined {
  if (pod.deletedAt !== undefined) return "LeaderTerminating";
  if (pod.phase !== "Running") return "LeaderNotRunning";
  if (!pod.ready) return "LeaderNotReady";
  if (pod.ips.length === 0) return "LeaderLostIP";
  return undefined;
}

export function isCandidate(pod: PodView): boolean {
  return disqualification(pod) === undefined;
}

/** Earliest created first, then the lexically first name: deterministic, as the Go original documents. */
export function compareCandidates(a: PodView, b: PodView): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** When a candidate has been Ready for the min-ready duration. */
function eligibleAt(pod: PodView, config: LeaderConfig): number {
  return (pod.readySince ?? pod.createdAt) + config.minReadyMs;
}

export interface ElectionInput {
  readonly config: LeaderConfig;
  /** Pods of the Service's namespace that match its selector. */
  readonly members: readonly PodView[];
  /** The leader zen-lead last chose (or read back from the cluster after a restart). */
  readonly current: LeaderRecord | undefined;
  /** Why the current leader is no longer among `members` (deleted, unselected), if it is not. */
  readonly currentMissingReason: LeaderReason;
  readonly now: number;
}

export interface ElectionResult {
  readonly leader: LeaderRecord | undefined;
  readonly candidates: number;
  readonly warnings: readonly Warning[];
  /** When to look again (min-ready damping): the earliest time a waiting pod becomes eligible. */
  readonly wakeAt?: number;
  /** Why the current leader had to go, when it had to. */
  readonly lost?: LeaderReason;
}

export function elect(input: ElectionInput): ElectionResult {
  const { config, members, current, now } = input;
  const candidates = members.filter(isCandidate);
  const warnings: Warning[] = [];

  // Why the current leader must go (undefined: it may stay).
  let currentPod: PodView | undefined;
  let lost: LeaderReason | undefined;
  if (current !== undefined) {
    currentPod = members.find((p) => p.uid === current.podUid);
    lost = currentPod === undefined ? input.currentMissingReason : disqualification(currentPod);
  }
  const keep = (): ElectionResult => ({ leader: current, candidates: candidates.length, warnings });
  const choose = (pod: PodView, reason: LeaderReason): ElectionResult => {
    if (current !== undefined && current.podUid === pod.uid) return keep();
    return {
      leader: { podName: pod.name, podUid: pod.uid, since: now, reason },
      candidates: candidates.length,
      warnings,
    };
  };
  const changeReason = (fallback: LeaderReason): LeaderReason =>
    lost ?? (current === undefined ? "Elected" : fallback);

  // A manual switchover wins whenever its pod is a candidate (min-ready does not apply to it).
  if (config.preferredLeader !== undefined) {
    const preferred = candidates.find((p) => p.name === config.preferredLeader);
    if (preferred !== undefined) return choose(preferred, "PreferredLeader");
    warnings.push({
      reason: "PreferredLeaderNotCandidate",
      message: `preferred leader ${config.preferredLeader} is not a Ready pod of this Service`,
    });
  }

  if (current !== undefined && lost === undefined && config.sticky) return keep();

  // Without min-ready, eligibility must not depend on clocks (the kubelet's may run ahead of ours).
  const eligible =
    config.minReadyMs === 0 ? candidates : candidates.filter((p) => eligibleAt(p, config) <= now);
  let best: PodView | undefined;
  for (const pod of eligible) if (best === undefined || compareCandidates(pod, best) < 0) best = pod;

  if (current !== undefined && lost === undefined && currentPod !== undefined) {
    // Sticky is off: move only to a better-ranked eligible pod, and look again when a
    // better-ranked one still waiting out min-ready becomes eligible.
    if (best !== undefined && compareCandidates(best, currentPod) < 0) return choose(best, "BetterCandidate");
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const pod of candidates) {
      if (compareCandidates(pod, currentPod) < 0) wakeAt = Math.min(wakeAt, eligibleAt(pod, config));
    }
    return wakeAt === Number.POSITIVE_INFINITY ? keep() : { ...keep(), wakeAt };
  }
  if (best !== undefined) return choose(best, changeReason("Elected"));

  if (candidates.length === 0) {
    warnings.push({
      reason: "NoReadyPods",
      message: "no Running, Ready pod with an IP matches the selector",
    });
    return { leader: undefined, candidates: 0, warnings, ...(lost !== undefined ? { lost } : {}) };
  }
  let wakeAt = Number.POSITIVE_INFINITY;
  for (const pod of candidates)
    wakeAt = Math.min(wakeAt, (pod.readySince ?? pod.createdAt) + config.minReadyMs);
  warnings.push({
    reason: "MinReadyNotMet",
    message: `${candidates.length} Ready pod(s), none Ready for ${config.minReadyMs}ms yet; no leader until one is`,
  });
  return {
    leader: undefined,
    candidates: candidates.length,
    warnings,
    wakeAt,
    ...(lost !== undefined ? { lost } : {}),
  };
}
