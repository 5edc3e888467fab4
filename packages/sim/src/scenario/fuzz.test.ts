/**
 * Random scenarios (fast-check): pod churn, readiness flaps, rolling updates, drains, controller
 * restarts, watch gaps and API faults at random times, compiled and run. Each run must keep the
 * engine's invariants (report.violations: one endpoint per slice, the leader a candidate in the
 * controller's view after every event, convergence once faults are over, no redundant write, no
 * leader moved by a restart) and the properties checked here from the report alone. On failure
 * fast-check prints the seed and the shrunk scenario; the message carries it as YAML, ready to
 * save as a scenario file.
 */
import {
  backoffCeiling,
  DEFAULT_OPTIONS,
  isTransient,
  suppressionMs,
  WRITE_QUEUE_DEFAULTS,
} from "@zen-lead/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ServiceReport, SimReport, Simulation, WriteRecord } from "../model.ts";
import { compileScenario, decodeScenario, runScenario, ScenarioError, type ScenarioRun } from "./index.ts";

const DEPLOYMENTS = ["alpha", "beta"] as const;
const NODES = ["node-1", "node-2", "node-3"] as const;
const KINDS = ["Service", "Pod", "EndpointSlice", "Node"] as const;

const ms = (min: number, max: number) => fc.integer({ min, max }).map((n) => `${n}ms`);
const deployment = fc.constantFrom(...DEPLOYMENTS);
const alias = fc.tuple(deployment, fc.integer({ min: 0, max: 3 })).map(([d, n]) => `${d}#${n}`);
/** A pod of a Deployment other than its first (the first is the oldest: it leads when healthy). */
const follower = fc.tuple(deployment, fc.integer({ min: 1, max: 3 })).map(([d, n]) => `${d}#${n}`);
const grace = fc.constantFrom(0, "1s", "5s", "30s");

const cluster = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  replicas: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  readyAfter: fc.constantFrom("0s", "2s", "5s", "10s"),
  terminationGrace: fc.constantFrom("0s", "3s", "30s"),
  sticky: fc.constantFrom(undefined, "true", "false"),
  minReady: fc.constantFrom(undefined, undefined, "3s", "15s"),
});

const chaosFault = fc.oneof(
  deployment.map((d) => ({ crashLeader: d })),
  deployment.map((d) => ({ stripLabels: d })),
  fc.record({ leaderOf: deployment, grace }).map((deletePod) => ({ deletePod })),
  fc.record({ pod: alias, grace }).map((deletePod) => ({ deletePod })),
  fc.record({ leaderOf: deployment, ready: fc.boolean() }).map((readiness) => ({ readiness })),
  fc.record({ pod: alias, ready: fc.boolean() }).map((readiness) => ({ readiness })),
  fc
    .record({
      target: fc.oneof(
        alias.map((pod) => ({ pod })),
        deployment.map((leaderOf) => ({ leaderOf })),
      ),
      times: fc.integer({ min: 1, max: 3 }),
      every: ms(200, 5000),
    })
    .map(({ target, times, every }) => ({ flap: { ...target, times, every } })),
  deployment.map((d) => ({ rollingUpdate: d })),
  fc.constantFrom(...NODES).map((node) => ({ drainNode: node })),
  fc
    .record({ service: deployment, value: fc.constantFrom(null, "{{alpha#0}}", "{{alpha#1}}", "{{beta#1}}") })
    .map(({ service, value }) => ({
      annotate: {
        service,
        annotations: { "zen-lead.io/preferred-leader": value?.includes(`{{${service}#`) ? value : null },
      },
    })),
  fc.constant({ restartController: true }),
  fc.record({ kind: fc.constantFrom(...KINDS), for: ms(100, 20_000) }).map((watchGap) => ({ watchGap })),
  fc.record({ write: ms(1, 300), watch: ms(1, 300) }).map((apiLatency) => ({ apiLatency })),
  fc
    .record({
      rate: fc.double({ min: 0, max: 1, noNaN: true }),
      codes: fc.subarray([409, 429, 500] as const, { minLength: 1 }),
      for: ms(100, 20_000),
    })
    .map((apiFailures) => ({ apiFailures })),
  fc.record({ deployment, replicas: fc.integer({ min: 0, max: 4 }) }).map((scale) => ({ scale })),
);

/** Faults that leave every leader healthy: its pod is the oldest, never touched. */
const calmFault = fc.oneof(
  fc.constant({ restartController: true }),
  fc.constant({ restartController: true }),
  fc.record({ kind: fc.constantFrom(...KINDS), for: ms(100, 20_000) }).map((watchGap) => ({ watchGap })),
  fc.record({ write: ms(1, 300), watch: ms(1, 300) }).map((apiLatency) => ({ apiLatency })),
  fc.record({ pod: follower, ready: fc.boolean() }).map((readiness) => ({ readiness })),
  fc
    .record({ pod: follower, times: fc.integer({ min: 1, max: 4 }), every: ms(200, 3000) })
    .map((flap) => ({ flap })),
  fc.record({ pod: follower, grace }).map((deletePod) => ({ deletePod })),
  fc.constantFrom("node-2", "node-3").map((node) => ({ drainNode: node })),
  fc.record({ deployment, replicas: fc.integer({ min: 1, max: 5 }) }).map((scale) => ({ scale })),
);

type RawFault = Record<string, unknown>;

type Cluster = typeof cluster extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(c: Cluster, faults: readonly { at: number; fault: RawFault }[]) {
  const annotations: Record<string, string> = { "zen-lead.io/enabled": "true" };
  if (c.sticky !== undefined) annotations["zen-lead.io/sticky"] = c.sticky;
  if (c.minReady !== undefined) annotations["zen-lead.io/min-ready-duration"] = c.minReady;
  return {
    name: "fuzz",
    seed: c.seed,
    deployments: DEPLOYMENTS.map((name, i) => ({
      name,
      replicas: c.replicas[i],
      readyAfter: c.readyAfter,
      terminationGrace: c.terminationGrace,
      containerPorts: [{ name: "http", containerPort: 8080 }],
    })),
    services: DEPLOYMENTS.map((name) => ({
      name,
      annotations,
      selector: { app: name },
      ports: [{ name: "http", port: 80, targetPort: "http" }],
    })),
    timeline: faults.map(({ at, fault }) => ({ at: `${at}ms`, ...fault })),
  };
}

const timed = (fault: fc.Arbitrary<RawFault>, maxLength: number) =>
  fc.array(fc.record({ at: fc.integer({ min: 1000, max: 120_000 }), fault }), { maxLength });

/** A failover while the API server refuses writes: the failures start up to 2 s before it. */
const failoverUnderFailures = fc
  .record({
    at: fc.integer({ min: 1000, max: 100_000 }),
    lead: fc.integer({ min: 0, max: 2000 }),
    rate: fc.double({ min: 0.3, max: 1, noNaN: true }),
    codes: fc.subarray([409, 429, 500] as const, { minLength: 1 }),
    for: fc.integer({ min: 500, max: 15_000 }),
    fault: fc.oneof(
      deployment.map((d): RawFault => ({ crashLeader: d })),
      fc.record({ leaderOf: deployment, grace }).map((deletePod): RawFault => ({ deletePod })),
      fc
        .record({ leaderOf: deployment, ready: fc.constant(false) })
        .map((readiness): RawFault => ({ readiness })),
    ),
  })
  .map(({ at, lead, rate, codes, for: length, fault }) => [
    { at, fault: { apiFailures: { rate, codes, for: `${length}ms` } } },
    { at: at + lead, fault },
  ]);

/** Independent faults, plus up to two failovers under API failures. */
const chaos = fc
  .tuple(timed(chaosFault, 7), fc.array(failoverUnderFailures, { maxLength: 2 }))
  .map(([faults, storms]) => [...faults, ...storms.flat()]);

/** Runs raw scenario data; undefined when a fault names a pod the run has already lost. */
function run(raw: unknown): ScenarioRun | undefined {
  try {
    return runScenario(decodeScenario(raw, "fuzz.yaml"));
  } catch (error) {
    // A fault naming a pod an earlier fault deleted (or one not created yet): not a run to judge.
    if (error instanceof ScenarioError && /does not exist|already deleted|no pod/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The time after which nothing the scenario started is still going on: its last change, a watch
 * gap's end, and the last time a pod appeared, went or changed readiness (the world model's
 * replacements, rollouts and graceful deletions run on after the faults that caused them).
 */
function lastActivity(sim: Simulation, report: SimReport): number {
  let last = 0;
  for (const { at, change } of sim.timeline) {
    last = Math.max(last, at);
    if (change.type === "watchGap") last = Math.max(last, change.until);
  }
  for (const svc of report.services) {
    for (const pod of svc.pods) {
      last = Math.max(last, pod.created, pod.deleted ?? 0);
      for (const r of pod.ready) last = Math.max(last, r.from, r.to ?? 0);
    }
  }
  return last;
}

/**
 * Longest a write can take from the core's ask (or the queue's retry) to its arrival at the API
 * server in these runs: the queue's wait for the key's write in flight plus the write latency (at
 * most 300 ms each here; the rate limit is never reached).
 */
const ASK_TO_ARRIVAL_MS = 1_000;

/** The core's suppression window after `repeats` refused repeats of one write (reconcile.ts). */
const windowMs = (repeats: number) => suppressionMs(DEFAULT_OPTIONS, repeats);

/**
 * The longest the write queue waits after a key's `failures`-th transient failure in a row (1: the
 * first), write-queue.ts: its backoff ceiling (the jitter at its largest; the simulated API server
 * sends no Retry-After, so a 429 waits the same as a 500). The sim runs the queue's defaults.
 */
const backoffMs = (failures: number) =>
  backoffCeiling(failures - 1, WRITE_QUEUE_DEFAULTS.backoffInitialMs, WRITE_QUEUE_DEFAULTS.backoffMaxMs);

/**
 * When the last retry the core and its write queue still owe is due, by their rules, from the
 * report's writes:
 * - a transient failure (429, 5xx: write-queue.ts) is retried by the queue after its backoff, which
 *   doubles with each transient failure of the key in a row (reset by any final answer) up to 30 s:
 *   the retry is due by the answer plus that backoff plus the trip to the server — or when the
 *   key's next write came, if sooner (the retry, or a newer request that replaced it). The core
 *   asking again meanwhile only sends it sooner (or, after a 429, at the same time). Counting a
 *   series on across a controller restart (whose new queue starts at 0) only lengthens the bound;
 * - a write refused for good (a 409: nothing in the world explains an injected one) is asked for
 *   again when its suppression window ends, 30 s after it was asked (reconcile.ts, timers.ts); the
 *   window doubles (up to 16×, capped at `inflightMaxMs`, 30 s by default) only when the *same* write is refused again, and starts at 30 s for
 *   any other write (new content, or a new observation of the object). From the report a refused
 *   write counts as a repeat of the key's previous refused one when it asks the same (verb) and was
 *   asked no sooner than that one's window let it (an ask is timed by its first attempt; 429s and
 *   5xx are the queue's retries of the same ask). One asked sooner was another write. A success
 *   ends the series.
 */
function retriesDue(writes: readonly WriteRecord[]): number {
  let due = 0;
  /** Per key, the first attempt's time of the ask in progress (after transient failures). */
  const asking = new Map<string, number>();
  /** Per key, its last refused ask. */
  const refused = new Map<string, { verb: string; askedAt: number; repeats: number }>();
  /** Per key, its transient failures in a row, and when the queue's retry of the last is due. */
  const backingOff = new Map<string, { failures: number; retryBy: number }>();
  for (const w of writes) {
    const key = `${w.kind}:${w.object}`;
    const askedAt = asking.get(key) ?? w.at;
    const owed = backingOff.get(key);
    // The key's next write is the retry owed (or a newer request that replaced it), when it comes in time.
    if (owed !== undefined) due = Math.max(due, Math.min(w.at, owed.retryBy));
    if (isTransient(w.status)) {
      asking.set(key, askedAt);
      const failures = (owed?.failures ?? 0) + 1;
      backingOff.set(key, { failures, retryBy: w.at + backoffMs(failures) + ASK_TO_ARRIVAL_MS });
      continue;
    }
    asking.delete(key);
    backingOff.delete(key);
    if (w.status === 409) {
      const last = refused.get(key);
      const repeat =
        last !== undefined &&
        last.verb === w.verb &&
        askedAt >= last.askedAt + windowMs(last.repeats) - ASK_TO_ARRIVAL_MS;
      const repeats = repeat ? last.repeats + 1 : 0;
      refused.set(key, { verb: w.verb, askedAt, repeats });
      // From the answer (the core's window runs from the ask, earlier): an upper bound by the queue's backoff.
      due = Math.max(due, w.at + windowMs(repeats));
    } else if (w.status < 300) refused.delete(key);
  }
  for (const { retryBy } of backingOff.values()) due = Math.max(due, retryBy);
  return due;
}

function readyAtEnd(svc: ServiceReport): string[] {
  return svc.pods
    .filter(
      (p) => p.deleted === undefined && p.ready.length > 0 && p.ready[p.ready.length - 1]?.to === undefined,
    )
    .map((p) => p.pod);
}

/** The properties any run must have, as one-line problems. */
function problems(sim: Simulation, report: SimReport, quietAfter: number): string[] {
  const out: string[] = [];
  for (const v of report.violations) out.push(`violation at ${v.at}: ${v.invariant}: ${v.message}`);
  for (const svc of report.services) {
    // At most one leader at a time (the slice never names two pods).
    svc.leadership.forEach((p, i) => {
      const next = svc.leadership[i + 1];
      if (next !== undefined && (p.to === undefined || p.to > next.from)) {
        out.push(`${svc.service}: ${p.pod} and ${next.pod} lead at once at ${next.from}`);
      }
      // A leader was a Ready pod of the Service before it was chosen.
      const lane = svc.pods.find((l) => l.pod === p.pod || l.pod.endsWith(`/${p.pod}`));
      if (lane === undefined || lane.created > p.from || !lane.ready.some((r) => r.from <= p.from)) {
        out.push(`${svc.service}: ${p.pod} leads from ${p.from} without having been Ready`);
      }
    });
    // Converged: once everything settled, a Ready pod leads if there is one, and none otherwise.
    const ready = readyAtEnd(svc);
    const open = svc.leadership.find((p) => p.to === undefined);
    const names = (pods: readonly string[]) => pods.map((p) => p.slice(p.indexOf("/") + 1));
    if (
      ready.length > 0 &&
      (open === undefined || !names(ready).includes(open.pod.slice(open.pod.indexOf("/") + 1)))
    ) {
      out.push(
        `${svc.service}: at the end ${open?.pod ?? "nobody"} leads, but the Ready pods are ${ready.join(", ")}`,
      );
    }
    if (ready.length === 0 && open !== undefined)
      out.push(`${svc.service}: ${open.pod} leads at the end with no Ready pod`);
  }
  // Nothing changes after the faults are over: no write.
  const late = report.writes.filter((w) => w.at > quietAfter);
  if (late.length > 0) {
    out.push(
      `${late.length} writes after ${quietAfter} ms, when nothing changed (first: ${JSON.stringify(late[0])})`,
    );
  }
  if (report.endAt !== sim.endAt) out.push(`the run ended at ${report.endAt}, not ${sim.endAt}`);
  return out;
}

/**
 * The random scenarios' judge: `problems`, with writes allowed until 15 s after the last of the
 * scenario's activity (plus a min-ready's wait) and of the retries the core and its queue owe.
 */
function chaosProblems(c: Cluster, sim: Simulation, report: SimReport): string[] {
  const minReady = c.minReady === undefined ? 0 : 15_000;
  const quietAfter = Math.max(lastActivity(sim, report) + minReady, retriesDue(report.writes)) + 15_000;
  return problems(sim, report, quietAfter);
}

/** `FUZZ_SEED=<seed fast-check printed>` runs the same scenarios again (to reproduce a failure). */
function replaySeed(): { seed?: number } {
  const seed = process.env.FUZZ_SEED;
  return seed === undefined || seed === "" ? {} : { seed: Number(seed) };
}

function check(raw: unknown, judge: (sim: Simulation, report: SimReport) => string[]): void {
  const result = run(raw);
  fc.pre(result !== undefined);
  if (result === undefined) return;
  const found = judge(result.simulation, result.report);
  if (found.length > 0) throw new Error(`${found.join("\n")}\n--- scenario ---\n${stringify(raw)}`);
}

describe("random scenarios", () => {
  it("keep zen-lead's invariants through churn, flaps, restarts, watch gaps and API faults", () => {
    fc.assert(
      fc.property(cluster, chaos, (c, faults) => {
        const raw = scenarioOf(c, faults);
        check(raw, (sim, report) => chaosProblems(c, sim, report));
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 50), ...replaySeed() },
    );
  }, 120_000);

  it("never move a healthy leader, and write nothing, on restarts, watch gaps and follower churn", () => {
    fc.assert(
      fc.property(cluster, timed(calmFault, 8), (c, faults) => {
        const raw = scenarioOf({ ...c, minReady: undefined }, faults);
        check(raw, (sim, report) => {
          const out = problems(sim, report, 1000);
          for (const svc of report.services) {
            if (svc.leadership.length !== 1 || svc.leadership[0]?.to !== undefined) {
              out.push(`${svc.service}: the leader moved: ${JSON.stringify(svc.leadership)}`);
            }
          }
          return out;
        });
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 40), ...replaySeed() },
    );
  }, 120_000);

  it("compile and run the same random scenario to the same simulation and report", () => {
    fc.assert(
      fc.property(cluster, chaos, (c, faults) => {
        const raw = scenarioOf(c, faults);
        const a = run(raw);
        fc.pre(a !== undefined);
        const b = run(structuredClone(raw));
        expect(compileScenario(decodeScenario(raw, "fuzz.yaml"))).toEqual(a?.simulation);
        expect(b?.report).toEqual(a?.report);
      }),
      { numRuns: 20 },
    );
  });

  it("are judged by checks that catch a broken run", () => {
    const raw = scenarioOf(
      {
        seed: 1,
        replicas: [3, 1],
        readyAfter: "5s",
        terminationGrace: "0s",
        sticky: undefined,
        minReady: undefined,
      },
      [{ at: 20_000, fault: { crashLeader: "alpha" } }],
    );
    const { simulation: sim, report } = run(raw) as ScenarioRun;
    expect(problems(sim, report, 30_000)).toEqual([]);
    const alpha = report.services.find((s) => s.service === "default/alpha") as ServiceReport;
    const [first, second] = alpha.leadership;
    const broken = (svc: ServiceReport): SimReport => ({ ...report, services: [svc] });
    // Two leaders at once.
    const overlap = { ...alpha, leadership: [{ ...first, to: 25_000 }, second] } as ServiceReport;
    expect(problems(sim, broken(overlap), 30_000).join()).toMatch(/lead at once/);
    // A leader that was never Ready.
    const never = { ...alpha, pods: alpha.pods.map((p) => ({ ...p, ready: [] })) } as ServiceReport;
    expect(problems(sim, broken(never), 30_000).join()).toMatch(/without having been Ready/);
    // Nobody leads at the end although pods are Ready.
    const lost = { ...alpha, leadership: [{ ...first, to: 20_000 }] } as ServiceReport;
    expect(problems(sim, broken(lost), 30_000).join()).toMatch(/nobody leads/);
    // A write when nothing changed.
    expect(problems(sim, report, 10_000).join()).toMatch(/writes after 10000 ms/);
  });

  it("allow a refused write's retries the core's window: 30 s, never longer (the doubling is capped)", () => {
    const w = (at: number, status: number, verb: WriteRecord["verb"] = "update"): WriteRecord => ({
      at,
      verb,
      kind: "EndpointSlice",
      object: "default/alpha-leader",
      status,
      source: "default/alpha",
    });
    // The same update refused at its every retry: 30 s each time (the window's doubling is capped at 30 s).
    expect(retriesDue([w(0, 409), w(30_100, 409), w(60_200, 409)])).toBe(60_200 + 30_000);
    // Another write refused within the first one's window is a new write: 30 s again, not 60 s.
    expect(retriesDue([w(0, 409), w(5_000, 409)])).toBe(35_000);
    // Another request (a create, then an update) is a new write too.
    expect(retriesDue([w(0, 409, "create"), w(30_100, 409)])).toBe(60_100);
    // A success ends the series.
    expect(retriesDue([w(0, 409), w(30_100, 200), w(60_200, 409)])).toBe(90_200);
    // Transient failures are the queue's retries of one ask: the ask is timed by its first attempt.
    expect(retriesDue([w(0, 500), w(2_000, 429), w(9_000, 409), w(30_100, 409)])).toBe(30_100 + 30_000);
  });

  it("allow a transiently failed write the queue's backoff: doubling with each failure in a row, up to 30 s", () => {
    const w = (at: number, status: number): WriteRecord => ({
      at,
      verb: "update",
      kind: "EndpointSlice",
      object: "default/alpha-leader-ipv4",
      status,
      source: "default/alpha",
    });
    const trip = 1_000; // to the API server: the queue's wait for the key plus the write latency
    // Seed -2114497938's failover slice: seven 500s in a row, then a 429 (its 8th failure: up to 25.6 s).
    const storm = [1_010, 1_153, 1_421, 2_050, 3_209, 3_510, 8_035].map((at) => w(at, 500));
    const throttled = [...storm, w(19_811, 429)];
    expect(retriesDue(throttled)).toBe(19_811 + 25_600 + trip);
    // ...whose retry came 15.2 s later (jittered between 12.8 and 25.6 s): due when it came.
    expect(retriesDue([...throttled, w(35_007, 200)])).toBe(35_007);
    // The simulated API server sends no Retry-After: a 429 backs off as a 500 does.
    expect(retriesDue([...storm, w(19_811, 500)])).toBe(retriesDue(throttled));
    // The first failure waits at most 200 ms, the second 400 ms.
    expect(retriesDue([w(0, 500)])).toBe(200 + trip);
    expect(retriesDue([w(0, 500), w(150, 429)])).toBe(150 + 400 + trip);
    // The doubling stops at the queue's longest backoff, 30 s.
    const many = Array.from({ length: 12 }, (_, i) => w(i * 1_000, 500));
    expect(retriesDue(many)).toBe(11_000 + 30_000 + trip);
    // A final answer ends the series: the next failure is a first one again.
    expect(retriesDue([...storm, w(9_000, 200), w(40_000, 500)])).toBe(40_000 + 200 + trip);
    // A write that replaced the retry, sooner, is when it was due.
    expect(retriesDue([w(0, 500), w(100, 200)])).toBe(100);
    // One later than the backoff let it was not the queue's retry: the backoff's end bounds it.
    expect(retriesDue([w(0, 500), w(5_000, 200)])).toBe(200 + trip);
    // Other keys back off on their own.
    const service = (at: number, status: number): WriteRecord => ({ ...w(at, status), kind: "Service" });
    expect(retriesDue([...storm, service(30_000, 500)])).toBe(30_000 + 200 + trip);
  });

  it("publish a failover's slice that failed through two API storms once the server answers again (seed -2114497938, shrunk)", () => {
    const c: Cluster = {
      seed: 0,
      replicas: [1, 1],
      readyAfter: "2s",
      terminationGrace: "0s",
      sticky: undefined,
      minReady: undefined,
    };
    const storm = (at: number, rate: number, codes: number[], length: number) => ({
      at,
      fault: { apiFailures: { rate, codes, for: `${length}ms` } },
    });
    const deleteLeader = (at: number) => ({ at, fault: { deletePod: { leaderOf: "alpha", grace: 0 } } });
    const raw = scenarioOf(c, [
      storm(13_622, 0.35616534040309494, [429, 500], 6_190),
      deleteLeader(13_622),
      storm(1_000, 0.9034309543203564, [500], 9_574),
      deleteLeader(1_000),
    ]);
    const { simulation: sim, report } = run(raw) as ScenarioRun;
    // The new leader's slice write fails until the second storm ends (a 429 at its last attempt).
    // Its backoff had grown to 12.8–25.6 s (it landed at 35.0 s, 15 s after the storm, before the
    // queue's backoff followed the server's health); now the first answer to another write sent
    // after that failure sends it again: it lands within seconds of the storm's end (19,812 ms).
    const slice = report.writes.filter((x) => x.object === "default/alpha-leader-ipv4" && x.at > 1_000);
    const [last, retry] = slice.slice(-2);
    expect(last?.status).toBe(429);
    expect(retry?.status).toBe(200);
    expect(retry?.at).toBeLessThan(19_812 + 5_000);
    expect(chaosProblems(c, sim, report)).toEqual([]);
  });
});
