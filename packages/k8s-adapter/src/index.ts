/**
 * @zen-lead/k8s-adapter — the only code that talks to the API server, and it decides nothing:
 * `watchKind` turns a kind's objects into a never-ending stream of core events (list, watch,
 * recover), `createApplier` performs the core's apply/delete actions safely (plain creates, uid
 * preconditions, a per-object queue with backoff, a global rate limit), and every request to one
 * API server rides one connection pool (`request`), whose health wakes the watches.
 */
export {
  APPLY_PATCH_CONTENT_TYPE,
  type Applier,
  type ApplierOptions,
  applyBody,
  createApplier,
  createBody,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type DriftReport,
  FIELD_MANAGER,
  keyOf,
  kubeWriteTransport,
  NO_OBJECT_RESOURCE_VERSION,
  stageMs,
  TRACE_STAGES,
  type TraceStage,
  type WriteAction,
  type WriteCause,
  type WriteResult,
  type WriteStatus,
  type WriteTrace,
  type WriteTransport,
} from "./applier.ts";
export {
  type ApiConnection,
  createApiConnection,
  HEADERS_TIMEOUT_MS,
  PING_INTERVAL_MS,
  TCP_KEEPALIVE_DELAY_MS,
} from "./connection.ts";
export { type Controller, type ControllerOptions, startController } from "./controller.ts";
export {
  actionOf,
  createEventRecorder,
  type EventProblem,
  type EventRecorder,
  type EventRecorderOptions,
  type EventSink,
  kubeEventSink,
  NOTE_LIMIT_BYTES,
  REPORTING_CONTROLLER,
  type RecordedEvent,
  type RecordOutcome,
  truncateNote,
} from "./events.ts";
export {
  ApiError,
  isNamespaceTerminating,
  type Method,
  onRequest,
  openStream,
  type Query,
  type RequestListener,
  request,
  serverHealth,
  statusOf,
} from "./http.ts";
export {
  createLeaderElector,
  isPermanentRefusal,
  kubeLeaseApi,
  type LeaderElectionOptions,
  type LeaderElector,
  type LeaseApi,
  type LeaseRecord,
  type LeaseSnapshot,
  PERMANENT_REFUSAL_MAX_BACKOFF_MS,
} from "./lease.ts";
export { createWatchLiveness, type WatchLiveness } from "./liveness.ts";
export { type FindOtherInstallOptions, findOtherInstall, type OtherInstallEvent } from "./other-installs.ts";
export {
  createServerHealth,
  type ServerHealth,
  type ServerHealthOptions,
  showsServerUp,
} from "./server-health.ts";
export { type SliceWatch, watchSlices } from "./slice-watch.ts";
export {
  type Arrival,
  collectionPath,
  DEFAULT_WATCH_TIMEOUT_MS,
  kubeTransport,
  type ListPage,
  SLICE_SELECTOR,
  type WatchDiagnostic,
  type WatchDiagnosticKind,
  type WatchOptions,
  type WatchTransport,
  watchKind,
} from "./watch.ts";
