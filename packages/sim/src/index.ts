/**
 * @zen-lead/sim — zen-lead's decisions on virtual time: replay an event log recorded from a real
 * cluster, or run a scenario, through the core's own operator against an in-memory API server, and
 * report who led when, every leader change (failovers among them) and when its slice was published,
 * every write, and any broken invariant.
 * Deterministic: the same input gives the same report, byte for byte. See docs/simulator.md.
 */
export { type ApiChange, ApiModel, type StoredObject, type WriteOutcome } from "./api-model.ts";
export {
  type RunOptions,
  runSimulation,
  runSimulationWithPods,
  type SimulationRun,
  type SimulationSetup,
  startSimulation,
} from "./engine.ts";
export * from "./event-log/index.ts";
export { INVARIANTS } from "./invariants.ts";
export {
  type ApiBehaviour,
  type ApiObject,
  type ClusterChange,
  DEFAULT_API_BEHAVIOUR,
  type DecodeFailureRecord,
  type LeaderChangeRecord,
  type LeadershipPeriod,
  type PodAction,
  type PodLane,
  type PodTarget,
  type ReportOmissions,
  type ServiceReport,
  type SimReport,
  type Simulation,
  type TimedChange,
  type Violation,
  type WorldChange,
  type WriteRecord,
} from "./model.ts";
export {
  isZenLeadObject,
  LogCompiler,
  REPLAY_SETTLE_MS,
  type ReplayOptions,
  replayEventLog,
  replayRecords,
  simulationFromLog,
} from "./replay.ts";
export { type HtmlOptions, renderHtml } from "./report/html.ts";
export { renderJson, reportJson } from "./report-json.ts";
export { renderText } from "./report-text.ts";
export * from "./scenario/index.ts";
export { formatAbsolute, formatDuration, formatOffset } from "./time-format.ts";
export { DEFAULT_LIMITS, type ReportLimits } from "./trace.ts";
export {
  type Comparison,
  compareRuns,
  type RunFigures,
  type ServiceComparison,
  whatIfName,
} from "./what-if/comparison.ts";
export { renderComparisonHtml } from "./what-if/comparison-html.ts";
export { comparisonJson, renderComparisonJson } from "./what-if/comparison-json.ts";
export { renderComparisonText } from "./what-if/comparison-text.ts";
export {
  type AnnotationOverride,
  describeOverride,
  LogRewriter,
  OverrideError,
  parseOverride,
  parseOverrides,
  SETTABLE_ANNOTATIONS,
} from "./what-if/overrides.ts";
export type { WorldSpec } from "./world/spec.ts";
export { type CreatedPod, type PodDirectory, WorldError } from "./world/world.ts";
