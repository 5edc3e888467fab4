/**
 * Leader election among one source Service's pods: a pure function of the pods, the current
 * leader, the Service's configuration and the time. This is where "why did pod X become leader at
 * time T" is answered.
 */
import type { LeaderConfig } from "./config.ts";
import type { LeaderReason, Warning } from "./reasons.ts";
import { formatDuration } from "./time.ts";
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

/** Why a pod that is not a candidate cannot lead, as a phrase: "is not Ready". */
function whyNotCandidate(pod: PodView): string {
  if (pod.deletedAt !== undefined) return "is terminating";
  if (pod.phase !== "Running") return `is in phase ${pod.phase || "(none)"}, not Running`;
  if (!pod.ready) return "is not Ready";
  return "has no pod IP";
}

/** Whether the pod may lead: not terminating, Running, Ready, with an IP (`disqualification`). */
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
  /** The time of the decision (epoch ms): min-ready is measured up to it, a new leader's `since`. */
  readonly now: number;
  /**
   * How many members are candidates, when the caller knows it (the fold keeps the count as pods
   * change): spares reading every member on each decision. Counted here when absent.
   */
  readonly candidates?: number;
  /**
   * The current leader's pod among `members` when the caller has already looked it up (null: it
   * is not a member). Looked up here when absent.
   */
  readonly currentPod?: PodView | null;
}

/** Who leads and why, from `elect`. */
export interface ElectionResult {
  /** Undefined: no pod may lead (the leader slice gets zero endpoints). */
  readonly leader: LeaderRecord | undefined;
  /** Candidates among the members (`isCandidate`). */
  readonly candidates: number;
  /** `NoReadyPods`, `MinReadyNotMet` or `PreferredLeaderNotCandidate` when they apply. */
  readonly warnings: readonly Warning[];
  /** When to look again (epoch ms, min-ready damping): the earliest time a waiting pod becomes eligible. */
  readonly wakeAt?: number;
  /** Why the current leader had to go, when it had to. */
  readonly lost?: LeaderReason;
  /** The leader's pod among the members (undefined when there is no leader, or it is not one). */
  readonly leaderPod?: PodView;
}

const NO_WARNINGS: readonly Warning[] = Object.freeze([]);

/** The pod with this uid among `members`, if any. */
export function memberWithUid(members: readonly PodView[], uid: string): PodView | undefined {
  for (const pod of members) if (pod.uid === uid) return pod;
  return undefined;
}

/**
 * The leader of one source's pods (docs/semantics.md, "Who leads"), in this order:
 * 1. the `preferred-leader` pod whenever it is a candidate (`PreferredLeader`; min-ready does not
 *    apply to a manual switchover);
 * 2. the current leader while it is a candidate and sticky is on — or, with sticky off, until a
 *    better-ranked eligible pod exists (`BetterCandidate`);
 * 3. else the best-ranked eligible candidate (`compareCandidates`; eligible = Ready for at least
 *    `minReadyMs` at `now`), with the reason the previous leader had to go (`lost`) or `Elected`;
 * 4. else no leader, with `NoReadyPods` or `MinReadyNotMet` and `wakeAt` for the first pod to
 *    become eligible.
 * Pure and total. Runs on every decision, so it allocates only its result (no candidate arrays, no
 * closures).
 */
export function elect(input: ElectionInput): ElectionResult {
  const { config, members, current, now } = input;
  let candidates = input.candidates ?? -1;
  if (candidates < 0) {
    candidates = 0;
    for (const pod of members) if (isCandidate(pod)) candidates++;
  }
  let warnings = NO_WARNINGS;

  // Why the current leader must go (undefined: it may stay).
  let currentPod: PodView | undefined;
  let lost: LeaderReason | undefined;
  if (current !== undefined) {
    currentPod =
      input.currentPod === undefined
        ? memberWithUid(members, current.podUid)
        : (input.currentPod ?? undefined);
    lost = currentPod === undefined ? input.currentMissingReason : disqualification(currentPod);
  }

  // A manual switchover wins whenever its pod is a candidate (min-ready does not apply to it).
  if (config.preferredLeader !== undefined) {
    let preferred: PodView | undefined;
    for (const pod of members) {
      if (pod.name !== config.preferredLeader) continue;
      if (isCandidate(pod)) return chosen(current, pod, "PreferredLeader", candidates, warnings, now);
      preferred = pod;
    }
    warnings = [
      {
        reason: "PreferredLeaderNotCandidate",
        message: `preferred leader ${config.preferredLeader} ${preferred === undefined ? "is not a pod matching this Service's selector" : whyNotCandidate(preferred)}; the usual rules choose`,
      },
    ];
  }

  if (current !== undefined && lost === undefined && config.sticky) {
    return {
      leader: current,
      candidates,
      warnings,
      ...(currentPod !== undefined ? { leaderPod: currentPod } : {}),
    };
  }

  // Without min-ready, eligibility must not depend on clocks (the kubelet's may run ahead of ours).
  let best: PodView | undefined;
  for (const pod of members) {
    if (!isCandidate(pod) || (config.minReadyMs !== 0 && eligibleAt(pod, config) > now)) continue;
    if (best === undefined || compareCandidates(pod, best) < 0) best = pod;
  }

  if (current !== undefined && lost === undefined && currentPod !== undefined) {
    // Sticky is off: move only to a better-ranked eligible pod, and look again when a
    // better-ranked one still waiting out min-ready becomes eligible.
    if (best !== undefined && compareCandidates(best, currentPod) < 0) {
      return chosen(current, best, "BetterCandidate", candidates, warnings, now);
    }
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const pod of members) {
      if (isCandidate(pod) && compareCandidates(pod, currentPod) < 0) {
        wakeAt = Math.min(wakeAt, eligibleAt(pod, config));
      }
    }
    return wakeAt === Number.POSITIVE_INFINITY
      ? { leader: current, candidates, warnings, leaderPod: currentPod }
      : { leader: current, candidates, warnings, wakeAt, leaderPod: currentPod };
  }
  if (best !== undefined) return chosen(current, best, lost ?? "Elected", candidates, warnings, now);

  const more = warnings === NO_WARNINGS ? [] : [...warnings];
  if (candidates === 0) {
    more.push({
      reason: "NoReadyPods",
      message: "no pod matching the selector is Running, Ready, with an IP and not terminating",
    });
    return { leader: undefined, candidates: 0, warnings: more, ...(lost !== undefined ? { lost } : {}) };
  }
  let wakeAt = Number.POSITIVE_INFINITY;
  for (const pod of members) {
    if (isCandidate(pod)) wakeAt = Math.min(wakeAt, (pod.readySince ?? pod.createdAt) + config.minReadyMs);
  }
  more.push({
    reason: "MinReadyNotMet",
    message: `${candidates} Ready pod(s), none Ready for ${formatDuration(config.minReadyMs)} yet; no leader until one is`,
  });
  return {
    leader: undefined,
    candidates,
    warnings: more,
    wakeAt,
    ...(lost !== undefined ? { lost } : {}),
  };
}

/** `pod` leads (a new record, unless it is the current leader already). */
function chosen(
  current: LeaderRecord | undefined,
  pod: PodView,
  reason: LeaderReason,
  candidates: number,
  warnings: readonly Warning[],
  now: number,
): ElectionResult {
  if (current !== undefined && current.podUid === pod.uid) {
    return { leader: current, candidates, warnings, leaderPod: pod };
  }
  return {
    leader: { podName: pod.name, podUid: pod.uid, since: now, reason },
    candidates,
    warnings,
    leaderPod: pod,
  };
}
