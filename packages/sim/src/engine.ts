/**
 * The simulation engine: runs zen-lead's real decision code — the core's `reconcileActions`
 * operator, exactly as the controller wires it — against the in-memory API model on virtual time,
 * applies the world's changes at their times, and records what happened for the report.
 *
 * The loop, all on one VirtualTimeScheduler (virtual-clock.ts):
 *   world change ──put/remove──> ApiModel ──accepted change──> WatchStream ──+watchLatencyMs──> operator
 *   operator ──apply/delete──> Applier ──+writeLatencyMs──> ApiModel (and back round the loop)
 * What the cluster does by itself (kubelets, ReplicaSets, drains) is the world model's
 * (world/world.ts): the engine hands it the changes that are its business and stores what it writes.
 *
 * A run is a pure function of its Simulation: no wall clock, no I/O, randomness only from the seed.
 * `runSimulation` takes a whole Simulation; `startSimulation` takes the timeline in pieces, so a
 * replay can stream a log far larger than memory through it (replay.ts).
 */
import {
  type Action,
  type ClusterEvent,
  DEFAULT_OPTIONS,
  type Decision,
  type DecisionChange,
  type Decoded,
  decisionOf,
  type EndpointSliceView,
  isCandidate,
  isFailure,
  type Kind,
  type LeaderReason,
  membersOf,
  objectKey,
  type PodView,
  reconcileActions,
  type State,
  WRITE_QUEUE_DEFAULTS,
} from "@zen-lead/core";
import { Subject, type Subscription } from "rxjs";
import { type ApiChange, ApiModel, record, type StoredObject } from "./api-model.ts";
import { Applier, type WriteAction } from "./applier.ts";
import { mulberry32 } from "./event-log/index.ts";
import {
  describeWrites,
  INVARIANTS,
  leaderCandidateViolation,
  publishedLeaders,
  sliceEndpointsViolation,
  unconverged,
} from "./invariants.ts";
import {
  type ApiObject,
  isFailedWrite,
  type SimReport,
  type Simulation,
  type TimedChange,
  type WorldChange,
} from "./model.ts";
import { DEFAULT_LIMITS, type ReportLimits, Trace } from "./trace.ts";
import { VirtualClock } from "./virtual-clock.ts";
import { WatchStream } from "./watch-stream.ts";
import { type PodDirectory, World, type WorldHost } from "./world/world.ts";

/** How a run reports (not what it simulates). */
export interface RunOptions {
  /** How many items the report's lists keep (see trace.ts); the stats always count everything. */
  readonly limits?: Partial<ReportLimits>;
}

/** A Simulation without its timeline and end: what a run needs before the changes stream in. */
export type SimulationSetup = Omit<Simulation, "timeline" | "endAt">;

/** A run in progress, fed its timeline in order. */
export interface SimulationRun {
  /**
   * Appends a change. Throws a RangeError when its `at` precedes an earlier change's or falls in
   * time already run, and an Error after `finish`.
   */
  push(change: TimedChange): void;
  /**
   * Runs virtual time up to `frame` (inclusive). To get exactly the result `runSimulation` would,
   * run only up to strictly before the time of the last change pushed: changes at that time may
   * still be coming, and the run must see all changes of one instant together. Throws what the
   * run threw meanwhile (a WorldError: a change named a pod that did not exist then).
   */
  runUntil(frame: number): void;
  /** Runs to `endAt`, checks convergence and returns the report. The run cannot be used after. */
  finish(endAt: number): SimReport;
  /** The pods the world model has created so far. */
  readonly pods: PodDirectory;
}

/** Runs a whole Simulation and reports it. Synchronous; the same input gives the same report. */
export function runSimulation(sim: Simulation, options: RunOptions = {}): SimReport {
  return runSimulationWithPods(sim, options).report;
}

/**
 * The same, with the pods the world model created (a scenario's expectations name them). Throws
 * WorldError when a change names a pod that does not exist at its time.
 */
export function runSimulationWithPods(
  sim: Simulation,
  options: RunOptions = {},
): { readonly report: SimReport; readonly pods: PodDirectory } {
  const run = startSimulation(sim, options);
  for (const change of sim.timeline) run.push(change);
  return { report: run.finish(sim.endAt), pods: run.pods };
}

/** Starts a run: the initial objects are stored and the controller has listed them at time 0. */
export function startSimulation(setup: SimulationSetup, options: RunOptions = {}): SimulationRun {
  return new Engine(setup, { ...DEFAULT_LIMITS, ...options.limits });
}

/** The kinds whose writes the controller makes (its own objects' resourceVersions are tracked). */
function isOwnedKind(kind: Kind): kind is "Service" | "EndpointSlice" {
  return kind === "Service" || kind === "EndpointSlice";
}

/**
 * The order a starting controller's lists arrive in, as the real shell's (controller.ts): Nodes
 * first. The core decides only once all four kinds are listed (Nodes too: a slice written before the
 * zones are known would be written again), so the order changes no decision; it keeps the
 * simulated process's start-up the same as the real one's.
 */
const LIST_ORDER: readonly Kind[] = ["Node", "Service", "Pod", "EndpointSlice"];

/**
 * The reasons a candidate leader is replaced by another with no memory of the past involved
 * (docs/semantics.md, "Choosing the leader"): the preferred-leader pod leads whenever it is a
 * candidate; with stickiness off, a better-ranked eligible pod takes over. A restarted controller
 * that moves a healthy leader for one of them (an annotation the old process had not seen yet, a
 * min-ready timer due at the restart's instant) does what the old one would have done.
 */
const MOVES_HEALTHY_LEADER: ReadonlySet<LeaderReason> = new Set<LeaderReason>([
  "PreferredLeader",
  "BetterCandidate",
]);

/** One controller process: its operator subscription and its write path. */
interface Controller {
  readonly events: Subject<ClusterEvent>;
  readonly subscription: Subscription;
  readonly applier: Applier;
}

class Engine implements SimulationRun {
  readonly #setup: SimulationSetup;
  readonly #clock: VirtualClock;
  readonly #model: ApiModel;
  /** The write queue's backoff jitter, from the seed. */
  readonly #jitter: () => number;
  readonly #watch = new WatchStream();
  readonly #trace: Trace;
  /** The cluster's own controllers and kubelets (world/world.ts). */
  readonly #world: World;

  #controller: Controller;
  /** The controller's latest state (undefined right after a restart, before it has one). */
  #state: State | undefined;
  /** Trigger time of the event the controller is processing (undefined: its own timer fired). */
  #origin: number | undefined;
  /**
   * Per kind the controller writes, `namespace/name` -> resourceVersion as last delivered to it
   * (keyed by the API model's own key strings, hashed once).
   */
  readonly #delivered = { Service: new Map<string, number>(), EndpointSlice: new Map<string, number>() };
  /** The resourceVersion the controller had seen of a write's object when it asked for the write. */
  readonly #seenAtAsk = new WeakMap<WriteAction, number | undefined>();
  #failure: { error: unknown } | undefined;
  #events = 0;

  readonly #timeline: (TimedChange | undefined)[] = [];
  #timelineHead = 0;
  #timelineScheduled = false;
  #lastPushed = 0;
  /** Virtual time already run: a change may not be pushed at or before it. */
  #ranUntil = -1;
  #pumpAt: number | undefined;

  /** Last virtual time anything disturbed the cluster (world change, fault, restart, failed write). */
  #lastDisturbance = 0;
  #anyWriteFailed = false;
  #finished = false;

  constructor(setup: SimulationSetup, limits: ReportLimits) {
    this.#setup = setup;
    this.#clock = new VirtualClock(setup.epochMs);
    this.#model = new ApiModel(setup.seed, setup.api);
    // Its own stream, so the API model's failure draws do not depend on how often writes back off.
    this.#jitter = mulberry32(setup.seed ^ 0x5eed);
    this.#trace = new Trace(limits);
    this.#world = new World(setup.world, this.#worldHost(), setup.seed);
    for (const { kind, object } of [...setup.initial, ...this.#world.initial]) {
      const change = this.#model.put(kind, object, this.#clock.now);
      if (change === undefined) continue;
      this.#checkSlice(change.object);
      if (kind === "Pod") this.#tracePod(change);
    }
    this.#controller = this.#startController(0);
  }

  /** How the world model reads the API model and stores its changes: as any world change. */
  #worldHost(): WorldHost {
    return {
      clock: this.#clock,
      api: this.#model,
      put: (kind, object) => this.#put(kind, object),
      remove: (kind, namespace, name) => this.#remove(kind, namespace, name),
    };
  }

  /** A world change stores an object: it disturbs the cluster, and the controller will watch it. */
  #put(kind: Kind, object: ApiObject, key?: string): void {
    this.#lastDisturbance = Math.max(this.#lastDisturbance, this.#clock.frame);
    const accepted = this.#model.put(kind, object, this.#clock.now, key);
    if (accepted !== undefined) this.#accepted(accepted);
  }

  #remove(kind: Kind, namespace: string, name: string): void {
    this.#lastDisturbance = Math.max(this.#lastDisturbance, this.#clock.frame);
    const accepted = this.#model.remove(kind, namespace, name);
    if (accepted !== undefined) this.#accepted(accepted);
  }

  get pods(): PodDirectory {
    return this.#world;
  }

  // ---------------------------------------------------------------------------------------------
  // The controller process

  #startController(origin: number): Controller {
    const events = new Subject<ClusterEvent>();
    const applier = new Applier({
      clock: this.#clock,
      writeLatencyMs: () => this.#model.behaviour.writeLatencyMs,
      perform: (action) => this.#perform(action),
      random: this.#jitter,
    });
    const subscription = events
      .pipe(
        reconcileActions({
          scheduler: this.#clock.scheduler,
          onState: (s, changes) => this.#guard(() => this.#onState(s, changes)),
        }),
      )
      .subscribe({
        next: (actions) => this.#guard(() => this.#onActions(actions, applier)),
        error: (error: unknown) => {
          this.#failure ??= { error };
        },
      });
    this.#controller = { events, subscription, applier };
    this.#delivered.Service.clear();
    this.#delivered.EndpointSlice.clear();
    this.#watch.clear();
    // A fresh process lists every kind, then watches from the lists' resourceVersion.
    for (const kind of LIST_ORDER) this.#list(kind, origin);
    return this.#controller;
  }

  /** Errors inside rxjs callbacks would be reported asynchronously; keep them and rethrow in the run. */
  #guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#failure ??= { error };
    }
  }

  #rethrow(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  #send(event: ClusterEvent, origin: number | undefined): void {
    this.#origin = origin;
    this.#events++;
    this.#controller.events.next(event);
    this.#origin = undefined;
    this.#rethrow();
  }

  /** A list of one kind from the API model, delivered as one atomic resync. */
  #list(kind: Kind, origin: number): void {
    const objects: Decoded[] = [];
    for (const stored of this.#model.list(kind)) {
      objects.push(stored.view);
      if (isOwnedKind(kind)) this.#delivered[kind].set(stored.key, stored.resourceVersion);
    }
    this.#watch.listed(kind, this.#model.resourceVersion);
    this.#send({ type: "resync", kind, objects }, origin);
  }

  #onState(state: State, changes: readonly DecisionChange[]): void {
    this.#state = state;
    const at = this.#clock.frame;
    for (const { source, after: decision } of changes) {
      this.#trace.decision(source, decision, at);
      const problem = leaderCandidateViolation(state, decision);
      if (problem !== undefined) {
        this.#trace.violation({ at, invariant: INVARIANTS.leaderIsCandidate, message: problem });
      }
    }
  }

  #onActions(actions: readonly Action[], applier: Applier): void {
    const at = this.#clock.frame;
    for (const action of actions) {
      switch (action.type) {
        case "apply":
        case "delete": {
          const delivered = this.#delivered[action.kind];
          this.#seenAtAsk.set(action, delivered.get(objectKey(action.namespace, action.name)));
          applier.submit(action);
          break;
        }
        case "event": {
          const source = `${action.source.namespace}/${action.source.name}`;
          if (action.leaderChange !== undefined) {
            this.#trace.leaderChange(source, action.leaderChange, at, this.#origin ?? at);
          } else if (action.eventType === "Warning") {
            this.#trace.warning(source, action.reason, action.note, at);
          }
          break;
        }
        case "report":
          this.#trace.decodeFailure(action.object, action.reason, action.message, at);
          break;
      }
    }
  }

  /** A write reaches the API server (from the current process, or one that has since died). */
  #perform(action: WriteAction) {
    const at = this.#clock.frame;
    const outcome =
      action.type === "apply" ? this.#model.apply(action, this.#clock.now) : this.#model.delete(action);
    this.#trace.write({
      at,
      verb: outcome.verb,
      kind: action.kind,
      object: `${action.namespace}/${action.name}`,
      status: outcome.status,
      source: action.source,
    });
    if (isFailedWrite(outcome)) {
      this.#anyWriteFailed = true;
      if (outcome.injected) this.#lastDisturbance = Math.max(this.#lastDisturbance, at);
    }
    if (outcome.unchanged && outcome.stored !== undefined) {
      const seen = this.#seenAtAsk.get(action);
      if (seen === outcome.stored.resourceVersion) {
        this.#trace.violation({
          at,
          invariant: INVARIANTS.noRedundantWrite,
          message: `${outcome.verb} ${action.kind} ${action.namespace}/${action.name} changes nothing, and the controller had observed it (resourceVersion ${seen})`,
        });
      }
    }
    if (outcome.change !== undefined) {
      this.#accepted(outcome.change);
      const stored = outcome.change.object;
      if (action.kind === "EndpointSlice" && outcome.change.type !== "DELETED" && !isFailure(stored.view)) {
        const slice = stored.view as EndpointSliceView;
        this.#trace.sliceWritten(action.source, slice.endpoints[0]?.podName, at);
      }
    }
    return outcome;
  }

  // ---------------------------------------------------------------------------------------------
  // Changes the API model accepted, on their way to the controller

  #tracePod(change: ApiChange): void {
    const stored = change.object;
    if (change.type === "DELETED") {
      this.#trace.podRemoved(stored, this.#clock.frame);
      return;
    }
    const view = stored.view;
    const pod = isFailure(view) ? undefined : (view as PodView);
    const labels = pod?.labels ?? (record(stored.raw.metadata.labels) as Record<string, string>);
    this.#trace.podStored(stored, labels, pod !== undefined && isCandidate(pod), this.#clock.frame);
  }

  /** (a) on every object the API model stores. */
  #checkSlice(stored: StoredObject): void {
    const problem = sliceEndpointsViolation(stored);
    if (problem !== undefined) {
      this.#trace.violation({
        at: this.#clock.frame,
        invariant: INVARIANTS.singleEndpoint,
        message: problem,
      });
    }
  }

  #accepted(change: ApiChange): void {
    const at = this.#clock.frame;
    const stored = change.object;
    if (change.type !== "DELETED") this.#checkSlice(stored);
    if (stored.kind === "Pod") this.#tracePod(change);
    const due = this.#watch.push(
      change,
      this.#model.resourceVersion,
      at,
      this.#model.behaviour.watchLatencyMs,
    );
    if (this.#pumpAt === undefined) this.#schedulePump(due);
  }

  #schedulePump(due: number): void {
    this.#pumpAt = due;
    this.#clock.at(due, () => this.#pump());
  }

  /** Delivers every watch event now due, in order. */
  #pump(): void {
    this.#pumpAt = undefined;
    const now = this.#clock.frame;
    for (let item = this.#watch.take(now); item !== undefined; item = this.#watch.take(now)) {
      const { change } = item;
      const stored = change.object;
      const delivered = isOwnedKind(stored.kind) ? this.#delivered[stored.kind] : undefined;
      if (change.type === "DELETED") {
        delivered?.delete(stored.key);
        this.#send(
          { type: "delete", kind: stored.kind, namespace: stored.namespace, name: stored.name },
          item.acceptedAt,
        );
      } else {
        delivered?.set(stored.key, stored.resourceVersion);
        this.#send({ type: "upsert", object: stored.view }, item.acceptedAt);
      }
    }
    const next = this.#watch.nextDue;
    if (next !== undefined) this.#schedulePump(next);
  }

  // ---------------------------------------------------------------------------------------------
  // The timeline

  push(change: TimedChange): void {
    if (this.#finished) throw new Error("simulation: push after finish");
    if (!(change.at >= this.#lastPushed)) {
      throw new RangeError(`simulation: timeline out of order (${change.at} after ${this.#lastPushed})`);
    }
    if (change.at <= this.#ranUntil) {
      throw new RangeError(
        `simulation: change at ${change.at} is in time already run (to ${this.#ranUntil})`,
      );
    }
    this.#lastPushed = change.at;
    this.#timeline.push(change);
    if (!this.#timelineScheduled) this.#scheduleTimeline();
  }

  #scheduleTimeline(): void {
    const head = this.#timeline[this.#timelineHead];
    if (head === undefined) return;
    this.#timelineScheduled = true;
    this.#clock.at(head.at, () => this.#runTimeline());
  }

  /** Applies every change of this instant, in order. */
  #runTimeline(): void {
    this.#timelineScheduled = false;
    const now = this.#clock.frame;
    for (;;) {
      const next = this.#timeline[this.#timelineHead];
      if (next === undefined || next.at > now) break;
      this.#timeline[this.#timelineHead] = undefined;
      this.#timelineHead++;
      this.#apply(next.change);
    }
    if (this.#timelineHead > 1024 && this.#timelineHead * 2 > this.#timeline.length) {
      this.#timeline.splice(0, this.#timelineHead);
      this.#timelineHead = 0;
    }
    this.#scheduleTimeline();
  }

  #apply(change: WorldChange): void {
    const now = this.#clock.frame;
    this.#lastDisturbance = Math.max(this.#lastDisturbance, now);
    switch (change.type) {
      case "put":
        this.#put(change.kind, change.object, change.key);
        break;
      case "remove":
        this.#remove(change.kind, change.namespace, change.name);
        break;
      case "pod":
      case "annotate":
      case "stripLabels":
      case "rollingUpdate":
      case "scale":
      case "drainNode":
        this.#world.apply(change);
        break;
      case "controllerRestart":
        this.#restart();
        break;
      case "watchGap": {
        const { kind, until } = change;
        this.#watch.startGap(kind, until);
        const end = this.#watch.gapUntil(kind) ?? until;
        this.#clock.at(end, () => this.#endGap(kind, end));
        break;
      }
      case "apiBehaviour":
        this.#model.changeBehaviour(change.behaviour);
        break;
    }
  }

  /** The controller process restarts: state lost, writes not yet sent lost, fresh lists of every kind. */
  #restart(): void {
    const at = this.#clock.frame;
    const published = publishedLeaders(this.#model);
    const old = this.#controller;
    old.subscription.unsubscribe();
    old.applier.stop();
    this.#state = undefined;
    this.#controller = this.#startController(at);
    // (e): a leader the API published that is still a candidate must survive the restart — unless
    // a rule that moves a healthy leader, restart or not, chose another (MOVES_HEALTHY_LEADER).
    const state = this.#state as State | undefined;
    if (state === undefined) return;
    for (const [source, leader] of published) {
      const pod = membersOf(state, source).find((p) => p.uid === leader.podUid);
      if (pod === undefined || !isCandidate(pod)) continue;
      const after: Decision | undefined = decisionOf(state, source);
      const reason = after?.leader?.reason;
      if (
        after?.leader?.podUid !== leader.podUid &&
        (reason === undefined || !MOVES_HEALTHY_LEADER.has(reason))
      ) {
        this.#trace.violation({
          at,
          invariant: INVARIANTS.restartKeepsLeader,
          message: `${source}: leader ${leader.podName} was healthy but the restarted controller chose ${after?.leader?.podName ?? "no leader"}`,
        });
      }
    }
  }

  /** A watch gap ends: the kind is relisted, which reveals what the gap hid. */
  #endGap(kind: Kind, until: number): void {
    if (this.#watch.gapUntil(kind) !== until) return; // extended by a later gap
    const { firstDropped } = this.#watch.endGap(kind);
    this.#lastDisturbance = Math.max(this.#lastDisturbance, until);
    this.#list(kind, firstDropped ?? until);
  }

  // ---------------------------------------------------------------------------------------------
  // Running and reporting

  runUntil(frame: number): void {
    if (this.#finished) throw new Error("simulation: run after finish");
    this.#clock.runUntil(frame);
    this.#ranUntil = Math.max(this.#ranUntil, frame);
    this.#rethrow();
  }

  finish(endAt: number): SimReport {
    this.runUntil(endAt);
    this.#finished = true;
    this.#controller.subscription.unsubscribe();
    this.#checkConverged(endAt);
    const trace = this.#trace;
    const latency = trace.latency();
    const omitted = trace.omitted();
    return {
      formatVersion: 2,
      name: this.#setup.name,
      source: this.#setup.source,
      seed: this.#setup.seed,
      epochMs: this.#setup.epochMs,
      endAt,
      services: trace.services(endAt),
      writes: trace.writes(),
      violations: trace.violations(),
      decodeFailures: trace.decodeFailures(),
      stats: {
        events: this.#events,
        writes: trace.writeCount,
        failedWrites: trace.failedWrites,
        leaderChanges: trace.leaderChangeCount,
        failovers: trace.failoverCount,
        decodeFailures: trace.decodeFailureCount,
        ...(latency !== undefined ? { publishLatencyMs: latency } : {}),
      },
      ...(omitted !== undefined ? { omitted } : {}),
    };
  }

  /**
   * (c): checked only when the run gave the cluster time to settle after its last disturbance: a
   * few round trips (watch + write latency), plus the longest backoff if any write failed. With
   * failures still being injected at the end nothing is promised, so nothing is checked.
   */
  #checkConverged(endAt: number): void {
    const { watchLatencyMs, writeLatencyMs, writeFailureRate } = this.#model.behaviour;
    if (writeFailureRate > 0 || this.#state === undefined) return;
    // After a refused write: the core asks again when its suppression ends, and a transient failure
    // is retried after at most the longest backoff.
    const recovery = DEFAULT_OPTIONS.inflightTtlMs + WRITE_QUEUE_DEFAULTS.backoffMaxMs;
    const settle = 4 * (watchLatencyMs + writeLatencyMs) + (this.#anyWriteFailed ? recovery : 0);
    if (endAt - this.#lastDisturbance < settle) return;
    for (const { source, writes } of unconverged(this.#model, this.#state)) {
      this.#trace.violation({
        at: endAt,
        invariant: INVARIANTS.converged,
        message: `${source}: the API's objects are not what the controller wants (${describeWrites(writes)})`,
      });
    }
    if (this.#controller.applier.busy) {
      this.#trace.violation({
        at: endAt,
        invariant: INVARIANTS.converged,
        message: "writes are still pending at the end of a settled run",
      });
    }
  }
}
