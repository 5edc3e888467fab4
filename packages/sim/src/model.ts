/**
 * The simulator's shared vocabulary: what the world does (WorldChange), how the simulated API
 * server behaves (ApiBehaviour), and what a run reports (SimReport). Scenarios and event logs are
 * both compiled into a Simulation; the engine runs it through the core's operator on virtual time.
 * All times are virtual milliseconds from the start of the run.
 */
import type { Kind } from "@zen-lead/core";
import type { PodRef, WorldSpec } from "./world/spec.ts";

/** An API object as JSON (what the API server stores and watches deliver). */
export type ApiObject = Readonly<Record<string, unknown>> & {
  readonly metadata: Readonly<Record<string, unknown>> & {
    readonly name: string;
    readonly namespace?: string;
  };
};

/**
 * Something that happens in the cluster at a time, other than zen-lead's own writes.
 * `put` stores the object as given (the API model assigns uid/resourceVersion when missing);
 * `remove` deletes it. Object changes are what event logs contain. Scenario faults compile to the
 * world model's changes (ClusterChange), which it carries out when they happen (world/world.ts).
 */
export type WorldChange =
  | {
      readonly type: "put";
      readonly kind: Kind;
      readonly object: ApiObject;
      /**
       * The object's key as the API model stores it (core `objectKey` of `storedNamespace` and
       * name), when the producer built it already (a replay does, to track relists); else computed.
       */
      readonly key?: string;
    }
  | { readonly type: "remove"; readonly kind: Kind; readonly namespace: string; readonly name: string }
  | ClusterChange
  /** The controller process restarts: its in-memory state is lost and rebuilt from fresh lists. */
  | { readonly type: "controllerRestart" }
  /** The controller's watch of `kind` drops: no events until `until`, then a relist (atomic resync). */
  | { readonly type: "watchGap"; readonly kind: Kind; readonly until: number }
  /** From now on the API server behaves like this (latency, failures). */
  | { readonly type: "apiBehaviour"; readonly behaviour: Partial<ApiBehaviour> };

/**
 * What the cluster's own controllers and kubelets do, decided when it happens by the world model
 * (world/world.ts) against the API model as it is then. `where` locates the change in its input
 * (`["timeline", 2, "readiness"]`) for the message when it names a pod that does not exist then.
 */
export type ClusterChange =
  /** Pods chosen when it happens (e.g. "whoever leads web now"), see PodTarget. */
  | {
      readonly type: "pod";
      readonly target: PodTarget;
      readonly action: PodAction;
      readonly where?: readonly (string | number)[];
    }
  /** A Service of the WorldSpec (`namespace/name`) gets annotations set (a string) or removed (null). */
  | {
      readonly type: "annotate";
      readonly service: string;
      readonly annotations: Readonly<Record<string, string | null>>;
      readonly where?: readonly (string | number)[];
    }
  /**
   * Another writer (a `kubectl label ... app.kubernetes.io/managed-by-`) removes zen-lead's labels
   * from the objects zen-lead owns for the source Service (`namespace/name`), keeping everything else.
   */
  | { readonly type: "stripLabels"; readonly service: string }
  /** A Deployment of the WorldSpec (`namespace/name`) rolls out a new pod template. */
  | { readonly type: "rollingUpdate"; readonly deployment: string }
  /** A Deployment of the WorldSpec is scaled to `replicas`. */
  | { readonly type: "scale"; readonly deployment: string; readonly replicas: number }
  /** A node of the WorldSpec is cordoned and its pods terminate (`graceMs`, else their own, at least 30 s). */
  | { readonly type: "drainNode"; readonly node: string; readonly graceMs?: number };

/**
 * Which pods a `pod` change hits, resolved by the world model at the change's time against the API
 * model: a pod by key, the pod zen-lead's leader slice for a source names, every pod on a node, or a
 * pod named the way a scenario names one (an error when it does not exist then).
 */
export type PodTarget =
  | { readonly pod: string /* namespace/name */ }
  | { readonly leaderOf: string /* namespace/name of the source Service */ }
  | { readonly onNode: string }
  | { readonly ref: PodRef };

/**
 * What happens to the targeted pods, as a kubelet/API server would write it:
 * - setReady: the Ready condition flips (lastTransitionTime = now); with `revertAfterMs`, it flips
 *   back that much later (the same pod, if it still exists): a flap;
 * - terminate: graceful deletion — deletionTimestamp set now, the pod removed after graceMs;
 * - delete: removed at once (grace period 0, or a crash followed by the kubelet's cleanup).
 */
export type PodAction =
  | { readonly type: "setReady"; readonly ready: boolean; readonly revertAfterMs?: number }
  | { readonly type: "terminate"; readonly graceMs: number }
  | { readonly type: "delete" };

/** A world change and when it happens (virtual ms). */
export interface TimedChange {
  readonly at: number;
  readonly change: WorldChange;
}

/** How the simulated API server behaves; `DEFAULT_API_BEHAVIOUR` until a change says otherwise. */
export interface ApiBehaviour {
  /** Delay from a write's acceptance to its watch event reaching the controller (ms). */
  readonly watchLatencyMs: number;
  /** Delay from the controller sending a write to the API server answering it (ms). */
  readonly writeLatencyMs: number;
  /** Probability in [0, 1] that a write fails (drawn from the seeded PRNG)... */
  readonly writeFailureRate: number;
  /** ...and the status it fails with (drawn among these). */
  readonly writeFailureCodes: readonly (409 | 429 | 500)[];
}

/** A healthy API server: 5 ms to watch and to answer, no failures. */
export const DEFAULT_API_BEHAVIOUR: ApiBehaviour = {
  watchLatencyMs: 5,
  writeLatencyMs: 5,
  writeFailureRate: 0,
  writeFailureCodes: [500],
};

/** Everything a run needs: deterministic for the same value (the seed drives every random draw). */
export interface Simulation {
  readonly name: string;
  readonly source: "scenario" | "replay";
  readonly seed: number;
  /** Epoch ms of virtual time 0 (timestamps in objects are absolute; the clock starts here). */
  readonly epochMs: number;
  readonly api: ApiBehaviour;
  /** The cluster before the controller starts (listed by its initial watches at time 0). */
  readonly initial: readonly { readonly kind: Kind; readonly object: ApiObject }[];
  /**
   * A scenario's cluster, created at time 0 after `initial` by the world model, which then runs its
   * kubelets and ReplicaSets (absent in replays: the log is the world).
   */
  readonly world?: WorldSpec;
  /** Sorted by `at`; changes with equal times keep their order. */
  readonly timeline: readonly TimedChange[];
  /** Run until this virtual time (ms), so trailing timers and retries can finish. */
  readonly endAt: number;
}

// ---------------------------------------------------------------------------------------------
// What a run reports. JSON schema: docs/simulator.md (stable; `formatVersion` bumps on change).

/** A pod's time as a Service's leader (as the controller decided it). */
export interface LeadershipPeriod {
  /** The pod's name (in the Service's namespace). */
  readonly pod: string;
  readonly from: number;
  /** Absent while it still leads at the end of the run. */
  readonly to?: number;
  /** Why it became leader (a core LeaderReason). */
  readonly reason: string;
}

/**
 * A change of leader (a `LeaderChanged` Event): the first election, a failover (leadership taken
 * from a sitting leader, to another pod or to none), or a leader chosen after a time without one.
 */
export interface LeaderChangeRecord {
  /** When zen-lead decided (the virtual time of the event that caused it). */
  readonly at: number;
  /** The previous leader's and the new one's pod names; absent: none (`from` absent: not a failover). */
  readonly from?: string;
  readonly to?: string;
  /** Why (a core LeaderReason, e.g. LeaderNotReady). */
  readonly cause: string;
  /** Virtual time of the world change that triggered it (e.g. the pod turning NotReady). */
  readonly triggerAt: number;
  /** Virtual time the new slice was accepted by the API server; absent if it never was. */
  readonly sliceAt?: number;
  /** sliceAt - triggerAt, ms. */
  readonly latencyMs?: number;
}

/** A pod as a lane of the timeline: when it existed and when it was a Ready candidate. */
export interface PodLane {
  /** The pod's name (in the Service's namespace). */
  readonly pod: string;
  readonly created: number;
  readonly deleted?: number;
  readonly ready: readonly { readonly from: number; readonly to?: number }[];
}

/**
 * A Service's run in four numbers, counted over the whole run whatever the report's list limits
 * (what a what-if replay compares, docs/simulator.md).
 */
export interface ServiceTotals {
  /** LeaderChanged events: every change of leader, the first election and losing the leader included. */
  readonly leaderChanges: number;
  /** Of those, the ones that took leadership from a sitting leader (to another pod or to none). */
  readonly failovers: number;
  /** Virtual ms, from the controller's first decision for the Service to the end, it had no leader. */
  readonly leaderlessMs: number;
  /** Write requests for the Service's objects that reached the API server (failed ones included). */
  readonly writes: number;
}

/** One source Service's run: its leaders, failovers, pods and warnings (lists bounded by the limits). */
export interface ServiceReport {
  /** `namespace/name` of the source Service. */
  readonly service: string;
  /** `namespace/name` of its leader Service; absent when zen-lead never decided one. */
  readonly leaderService?: string;
  /**
   * Whether zen-lead's last decision for it opted it in (`zen-lead.io/enabled: "true"`, semantics.md
   * "Opt-in"). False for a Service listed only for its warnings (an `enabled` value zen-lead refused)
   * or opted out before the run ended: zen-lead follows no pods of a Service that is not opted in,
   * so its `pods` are those seen while it was (none if it never was).
   */
  readonly optedIn: boolean;
  readonly totals: ServiceTotals;
  readonly leadership: readonly LeadershipPeriod[];
  /** Every change of leader, in order (bounded by the limits; `totals.leaderChanges` counts all). */
  readonly leaderChanges: readonly LeaderChangeRecord[];
  readonly pods: readonly PodLane[];
  /** Warning reasons raised for this Service, in order, with their times. */
  readonly warnings: readonly { readonly at: number; readonly reason: string; readonly message: string }[];
}

/** One write request of the controller's that reached the API server. */
export interface WriteRecord {
  /** When it reached the API server, which applied and answered it at once. */
  readonly at: number;
  readonly verb: "create" | "update" | "delete";
  readonly kind: "Service" | "EndpointSlice";
  /** `namespace/name`. */
  readonly object: string;
  /** HTTP-like outcome from the API model: 200/201, or the injected failure code. */
  readonly status: number;
  /** `namespace/name` of the source Service it was for. */
  readonly source: string;
}

/** A write that did not succeed: any answer other than 2xx (the report's "failed writes"). */
export function isFailedWrite(write: Pick<WriteRecord, "status">): boolean {
  return write.status >= 300;
}

/** A broken invariant (invariants.ts), when the run saw it. */
export interface Violation {
  readonly at: number;
  /** One of INVARIANTS' names. */
  readonly invariant: string;
  readonly message: string;
}

/**
 * An object the controller could not decode, from the core's `report` actions (ReportAction):
 * one record per run of reports of one object with one message — a report with the message of the
 * object's latest record extends that record (`count`, `lastAt`), another message starts a new
 * one. A Service's decode failure is a Warning on the Service instead (ServiceReport.warnings).
 */
export interface DecodeFailureRecord {
  /** When the controller first reported it (virtual ms). */
  readonly at: number;
  /** The object as the core names it: `Pod default/web-0`, `Node node-1`, `Pod (unnamed)`. */
  readonly object: string;
  /** Why (a ReportAction reason: `DecodeFailed`). */
  readonly reason: string;
  /** What is wrong with it, one line (the core decoder's; it may quote the object's content). */
  readonly message: string;
  /** How many reports the record stands for (each a watch event delivering the object), ≥ 1. */
  readonly count: number;
  /** When the controller last reported it (virtual ms; `at` when reported once). */
  readonly lastAt: number;
}

/** What a run reports: deterministic for the same Simulation (JSON schema: docs/simulator.md). */
export interface SimReport {
  readonly formatVersion: 2;
  readonly name: string;
  readonly source: "scenario" | "replay";
  readonly seed: number;
  /** Epoch ms of virtual time 0: the only source of absolute (RFC 3339) times in renderings. */
  readonly epochMs?: number;
  /** Where the run ended (virtual ms). */
  readonly endAt: number;
  readonly services: readonly ServiceReport[];
  readonly writes: readonly WriteRecord[];
  readonly violations: readonly Violation[];
  /** Objects the controller could not decode, by first report (bounded by the run's limits). */
  readonly decodeFailures: readonly DecodeFailureRecord[];
  readonly stats: {
    readonly events: number;
    readonly writes: number;
    readonly failedWrites: number;
    /** LeaderChanged events: every change of leader, first elections included (the Services' `totals.leaderChanges` summed). */
    readonly leaderChanges: number;
    /** Of those, the failovers: leadership taken from a sitting leader (the Services' `totals.failovers` summed). */
    readonly failovers: number;
    /** The controller's `report` actions (DecodeFailed), every one, listed or not. */
    readonly decodeFailures: number;
    /**
     * Trigger to slice accepted (ms), over every leader change whose slice was published
     * (including any left out of the lists).
     */
    readonly publishLatencyMs?: {
      readonly count: number;
      readonly min: number;
      readonly mean: number;
      readonly max: number;
    };
  };
  /**
   * Items left out of the report's lists by the run's limits, so a long replay's report stays
   * bounded (absent when nothing was left out). Stats always count everything.
   */
  readonly omitted?: ReportOmissions;
}

/** The report's bounded lists, in the order reports print them. */
export const OMISSION_KEYS = [
  "leadership",
  "leaderChanges",
  "warnings",
  "pods",
  "readyIntervals",
  "writes",
  "decodeFailures",
  "violations",
] as const;

/**
 * Counts of list items the report left out (each list keeps its first items up to a limit);
 * `decodeFailures` counts reports, not records (a record left out cannot be tracked in bounded
 * memory), so the listed records' counts plus it make `stats.decodeFailures`.
 */
export type ReportOmissions = Readonly<Record<(typeof OMISSION_KEYS)[number], number>>;
