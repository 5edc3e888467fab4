/**
 * A scenario after validation: references checked, namespaces and defaults filled in, durations in
 * milliseconds. `compileScenario` turns it into a Simulation; `checkExpectations` reads its
 * `expect` against a run's report.
 */
import type { Kind } from "@zen-lead/core";

export interface ContainerPortSpec {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

export interface NodeSpec {
  readonly name: string;
  readonly zone?: string;
}

export interface DeploymentSpec {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  /** Pod template labels (default `app: <name>`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly containerPorts: readonly ContainerPortSpec[];
  readonly readyAfterMs: number;
  readonly terminationGraceMs: number;
  /** Nodes its pods spread over, in order (default: every node). */
  readonly nodes: readonly string[];
  /** How long before the start the Deployment was created (its first pod one second later). */
  readonly ageMs: number;
}

export interface BarePodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly node: string;
  readonly containerPorts: readonly ContainerPortSpec[];
  readonly ready: boolean;
  readonly phase: string;
  readonly ageMs: number;
  readonly readyAfterMs: number;
}

export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly appProtocol?: string;
  readonly nodePort?: number;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePortSpec[];
  readonly type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  readonly headless: boolean;
  readonly ipFamilies: readonly ("IPv4" | "IPv6")[];
  readonly externalName?: string;
}

/**
 * A pod a fault or an expectation names: a literal name (namespace known or to be found among the
 * pods), the n-th pod a Deployment created, or whoever leads a Service when the fault happens.
 */
export type PodRef =
  | { readonly type: "name"; readonly text: string; readonly namespace?: string; readonly name: string }
  | {
      readonly type: "ordinal";
      readonly text: string;
      readonly namespace: string;
      readonly deployment: string;
      readonly ordinal: number;
    }
  | { readonly type: "leaderOf"; readonly text: string; readonly service: string /* namespace/name */ };

export type StaticPodRef = Exclude<PodRef, { readonly type: "leaderOf" }>;

export type Fault =
  | { readonly type: "crashLeader"; readonly service: string }
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
