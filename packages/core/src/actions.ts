/** What the core asks the shell to do: effects as data (the Elm architecture's commands). */
import type { DesiredObject } from "./desired.ts";
import type { Manifest } from "./manifest.ts";
import type { LeaderReason, WarningReason } from "./reasons.ts";

export type OwnedKind = "Service" | "EndpointSlice";

/** Server-side apply of an owned object. */
export interface ApplyAction {
  readonly type: "apply";
  readonly kind: OwnedKind;
  readonly namespace: string;
  readonly name: string;
  /** Create when nothing by that name was observed (the API refuses if something foreign appeared). */
  readonly create: boolean;
  /** Update only the object with this uid (a precondition): never someone else's same-named object. */
  readonly expectedUid?: string;
  readonly desired: DesiredObject;
  readonly manifest: Manifest;
  /** The source Service this write serves. */
  readonly source: string;
}

/** Delete an owned object, with a uid precondition. */
export interface DeleteAction {
  readonly type: "delete";
  readonly kind: OwnedKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly source: string;
  /**
   * Set when the object is a stray EndpointSlice (`strayFor`): another controller's slice for the
   * leader Service, which sent the leader's traffic to every pod it lists. Shells say so (warn).
   */
  readonly stray?: true;
}

export interface LeaderChange {
  readonly from?: string;
  readonly to?: string;
  readonly cause: LeaderReason;
}

/** A Kubernetes Event on the source Service (and a log line). */
export interface EventAction {
  readonly type: "event";
  readonly source: { readonly namespace: string; readonly name: string; readonly uid?: string };
  readonly eventType: "Normal" | "Warning";
  readonly reason: "LeaderChanged" | WarningReason;
  readonly note: string;
  readonly leaderChange?: LeaderChange;
}

/** Something malformed that has no Service to carry an Event: a log line. */
export interface ReportAction {
  readonly type: "report";
  readonly reason: "DecodeFailed";
  readonly object: string;
  readonly message: string;
}

/**
 * Everything the core asks of a shell. Time is not among them: a shell that folds with `advance`
 * sends a `tick` when `State.nextTimerAt` comes (the RxJS operator does so itself).
 */
export type Action = ApplyAction | DeleteAction | EventAction | ReportAction;
