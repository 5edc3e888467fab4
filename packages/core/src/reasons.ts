/**
 * Machine-readable reasons. Every decision carries one; the adapter turns them into Kubernetes
 * Events (reason field) and metric labels, the simulator into its timeline.
 */

/** Why a pod is (still) the leader, or why the previous one was replaced. */
export type LeaderReason =
  /** First leader chosen: earliest created candidate. */
  | "Elected"
  /**
   * Read back after a restart from a leader Service that does not say why its leader leads
   * (written before `zen-lead.io/leader-reason` existed); otherwise the published reason is kept.
   */
  | "Restored"
  /** The `zen-lead.io/preferred-leader` pod became a candidate. */
  | "PreferredLeader"
  /** Sticky off: a better-ranked candidate took over. */
  | "BetterCandidate"
  /** The previous leader got a deletionTimestamp (it started terminating). */
  | "LeaderTerminating"
  /** The previous leader turned NotReady, or its object could no longer be decoded. */
  | "LeaderNotReady"
  /** The previous leader left phase Running. */
  | "LeaderNotRunning"
  /** The previous leader lost its pod IP. */
  | "LeaderLostIP"
  /** The previous leader's labels stopped matching the selector. */
  | "LeaderNoLongerSelected"
  /** The previous leader's pod disappeared. */
  | "LeaderDeleted";

const LEADER_REASONS: ReadonlySet<string> = new Set<LeaderReason>([
  "Elected",
  "Restored",
  "PreferredLeader",
  "BetterCandidate",
  "LeaderTerminating",
  "LeaderNotReady",
  "LeaderNotRunning",
  "LeaderLostIP",
  "LeaderNoLongerSelected",
  "LeaderDeleted",
]);

/** Is this text one of the LeaderReason values (as read back from an annotation)? */
export function isLeaderReason(text: string | undefined): text is LeaderReason {
  return text !== undefined && LEADER_REASONS.has(text);
}

/** Conditions worth a Warning Event: something the user should look at. */
export type WarningReason =
  /**
   * No pod matching the selector is a candidate (Running, Ready, with an IP, not terminating): the
   * leader slice has no endpoint.
   */
  | "NoReadyPods"
  /** Candidates exist, none Ready for `min-ready-duration` yet: no leader until one is. */
  | "MinReadyNotMet"
  /** A named targetPort is not a container port of the leader: no endpoint (fail closed). */
  | "NamedPortUnresolved"
  /**
   * The leader has no IP of a family the source serves (`spec.ipFamilies`): that family's slice has
   * no endpoint. Every family missing: the leader Service reaches no pod; one of two: only that
   * family's ClusterIP reaches none. The leader stays (docs/semantics.md).
   */
  | "NoAddressOfFamily"
  /**
   * A name the source needs (its leader Service, the slice of an IP family) is held by an object
   * that is not zen-lead's for it, or by another source: nothing is written for the source.
   */
  | "NameCollision"
  /** A `zen-lead.io/*` annotation has a value that cannot be used; the default applies. */
  | "InvalidAnnotation"
  /** Opted in without a selector: there are no pods to lead. */
  | "NoSelector"
  /** Opted in as an ExternalName Service: there are no pods to lead. */
  | "ExternalNameSource"
  /** The preferred leader is not a candidate; the usual rules choose. */
  | "PreferredLeaderNotCandidate"
  /** The source Service cannot be decoded: it is frozen, nothing is written for it. */
  | "DecodeFailed"
  /**
   * Emitted by the shell, not by a decision: a write of an owned object left it different from what
   * zen-lead wants even after taking the fields over (another writer, an admission webhook).
   */
  | "DriftNotCorrected"
  /**
   * Emitted by the shell, not by a decision: zen-lead deleted a stray EndpointSlice another
   * controller made for its leader Service (after someone gave that Service a selector); while it
   * existed, the leader Service's traffic reached every pod it listed.
   */
  | "StrayEndpointSlice"
  /**
   * Emitted by the shell, not by a decision: the API server refused a write of an owned object (an
   * admission policy or webhook, RBAC, a quota); zen-lead asks again every 30 s until it lands.
   */
  | "WriteRejected"
  /**
   * Emitted by the shell, not by a decision: another zen-lead install announces leader changes
   * for this Service too (two installs over one namespace do every change twice).
   */
  | "OtherInstall";

/**
 * What happened to a leader that lost its place, as a phrase about its pod (`podName`): "web-0 no
 * longer matches the Service's selector" — for the notes of `LeaderChanged` Events, which must say
 * what happened, not only its reason. Undefined for a reason that says nothing about the previous
 * leader (`Elected`, `Restored`, `PreferredLeader`).
 */
export function lossText(reason: LeaderReason, podName: string): string | undefined {
  switch (reason) {
    case "LeaderDeleted":
      return `${podName} was deleted`;
    case "LeaderTerminating":
      return `${podName} is terminating`;
    case "LeaderNotReady":
      return `${podName} is no longer Ready (or its pod can no longer be read)`;
    case "LeaderNotRunning":
      return `${podName} is no longer Running`;
    case "LeaderLostIP":
      return `${podName} has no pod IP`;
    case "LeaderNoLongerSelected":
      return `${podName} no longer matches the Service's selector`;
    case "BetterCandidate":
      return `${podName} is outranked by a better-ranked Ready pod (sticky is off)`;
    default:
      return undefined;
  }
}

export interface Warning {
  readonly reason: WarningReason;
  readonly message: string;
}
