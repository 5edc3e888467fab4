/**
 * Running a scenario: compiled, run through the engine, its report and the pods its world model
 * created (expectations name them by ordinal). A fault that names a pod the run does not have at
 * that moment is the scenario's error, reported like any other: one line naming the field.
 */
import { type RunOptions, runSimulationWithPods } from "../engine.ts";
import type { SimReport, Simulation } from "../model.ts";
import { type PodDirectory, WorldError } from "../world/world.ts";
import { compileScenario } from "./compile.ts";
import { ScenarioError } from "./error.ts";
import { formatPath } from "./parse.ts";
import type { Scenario } from "./types.ts";

export interface ScenarioRun {
  readonly simulation: Simulation;
  readonly report: SimReport;
  /** The pods the run created, with their `<deployment>#<n>` aliases. */
  readonly pods: PodDirectory;
}

/** Compiles and runs a scenario. Throws ScenarioError when a fault names a pod that is not there then. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioRun {
  const simulation = compileScenario(scenario);
  try {
    return { simulation, ...runSimulationWithPods(simulation, options) };
  } catch (error) {
    if (!(error instanceof WorldError)) throw error;
    const line = scenario.lineOf?.(error.where) ?? 0;
    throw new ScenarioError(scenario.file, formatPath(error.where), error.reason, line, { cause: error });
  }
}
