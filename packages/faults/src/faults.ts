/**
 * The faults, injected one at a time on the suite's stage (suite.ts). Each one breaks something,
 * makes failovers necessary (it turns the leaders of a few Services NotReady, as a failing
 * readiness probe would), and measures:
 *
 * - recovered in: from the moment the failovers became possible to the watcher seeing every one
 *   of those Services lead a candidate again. "Possible" is the API server's /readyz after an API
 *   server or etcd outage, and the fault itself for replica and network faults;
 * - violations: what the invariant watcher flagged meanwhile (invariants.ts);
 * - writes made vs needed: writes of every replica (their /metrics) against two per failover (the
 *   leader slice and the leader Service's annotations); the old leaders turn Ready again before
 *   the count closes, which needs no write.
 */
import { request } from "@zen-lead/k8s-adapter";
import { rssBytes, tcpConnections } from "@zen-lead/test-cluster/process-stats";
import { waitFor } from "@zen-lead/test-cluster/wait";
import type { Violation } from "./invariants.ts";
import type { Replica } from "./replicas.ts";
import { NAMESPACE_PREFIX, type Suite, sleep } from "./suite.ts";
import { createWorkload, retrying } from "./workload.ts";

/** Writes a failover takes: the leader slice and the leader Service's annotations. */
export const WRITES_PER_FAILOVER = 2;

export interface FaultResult {
  readonly name: string;
  /** ms; undefined when it did not recover within the fault's deadline. */
  readonly recoveredInMs: number | undefined;
  readonly violations: readonly Violation[];
  readonly writesMade: number;
  readonly writesNeeded: number;
  /** Other figures worth printing (`name: value unit`). */
  readonly figures: readonly string[];
  /** Replicas whose /readyz answered 503 while the fault lasted (measured for outages). */
  readonly unready?: readonly string[];
  /** Why it did not recover, or another failure of the run itself. */
  readonly error?: string;
}

interface Outcome {
  readonly recoveredInMs: number | undefined;
  readonly writesNeeded: number;
  readonly figures?: readonly string[];
  readonly unready?: readonly string[];
}

export interface Fault {
  readonly name: string;
  readonly summary: string;
  /** Breaks something, measures recovery; the runner counts violations and writes around it. */
  run(suite: Suite, context: FaultContext): Promise<Outcome>;
}

export interface FaultContext {
  /** Leaders turned NotReady per fault. Default 4. */
  readonly failovers: number;
  /** How long recovery may take before the fault counts as not recovered. */
  readonly deadlineMs: number;
  /** Rotates through the Services, so each fault moves different leaders. */
  cursor: number;
}

interface Flip {
  readonly source: string;
  readonly pod: string;
}

const sec = (ms: number) => (ms / 1000).toFixed(2);

/** Turns the current leaders of the next `count` Services NotReady. */
async function flipLeaders(suite: Suite, context: FaultContext, count: number): Promise<Flip[]> {
  const { workload, watcher } = suite;
  const flips: Flip[] = [];
  for (let i = 0; i < count; i++) {
    const service = workload.services[context.cursor++ % workload.services.length] ?? "";
    const source = `${workload.namespace}/${service}`;
    const pod = watcher.leaderOf(source);
    if (pod !== undefined) flips.push({ source, pod });
  }
  await Promise.all(flips.map((f) => retrying(() => workload.setReady(f.pod, false))));
  return flips;
}

/** Once every flipped Service leads another pod: ms from `t0` to the last of them. */
async function recovery(suite: Suite, flips: readonly Flip[], t0: number, deadlineMs: number) {
  const { watcher } = suite;
  try {
    const moved = (f: Flip) => {
      const now = watcher.leaderOf(f.source);
      return now !== undefined && now !== f.pod;
    };
    await waitFor("the failovers", () => (flips.every(moved) ? true : undefined), {
      timeoutMs: deadlineMs,
      intervalMs: 50,
    });
  } catch {
    return undefined;
  }
  return Math.max(0, ...flips.map((f) => watcher.leaderSince(f.source) - t0));
}

/** Old leaders turn Ready again (a flap of non-leaders: no write is needed). */
async function restore(suite: Suite, flips: readonly Flip[]) {
  await Promise.all(flips.map((f) => retrying(() => suite.workload.setReady(f.pod, true))));
}

/** Polls the API server's /readyz until it answers 200; resolves with performance.now() then. */
async function apiServerReady(suite: Suite, timeoutMs = 120_000): Promise<number> {
  await waitFor(
    "the API server's /readyz",
    () => request(suite.kc, "GET", "/readyz", { signal: AbortSignal.timeout(1_000) }).then(() => true),
    { timeoutMs, intervalMs: 20 },
  );
  return performance.now();
}

/** An outage of one component: `break` it, wait `downMs`, `heal` it, then fail leaders over. */
function outage(
  name: string,
  summary: string,
  downMs: number,
  breakIt: (suite: Suite) => Promise<unknown>,
  heal: (suite: Suite) => Promise<unknown>,
): Fault {
  return {
    name,
    summary,
    async run(suite, context) {
      await breakIt(suite);
      // Meanwhile, a replica that cannot see the cluster must say so on /readyz.
      const unready = new Set<string>();
      const deadline = performance.now() + downMs;
      while (performance.now() < deadline) {
        const answers = await Promise.all(suite.replicas.map((r) => r.ready()));
        answers.forEach((ok, i) => {
          if (!ok) unready.add(suite.replicas[i]?.name ?? "");
        });
        await sleep(Math.min(250, Math.max(0, deadline - performance.now())));
      }
      const healedAt = performance.now();
      await heal(suite);
      const t0 = await apiServerReady(suite);
      suite.log(`${name}: healed; the API server is ready; turning ${context.failovers} leaders NotReady`);
      const flips = await flipLeaders(suite, context, context.failovers);
      const recoveredInMs = await recovery(suite, flips, t0, context.deadlineMs);
      await restore(suite, flips);
      return {
        recoveredInMs,
        writesNeeded: flips.length * WRITES_PER_FAILOVER,
        figures: [
          `API server /readyz after healing: ${sec(t0 - healedAt)} s`,
          `zen-lead /readyz 503 during the outage: ${[...unready].join(", ") || "none"}`,
        ],
        unready: [...unready],
      };
    },
  };
}

/** Something happens to the Lease holder, and leaders must fail over at that very moment. */
function toHolder(
  name: string,
  summary: string,
  act: (holder: Replica, suite: Suite) => Promise<unknown>,
  after?: (holder: Replica, suite: Suite) => Promise<unknown>,
): Fault {
  return {
    name,
    summary,
    async run(suite, context) {
      const holder = await suite.holder();
      if (holder === undefined) throw new Error("no replica holds the Lease");
      const t0 = performance.now();
      await act(holder, suite);
      const flips = await flipLeaders(suite, context, context.failovers);
      const recoveredInMs = await recovery(suite, flips, t0, context.deadlineMs);
      const taker = await suite.holder();
      await after?.(holder, suite);
      await restore(suite, flips);
      return {
        recoveredInMs,
        writesNeeded: flips.length * WRITES_PER_FAILOVER,
        figures: [`Lease holder after: ${taker?.name ?? "none"} (was ${holder.name})`],
      };
    },
  };
}

export const FAULTS: readonly Fault[] = [
  outage(
    "apiserver-sigkill-short",
    "kube-apiserver SIGKILLed, restarted 5 s later (the Lease survives)",
    5_000,
    (s) => s.cluster.control("kill", "kube-apiserver"),
    (s) => s.cluster.control("start", "kube-apiserver"),
  ),
  outage(
    "apiserver-sigkill-long",
    "kube-apiserver SIGKILLed, restarted 30 s later (longer than the Lease)",
    30_000,
    (s) => s.cluster.control("kill", "kube-apiserver"),
    (s) => s.cluster.control("start", "kube-apiserver"),
  ),
  outage(
    "apiserver-sigstop",
    "kube-apiserver frozen (SIGSTOP) for 20 s: connections stay open and silent",
    20_000,
    (s) => s.cluster.control("stop", "kube-apiserver"),
    (s) => s.cluster.control("cont", "kube-apiserver"),
  ),
  outage(
    "etcd-sigkill",
    "etcd SIGKILLed, restarted 10 s later",
    10_000,
    (s) => s.cluster.control("kill", "etcd"),
    (s) => s.cluster.control("start", "etcd"),
  ),
  toHolder("holder-sigkill", "the Lease holder SIGKILLed (a standby must wait out the Lease)", (h) =>
    h.signal("SIGKILL"),
  ),
  toHolder("holder-sigterm", "the Lease holder SIGTERMed (it hands the Lease over)", (h) =>
    h.signal("SIGTERM"),
  ),
  toHolder(
    "holder-partition",
    "the Lease holder cut off from the API server (a black hole), healed after the takeover",
    async (h) => h.proxy.partition(),
    async (h) => {
      await sleep(5_000);
      h.proxy.heal();
      await sleep(5_000); // the old holder sees the cluster again: it must not write
    },
  ),
  toHolder(
    "frozen-connections",
    "the Lease holder's open connections silently frozen (new ones work)",
    async (h) => h.proxy.freeze(),
  ),
  toHolder("dropped-connections", "the Lease holder's open connections reset (new ones work)", async (h) =>
    h.proxy.drop(),
  ),
  {
    name: "restarts-during-churn",
    summary: "replicas SIGTERMed and SIGKILLed every 6 s for 30 s while pods flap 5 times a second",
    async run(suite) {
      const { workload, watcher } = suite;
      const t0 = performance.now();
      let forced = 0;
      let flaps = 0;
      let restarts = 0;
      const stop = t0 + 30_000;
      const churn = (async () => {
        while (performance.now() < stop) {
          const service = workload.services[Math.floor(Math.random() * workload.services.length)] ?? "";
          const pods = workload.podsOf(service);
          const pod = pods[Math.floor(Math.random() * pods.length)] ?? "";
          const ready = workload.isReady(pod);
          // Keep a candidate in every Service: never turn the last Ready pod NotReady.
          if (!ready || pods.filter((p) => workload.isReady(p)).length > 1) {
            if (ready && watcher.leaderOf(`${workload.namespace}/${service}`) === pod) forced++;
            await workload.setReady(pod, !ready).catch(() => undefined);
            flaps++;
          }
          await sleep(200);
        }
      })();
      const signals: NodeJS.Signals[] = ["SIGTERM", "SIGKILL"];
      for (let i = 0; performance.now() + 6_000 < stop; i++) {
        await sleep(6_000);
        const replica = suite.replicas[i % suite.replicas.length];
        if (replica === undefined) continue;
        await replica.signal(signals[i % signals.length] ?? "SIGTERM");
        await sleep(1_000);
        await replica.start();
        restarts++;
      }
      await churn;
      const end = performance.now();
      // Everything Ready again; then wait for the watcher to see every Service lead a candidate.
      for (const service of workload.services) {
        for (const pod of workload.podsOf(service)) {
          if (!workload.isReady(pod)) await retrying(() => workload.setReady(pod, true));
        }
      }
      const converged = await waitFor(
        "convergence after churn",
        () => (watcher.converged().ok ? performance.now() : undefined),
        { timeoutMs: 120_000, intervalMs: 50 },
      ).catch(() => undefined);
      return {
        recoveredInMs: converged === undefined ? undefined : converged - end,
        writesNeeded: forced * WRITES_PER_FAILOVER,
        figures: [`pod flaps: ${flaps}`, `leaders flapped: ${forced}`, `replica restarts: ${restarts}`],
      };
    },
  },
];

export interface LoadOptions {
  readonly services: number;
  readonly podsPerService: number;
  /** Pod status writes per second. */
  readonly rate: number;
  readonly seconds: number;
}

/**
 * The load phase: `services` more opted-in Services with `podsPerService` pods each, then `rate`
 * pod status writes a second for `seconds` (random pods flap; every Service keeps a candidate).
 * Samples each replica's connections to the API server and its RSS once a second.
 */
export function loadFault(options: LoadOptions): Fault {
  return {
    name: "load",
    summary: `${options.services} Services, ${options.services * options.podsPerService} pods, ${options.rate} status writes/s for ${options.seconds} s`,
    async run(suite) {
      const { watcher } = suite;
      const workload = await createWorkload(suite.kc, {
        namespace: `${NAMESPACE_PREFIX}-load`,
        services: options.services,
        podsPerService: options.podsPerService,
        node: suite.cluster.state.manualNodes[0] ?? "manual-node-0",
        ipBlock: 201,
      });
      const created = performance.now();
      await waitFor("the load Services to lead", () => (watcher.converged().ok ? true : undefined), {
        timeoutMs: 300_000,
        intervalMs: 100,
      });
      const convergedIn = performance.now() - created;

      const holder = await suite.holder();
      const standby = suite.replicas.find((r) => r !== holder);
      const samples = { holder: [] as number[][], standby: [] as number[][] };
      const sample = () => {
        for (const [role, r] of [
          ["holder", holder],
          ["standby", standby],
        ] as const) {
          const pid = r?.pid();
          if (r === undefined || pid === undefined) continue;
          samples[role].push([tcpConnections(pid, r.proxy.port), rssBytes(pid)]);
        }
      };
      sample();
      const sampler = setInterval(sample, 1_000);
      const t0 = performance.now();
      const stop = t0 + options.seconds * 1_000;
      const pods = workload.services.flatMap((s) => workload.podsOf(s).map((p) => [s, p] as const));
      let writes = 0;
      let failed = 0;
      let forced = 0;
      let inFlight = 0;
      const interval = 1_000 / options.rate;
      for (let i = 0; performance.now() < stop; i++) {
        const due = t0 + i * interval;
        if (due > performance.now()) await sleep(due - performance.now());
        if (inFlight >= 50) continue; // the API server is behind: skip rather than pile up
        const [service, pod] = pods[Math.floor(Math.random() * pods.length)] ?? ["", ""];
        const ready = workload.isReady(pod);
        const readyPods = workload.podsOf(service).filter((p) => workload.isReady(p)).length;
        // Keep a candidate in every Service: the last Ready pod only turns Ready again.
        const value = !(ready && readyPods > 1);
        if (!value && watcher.leaderOf(`${workload.namespace}/${service}`) === pod) forced++;
        inFlight++;
        void workload.setReady(pod, value).then(
          () => {
            writes++;
            inFlight--;
          },
          () => {
            failed++;
            inFlight--;
          },
        );
      }
      const end = performance.now();
      await waitFor("in-flight status writes", () => (inFlight === 0 ? true : undefined), { intervalMs: 50 });
      const converged = await waitFor(
        "convergence after the load",
        () => (watcher.converged().ok ? performance.now() : undefined),
        { timeoutMs: 120_000, intervalMs: 50 },
      ).catch(() => undefined);
      clearInterval(sampler);
      sample();
      await Promise.all([holder?.scrape(), standby?.scrape()]);
      const max = (rows: number[][], i: number) => Math.max(0, ...rows.map((r) => r[i] ?? 0));
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
      const last = (rows: number[][]) => rows.at(-1)?.[1] ?? 0;
      const first = (rows: number[][]) => rows[0]?.[1] ?? 0;
      const ratio = last(samples.standby) > 0 ? last(samples.holder) / last(samples.standby) : Number.NaN;
      return {
        recoveredInMs: converged === undefined ? undefined : converged - end,
        // A new Service takes its leader Service and slice (created before its pods are Ready), then
        // the first election (two writes, like a failover); each failover two writes.
        writesNeeded: options.services * 4 + forced * WRITES_PER_FAILOVER,
        figures: [
          `initial convergence of ${options.services} Services: ${sec(convergedIn)} s`,
          `status writes: ${writes} in ${sec(end - t0)} s (${(writes / ((end - t0) / 1000)).toFixed(1)}/s, ${failed} failed)`,
          `leaders flapped: ${forced}`,
          `connections to the API server, holder (${holder?.name}): max ${max(samples.holder, 0)}`,
          `connections to the API server, standby (${standby?.name}): max ${max(samples.standby, 0)}`,
          `RSS holder: ${mb(first(samples.holder))} -> ${mb(last(samples.holder))} MiB (max ${mb(max(samples.holder, 1))})`,
          `RSS standby: ${mb(first(samples.standby))} -> ${mb(last(samples.standby))} MiB (max ${mb(max(samples.standby, 1))})`,
          `RSS holder / standby at the end: ${ratio.toFixed(2)}`,
          ...[holder, standby].map(
            (r) =>
              `V8 heap used / total, ${r?.name}: ${mb(r?.metric("nodejs_heap_size_used_bytes") ?? 0)} / ${mb(r?.metric("nodejs_heap_size_total_bytes") ?? 0)} MiB, external ${mb(r?.metric("nodejs_external_memory_bytes") ?? 0)} MiB`,
          ),
        ],
      };
    },
  };
}

/** Runs one fault: counts violations and writes around it, then waits for the stage to be steady. */
export async function runFault(suite: Suite, fault: Fault, context: FaultContext): Promise<FaultResult> {
  await Promise.all(suite.replicas.map((r) => r.scrape()));
  const writesBefore = suite.replicas.reduce((n, r) => n + r.writes(), 0);
  const violationsBefore = suite.watcher.violations.length;
  let outcome: Outcome = { recoveredInMs: undefined, writesNeeded: 0 };
  let error: string | undefined;
  try {
    outcome = await fault.run(suite, context);
    await sleep(2_000); // late writes count
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  await Promise.all(suite.replicas.map((r) => r.scrape()));
  const writesMade = suite.replicas.reduce((n, r) => n + r.writes(), 0) - writesBefore;
  try {
    await suite.steady();
  } catch (caught) {
    error ??= `not steady afterwards: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  return {
    name: fault.name,
    recoveredInMs: outcome.recoveredInMs,
    violations: suite.watcher.violations.slice(violationsBefore),
    writesMade,
    writesNeeded: outcome.writesNeeded,
    figures: outcome.figures ?? [],
    ...(outcome.unready !== undefined ? { unready: outcome.unready } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** One line per fault: what `./scripts/faults` prints. */
export function formatResult(result: FaultResult): string {
  const recovered =
    result.recoveredInMs === undefined ? "NOT RECOVERED" : `recovered in ${sec(result.recoveredInMs)} s`;
  const lines = [
    `${result.name}: ${recovered}, violations ${result.violations.length}, writes ${result.writesMade} made / ${result.writesNeeded} needed`,
    ...result.figures.map((f) => `  ${f}`),
    ...result.violations.map((v) => `  violation ${v.kind}: ${v.subject}: ${v.detail}`),
    ...(result.error !== undefined ? [`  error: ${result.error}`] : []),
  ];
  return lines.join("\n");
}
