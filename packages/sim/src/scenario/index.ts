/**
 * Failover scenarios (docs/scenarios.md): a YAML file describing a cluster, a timeline of faults
 * and the expected outcome, compiled into a Simulation the engine runs deterministically.
 */
export { compileScenario, SETTLE_MS } from "./compile.ts";
export { ScenarioError, ScenarioSyntaxError } from "./error.ts";
export { checkExpectations, countedFailovers, leaderAt } from "./expect.ts";
export { decodeScenario, loadScenario, parseScenario } from "./parse.ts";
export { runScenario, type ScenarioRun } from "./run.ts";
export type {
  BarePodSpec,
  DeploymentSpec,
  Expectations,
  Fault,
  NodeSpec,
  PodRef,
  Scenario,
  ServiceSpec,
  TimelineEntry,
} from "./types.ts";
