/**
 * Machine-readable reasons. Every decision carries one; the adapter turns them into Kubernetes
 * Events (reason field) and metric labels, the simulator into its timeline.
 */

/** Why a pod is (still) the leader, or why the previous one was replaced. */
export type LeaderReason =
  /** First leader chosen: earliest created candidate. */
  | "Elected"
  /** Read back from the observed leader EndpointSlice after a controller restart. */
  | "Restored"
  /** The `zen-lead.io/preferred-leader` pod became a candidate. */
  | "PreferredLeader"
  /** Sticky off: a better-ranked candidate took over. */
  | "BetterCandidate"
  | "LeaderTerminating"
  | "LeaderNotReady"
  | "LeaderNotRunning"
  | "LeaderLostIP"
  | "LeaderNoLongerSelected"
  | "LeaderDeleted";

/** Conditions worth a Warning Event: something the user should look at. */
export type WarningReason =
  | "NoReadyPods"
  | "MinReadyNotMet"
  | "NamedPortUnresolved"
  | "NameCollision"
  | "InvalidAnnotation"
  | "NoSelector"
  | "ExternalNameSource"
  | "PreferredLeaderNotCandidate"
  | "DecodeFailed";

export interface Warning {
  readonly reason: WarningReason;
  readonly message: string;
}
