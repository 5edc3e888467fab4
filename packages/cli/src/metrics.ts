/**
 * The controller's Prometheus metrics, on a Registry of their own. Counters and histograms are fed
 * by the controller's callbacks; the per-Service gauges read the core's latest State when scraped,
 * so they are never stale. A Service's series (its gauges and its leader-change counters) go away
 * when it opts out: its decision disappears from the State.
 */

import {
  type Action,
  type ClusterEvent,
  decisionEntries,
  type EventAction,
  isSynced,
  type ReportAction,
  type State,
} from "@zen-lead/core";
import type { TraceStage, WatchDiagnostic, WriteResult } from "@zen-lead/k8s-adapter";
import { keyOf, stageMs, TRACE_STAGES } from "@zen-lead/k8s-adapter";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { FailoverClock } from "./failover-clock.ts";

/** From 1 ms: the core decides in microseconds, the write takes milliseconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** From 50 µs: decoding and folding one event take tens of microseconds, a request milliseconds. */
export const STAGE_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

const FAILED: ReadonlySet<string> = new Set(["conflict", "retrying", "rejected"]);
const DONE: ReadonlySet<string> = new Set(["created", "applied", "replaced", "drifted"]);

/**
 * Leader changes because the leader stopped serving: their latency starts when it stopped
 * (failover-clock.ts). The others (PreferredLeader, BetterCandidate, LeaderNoLongerSelected) are
 * zen-lead's own choice on the event it just folded: their latency starts at that decision.
 */
const STOPPED: ReadonlySet<string> = new Set([
  "LeaderTerminating",
  "LeaderNotRunning",
  "LeaderNotReady",
  "LeaderLostIP",
  "LeaderDeleted",
]);

/** The controller's metrics (`zen_lead_*` on `/metrics`) and the callbacks that feed them. */
export interface ControllerMetrics {
  /** What `/metrics` serves (Prometheus text format). */
  readonly registry: Registry;
  /** A cluster event on its way to the fold: when pods stopped serving (failover-clock.ts). */
  onClusterEvent(event: ClusterEvent): void;
  /** A batch of the core's actions: a failover's slice write is timed from its old leader's stop. */
  onActions(actions: readonly Action[]): void;
  /** An Event announced: a leader change counts by source and reason. */
  onEvent(event: EventAction): void;
  /** A write's outcome: its duration, failures, drift corrected or not, a failover's latency. */
  onWriteResult(result: WriteResult): void;
  /** zen-lead created again an object of `kind` that another writer had deleted (`Recreations`). */
  onRecreated(kind: string): void;
  /** A watch loop's diagnostic: relists and re-watches count by kind. */
  onDiagnostic(detail: WatchDiagnostic): void;
  /** A request to the API server was answered (`code` 0: no answer). */
  onRequest(method: string, code: number): void;
  /** An object that could not be decoded (the core's `report` action). */
  onReport(report: ReportAction): void;
  /** This replica holds the Lease (`zen_lead_is_leader` 1) or not (0). */
  setLeading(leading: boolean): void;
  /** The holder handed the Lease over because its watches were not live for too long. */
  onHandOver(): void;
  /** A Lease request failed with this HTTP status (0: no answer). */
  onLeaseError(code: number): void;
  /** Another zen-lead install writes over this one's namespaces (other-install-check.ts). */
  onOtherInstall(): void;
}

/** Where the scrape-time gauges read from. */
export interface MetricsOptions {
  /** The core's latest State (undefined before the first): the per-Service gauges. */
  readonly state: () => State | undefined;
  /** Default Date.now. */
  readonly now?: () => number;
  /** Node's default process metrics; default true. */
  readonly defaultMetrics?: boolean;
  /** Whether every watch is live (read at scrape time). */
  readonly live?: () => boolean;
  /** The applier's queue (read at scrape time): writes waiting, backing off included, and in flight. */
  readonly writeQueue?: () => { readonly pending: number; readonly inFlight: number };
  /**
   * Warnings standing on source Services that the shell, not a decision, knows of (read at scrape
   * time): a write the API server refuses (`WriteRejected`, refusals.ts).
   */
  readonly shellWarnings?: () => Iterable<{
    readonly namespace: string;
    readonly service: string;
    readonly reason: string;
  }>;
}

/** Sources opted in right now, `namespace/name` -> their decision's figures. */
function optedIn(state: State) {
  const out = new Map<string, { namespace: string; service: string; candidates: number; since?: number }>();
  for (const [key, d] of decisionEntries(state)) {
    if (!d.optedIn) continue;
    out.set(key, {
      namespace: d.source.namespace,
      service: d.source.name,
      candidates: d.candidates,
      ...(d.leader !== undefined ? { since: d.leader.since } : {}),
    });
  }
  return out;
}

/** A fresh Registry with every `zen_lead_*` metric registered (docs/cli.md lists them). */
export function createMetrics(options: MetricsOptions): ControllerMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const leaderChanges = new Counter({
    name: "zen_lead_leader_changes_total",
    help: "Leader changes zen-lead published (one per change written to the cluster; none for a restart, relist or Lease hand-over), by source Service and reason.",
    labelNames: ["namespace", "service", "reason"] as const,
    registers: [registry],
  });
  /** source -> the reasons it has leader-change series for (so they can be removed on opt-out). */
  const changeSeries = new Map<string, Set<string>>();

  const failover = new Histogram({
    name: "zen_lead_failover_latency_seconds",
    help: "One sample per failover (a leader replaced, or lost): from the moment the old leader stopped serving (as the cluster recorded it or a watch first showed it; for a switchover, the decision) to its slice write's success. A failover whose start nobody recorded is counted in zen_lead_failovers_unmeasured_total instead.",
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  const unmeasured = new Counter({
    name: "zen_lead_failovers_unmeasured_total",
    help: "Failovers published whose old leader stopped serving at a moment nobody recorded (NotReady or deleted while no replica watched): no latency sample.",
    registers: [registry],
  });
  const clock = new FailoverClock();
  /** Slice key -> when its failover started (epoch ms; undefined: unknown) for the batch asking for it. */
  const pendingFailover = new Map<string, number | undefined>();

  const failoverStages = new Histogram({
    name: "zen_lead_failover_stage_seconds",
    help: "The latency budget of each failover's slice write, by stage: decode (watch event received to decoded), fold (to the core's actions), queue (to the request sent), request (to the server's answer), reaction (received to sent).",
    labelNames: ["stage"] as const,
    buckets: [...STAGE_BUCKETS],
    registers: [registry],
  });

  const requests = new Counter({
    name: "rest_client_requests_total",
    help: "Requests to the API server (lists, watches, writes, the Lease, Events), by method and status code (0: no answer). client-go's name.",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });

  const applyDuration = new Histogram({
    name: "zen_lead_apply_duration_seconds",
    help: "Duration of each write to the API server (apply or delete), whatever its outcome.",
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  const applyErrors = new Counter({
    name: "zen_lead_apply_errors_total",
    help: "Writes that did not succeed, by object kind and write status (conflict, retrying, rejected).",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
  });
  const watchRestarts = new Counter({
    name: "zen_lead_watch_restarts_total",
    help: "Watches restarted (from the last resourceVersion), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const driftCorrected = new Counter({
    name: "zen_lead_drift_corrected_total",
    help: "Owned objects another writer had changed that zen-lead replaced to correct them, or had deleted that zen-lead created again, and stray EndpointSlices another controller made for a leader Service that zen-lead deleted, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const driftNotCorrected = new Counter({
    name: "zen_lead_drift_not_corrected_total",
    help: "Writes that left an owned object still different from what zen-lead wants (DriftNotCorrected), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const decodeFailures = new Counter({
    name: "zen_lead_decode_failures_total",
    help: "Objects that could not be decoded (reported, not trusted), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const relists = new Counter({
    name: "zen_lead_relists_total",
    help: "Full relists after a watch could not resume, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });

  const pruneChanges = (live: ReadonlyMap<string, unknown>) => {
    for (const [source, reasons] of changeSeries) {
      if (live.has(source)) continue;
      const slash = source.indexOf("/");
      for (const reason of reasons) {
        leaderChanges.remove({ namespace: source.slice(0, slash), service: source.slice(slash + 1), reason });
      }
      changeSeries.delete(source);
    }
  };

  new Gauge({
    name: "zen_lead_ready_candidates",
    help: "Ready candidate pods of each opted-in Service.",
    labelNames: ["namespace", "service"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const state = options.state();
      if (state === undefined) return;
      const live = optedIn(state);
      for (const s of live.values()) this.set({ namespace: s.namespace, service: s.service }, s.candidates);
      // Only a synced State knows every source: during a relist, keep what we have.
      if (isSynced(state)) pruneChanges(live);
    },
  });
  new Gauge({
    name: "zen_lead_leader_age_seconds",
    help: "How long the current leader of each opted-in Service has led.",
    labelNames: ["namespace", "service"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const state = options.state();
      if (state === undefined) return;
      const t = now();
      for (const s of optedIn(state).values()) {
        if (s.since !== undefined) {
          this.set({ namespace: s.namespace, service: s.service }, Math.max(0, (t - s.since) / 1000));
        }
      }
    },
  });
  new Gauge({
    name: "zen_lead_source_warnings",
    help: "1 for each warning standing on a Service (NameCollision, NoReadyPods, WriteRejected, ...), by reason.",
    labelNames: ["namespace", "service", "reason"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const w of options.shellWarnings?.() ?? []) this.set(w, 1);
      const state = options.state();
      if (state === undefined) return;
      for (const [, d] of decisionEntries(state)) {
        for (const w of d.warnings)
          this.set({ namespace: d.source.namespace, service: d.source.name, reason: w.reason }, 1);
      }
    },
  });
  new Gauge({
    name: "zen_lead_watches_live",
    help: "1 while every watch is live (connected and heard from within --watch-timeout), else 0.",
    registers: [registry],
    collect() {
      this.set(options.live?.() === true ? 1 : 0);
    },
  });
  new Gauge({
    name: "zen_lead_write_queue_depth",
    help: "Writes zen-lead has yet to finish: waiting (backing off included) plus in flight. 0: the applier is idle.",
    registers: [registry],
    collect() {
      const queue = options.writeQueue?.();
      this.set(queue === undefined ? 0 : queue.pending + queue.inFlight);
    },
  });
  const handOvers = new Counter({
    name: "zen_lead_lease_handovers_total",
    help: "Times this replica handed the Lease over because its watches had not seen the cluster for longer than the renew deadline.",
    registers: [registry],
  });
  const leaseErrors = new Counter({
    name: "zen_lead_lease_errors_total",
    help: "Lease requests that failed, by HTTP status (0: no answer; 401/403: refused for good, the operator must fix RBAC or --lease-name).",
    labelNames: ["code"] as const,
    registers: [registry],
  });
  const isLeader = new Gauge({
    name: "zen_lead_is_leader",
    help: "1 while this replica holds the lease (and may write), else 0.",
    registers: [registry],
  });
  isLeader.set(0);
  const otherInstall = new Gauge({
    name: "zen_lead_other_install",
    help: "1 once this replica has seen another zen-lead install announce changes in its namespaces (docs/deploy.md: two installs over one namespace), else 0.",
    registers: [registry],
  });
  otherInstall.set(0);

  return {
    registry,
    onClusterEvent(event) {
      clock.see(event, now());
    },
    onActions(actions) {
      const t = now();
      // A failover moves traffic away from a leader: a first election is not one.
      const changed = new Map<string, number | undefined>();
      for (const a of actions) {
        const change = a.type === "event" ? a.leaderChange : undefined;
        if (a.type !== "event" || change?.from === undefined) continue;
        const { namespace, name } = a.source;
        const start = STOPPED.has(change.cause) ? clock.stoppedAt(namespace, change.from, t) : t;
        changed.set(`${namespace}/${name}`, start);
      }
      if (changed.size === 0) return;
      for (const a of actions) {
        if (a.type === "apply" && a.kind === "EndpointSlice" && changed.has(a.source))
          pendingFailover.set(keyOf(a), changed.get(a.source));
      }
    },
    onEvent(event) {
      const change = event.leaderChange;
      if (change === undefined) return;
      const { namespace, name } = event.source;
      leaderChanges.inc({ namespace, service: name, reason: change.cause });
      const source = `${namespace}/${name}`;
      const reasons = changeSeries.get(source) ?? new Set<string>();
      reasons.add(change.cause);
      changeSeries.set(source, reasons);
    },
    onWriteResult(result) {
      applyDuration.observe(result.durationMs / 1000);
      if (FAILED.has(result.status)) applyErrors.inc({ kind: result.action.kind, status: result.status });
      const strayGone =
        result.action.type === "delete" && result.action.stray === true && result.status === "deleted";
      if (result.status === "replaced" || strayGone) driftCorrected.inc({ kind: result.action.kind });
      if (result.status === "drifted") driftNotCorrected.inc({ kind: result.action.kind });
      if (!pendingFailover.has(result.key) || result.status === "retrying") return;
      const started = pendingFailover.get(result.key);
      pendingFailover.delete(result.key);
      if (!DONE.has(result.status)) return;
      if (started === undefined) unmeasured.inc();
      else failover.observe(Math.max(0, now() - started) / 1000);
      const trace = result.trace;
      if (trace === undefined) return;
      for (const stage of Object.keys(TRACE_STAGES) as TraceStage[]) {
        const ms = stageMs(trace, stage);
        if (Number.isFinite(ms)) failoverStages.observe({ stage }, Math.max(0, ms) / 1000);
      }
    },
    onRecreated(kind) {
      driftCorrected.inc({ kind });
    },
    onRequest(method, code) {
      requests.inc({ method, code: String(code) });
    },
    onReport(report) {
      decodeFailures.inc({ kind: report.object.split(" ")[0] ?? "" });
    },
    onDiagnostic(detail) {
      if (detail.what === "rewatch") watchRestarts.inc({ kind: detail.kind });
      else if (detail.what === "relist") relists.inc({ kind: detail.kind });
    },
    setLeading(leading) {
      isLeader.set(leading ? 1 : 0);
    },
    onHandOver() {
      handOvers.inc();
    },
    onLeaseError(code) {
      leaseErrors.inc({ code: String(code) });
    },
    onOtherInstall() {
      otherInstall.set(1);
    },
  };
}
