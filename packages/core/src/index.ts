/**
 * @zen-lead/core — zen-lead's decisions, with no I/O: decode API objects into views, fold cluster
 * events into a State with `step`, read each source's Decision, `plan` the writes, and wire it all
 * as an RxJS operator whose scheduler you choose.
 */
export type {
  Action,
  ApplyAction,
  DeleteAction,
  EventAction,
  LeaderChange,
  OwnedKind,
  ReportAction,
} from "./actions.ts";
export { type LeaderConfig, readSourceConfig, type SourceConfig } from "./config.ts";
export { decide, observedOwned, publishedLeader, type WantedName, wantedNames } from "./decide.ts";
export { decode, decodeEndpointSlice, decodeNode, decodePod, decodeService } from "./decode.ts";
export { type DesiredObject, type DesiredService, type DesiredSlice, desiredObjects } from "./desired.ts";
export {
  compareCandidates,
  disqualification,
  type ElectionInput,
  elect,
  isCandidate,
  type LeaderRecord,
} from "./elect.ts";
export { deepEqual } from "./equal.ts";
export { type ClusterEvent, fromWatch, REQUIRED_KINDS, type WatchType } from "./events.ts";
export {
  ANNOTATIONS,
  FORBIDDEN_LABELS,
  LABELS,
  MANAGED_BY,
  SLICE_MANAGED_BY,
  selectorMatches,
} from "./labels.ts";
export { type Manifest, manifestOf, replacementOf } from "./manifest.ts";
export { driftOf, matches } from "./matches.ts";
export { defaultLeaderServiceName, isDns1035Label, leaderSliceName } from "./names.ts";
export { type OperatorOptions, reconcileActions } from "./operator.ts";
export { isOwnedAt, isOwnedBy, isZenLeadSlice, servedSource } from "./ownership.ts";
export { emptyMap, mapEntries, mapGet, mapKeys, mapValues, type PersistentMap } from "./persistent-map.ts";
export { type OwnedView, plan } from "./plan.ts";
export { isLeaderReason, type LeaderReason, type Warning, type WarningReason } from "./reasons.ts";
export {
  type Advance,
  advance,
  DEFAULT_OPTIONS,
  eventsFor,
  type ReconcileOptions,
  suppressionMs,
} from "./reconcile.ts";
export { MAX_TIMER_MS, scheduleAfter } from "./schedule.ts";
export {
  type Decision,
  decisionEntries,
  decisionOf,
  initialState,
  membersOf,
  podOf,
  type SourceRecord,
  type State,
} from "./state.ts";
export { type DecisionChange, isSynced, step } from "./step.ts";
export {
  type DurationReading,
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
  readDuration,
} from "./time.ts";
export * from "./views.ts";
export {
  backoffCeiling,
  backoffDelay,
  type Dispatch,
  isTransient,
  WRITE_QUEUE_DEFAULTS,
  type WriteAnswer,
  WriteQueue,
  type WriteQueueOptions,
} from "./write-queue.ts";
