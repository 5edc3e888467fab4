/**
 * A scenario after validation: references checked, namespaces and defaults filled in, durations in
 * milliseconds. `compileScenario` turns it into a Simulation; `checkExpectations` reads its
 * `expect` against a run's report.
 */
import type { Kind } from "@zen-lead/core";
import type {
  BarePodSpec,
  DeploymentSpec,
  NodeSpec,
  ServiceSpec,
  PodRef as WorldPodRef,
} from "../world/spec.ts";

export type {
  BarePodSpec,
  ContainerPortSpec,
  DeploymentSpec,
  NodeSpec,
  ServicePortSpec,
  ServiceSpec,
} from "../world/spec.ts";

/** A pod named by name or by ordinal (`web#2`), resolved by the world model when it is used. */
export type StaticPodRef = WorldPodRef;

/** A pod a fault names: a StaticPodRef, or whoever leads a Service when the fault happens. */
export type PodRef =
  | StaticPodRef
  | { readonly type: "leaderOf"; readonly text: string; readonly service: string /* namespace/name */ };

export type Fault =
  | { readonly type: "crashLeader"; readonly service: string }
  /** Another writer removes zen-lead's labels from its leader Service and slices for `service`. */
  | { readonly type: "stripLabels"; readonly service: string }
  | { readonly type: "deletePod"; readonly target: PodRef; readonly graceMs: number }
  | { readonly type: "readiness"; readonly target: PodRef; readonly ready: boolean }
  | { readonly type: "flap"; readonly target: PodRef; readonly times: number; readonly everyMs: number }
  | { readonly type: "rollingUpdate"; readonly deployment: string }
  | { readonly type: "drainNode"; readonly node: string; readonly graceMs?: number }
  | {
      readonly type: "annotate";
      readonly service: string;
      readonly annotations: Readonly<Record<string, string | null>>;
    }
  | { readonly type: "restartController" }
  | { readonly type: "watchGap"; readonly kind: Kind; readonly forMs: number }
  | { readonly type: "apiLatency"; readonly writeMs?: number; readonly watchMs?: number }
  | {
      readonly type: "apiFailures";
      readonly rate: number;
      readonly codes: readonly (409 | 429 | 500)[];
      readonly forMs?: number;
    }
  | { readonly type: "scale"; readonly deployment: string; readonly replicas: number };

export interface TimelineEntry {
  readonly at: number;
  /** Position in the file's timeline (for messages: `timeline[3]`). */
  readonly index: number;
  readonly fault: Fault;
}

export interface FailoverExpectation {
  readonly service: string;
  readonly count?: number;
  readonly atLeast?: number;
  readonly atMost?: number;
  readonly maxLatencyMs?: number;
}

export interface Expectations {
  readonly noViolations?: boolean;
  readonly leaderAt: readonly {
    readonly at: number;
    readonly service: string;
    readonly pod: StaticPodRef | null;
  }[];
  readonly leaderOneOf: readonly {
    readonly at: number;
    readonly service: string;
    readonly pods: readonly StaticPodRef[];
  }[];
  readonly failovers: readonly FailoverExpectation[];
  readonly warnings: readonly { readonly service: string; readonly reason: string }[];
  readonly noWarnings: readonly string[];
  readonly writesAtMost: readonly {
    readonly count: number;
    readonly fromMs?: number;
    readonly toMs?: number;
  }[];
}

export interface Scenario {
  /** The file it came from (prefixes messages). */
  readonly file: string;
  /** The 1-based line of a field in the file (0 when unknown), for errors found when the scenario runs. */
  readonly lineOf?: (path: readonly (string | number)[]) => number;
  readonly name: string;
  readonly description?: string;
  readonly seed: number;
  /** Epoch ms of `start` (virtual time 0). */
  readonly epochMs: number;
  /** Run length; absent: the last change plus a settling time (compile.ts). */
  readonly untilMs?: number;
  readonly api: { readonly watchLatencyMs: number; readonly writeLatencyMs: number };
  readonly nodes: readonly NodeSpec[];
  readonly deployments: readonly DeploymentSpec[];
  readonly pods: readonly BarePodSpec[];
  readonly services: readonly ServiceSpec[];
  /** In file order (compile sorts by time, keeping file order for equal times). */
  readonly timeline: readonly TimelineEntry[];
  readonly expect: Expectations;
}
