/**
 * Failover latency on the real API server (issue 5 §6). Prints `name: value unit` lines; asserts
 * nothing about timing.
 *
 *   node packages/k8s-adapter/bench/failover.bench.ts [--services N] [--failovers N] [--flaps N]
 *        [--concurrency N] [--seed N] [--controller process|in-process]
 *
 * Starts its own control plane (tools/cluster/up.sh, torn down at the end, on errors and on
 * SIGINT; `--watch-pid` covers a killed process). In one namespace it creates N opted-in Services,
 * each with 2 bare pods on the manual node whose status (Running, Ready, an IP) this script writes
 * as a kubelet would. It runs zen-lead as users do (`--controller process`, the default: `zen-lead
 * run` in its own process with the image's settings, Events included; its write results read from
 * its debug log) or in this process (`--controller in-process`: `startController`, no Events), and
 * an independent watcher of zen-lead's EndpointSlices (its own client-node Watch, all namespaces).
 * Then, one at a time:
 *
 * - failover: the leader pod of a random Service is written NotReady (clock read just before the
 *   write) until the watcher sees that Service's slice name the other pod; then the old leader is
 *   made Ready again (sticky: leadership stays);
 * - floor: a test EndpointSlice this script owns (another namespace, the controller never sees it)
 *   gets its endpoint address toggled, until the same watcher sees the change — the API server's
 *   write-to-watch latency with nothing in between.
 *
 * Controller writes are counted from `onWriteResult`: per failover (goal: the slice plus at most one
 * Service annotation patch) and while non-leader pods flap (goal: 0).
 *
 * The latency budget: each failover's slice write carries its trace (`WriteResult.trace`): when the
 * pod's watch event reached zen-lead, was decoded, folded, the write sent and answered. Printed per
 * stage (p50, p99); "reaction" is event received -> request sent (goal: p50 <= 2 ms, p99 <= 10 ms).
 */

import { performance } from "node:perf_hooks";
import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1EndpointSlice,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { BenchRun } from "@zen-lead/test-cluster/bench-run";
import { figures, pool, quantile } from "@zen-lead/test-cluster/figures";
import { prng } from "@zen-lead/test-cluster/prng";
import { spawnZenLead, writesIdle } from "@zen-lead/test-cluster/zen-lead-process";
import {
  type Controller,
  stageMs,
  startController,
  type TraceStage,
  type WriteResult,
  type WriteTrace,
} from "../src/index.ts";

const values = benchArgs(
  "failover.bench.ts",
  "failover.bench.ts [--services N] [--failovers N] [--flaps N] [--concurrency N] [--seed N] [--controller process|in-process]",
  {
    services: { type: "string", default: "1000" },
    failovers: { type: "string", default: "200" },
    flaps: { type: "string", default: "200" },
    concurrency: { type: "string", default: "20" },
    seed: { type: "string", default: "42" },
    controller: { type: "string", default: "process" },
  },
  ["services", "failovers", "flaps", "concurrency"],
  { controller: ["process", "in-process"] },
);
const SERVICES = Number(values.services);
const FAILOVERS = Number(values.failovers);
const FLAPS = Number(values.flaps);
const CONCURRENCY = Number(values.concurrency);
const SLICE_SELECTOR = "endpointslice.kubernetes.io/managed-by=controller.zen-lead.io";
const NS = "bench";
const { log, print } = figures("failover");
const FLOOR_NS = "bench-floor";
const FLOOR_SLICE = "floor";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const random = prng(Number(values.seed));
const pick = (n: number) => Math.floor(random() * n);

/** Retry setup requests on transient failures (the API server is busy while we load it). */
async function retry<T>(what: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts) throw error;
      log(`${what} failed (${(error as Error).message.split("\n")[0]}), retrying`);
      await sleep(200 * i);
    }
  }
}

const bench = new BenchRun(log);

// ---- the independent watcher -------------------------------------------------------------------

interface Seen {
  /** The address and targetRef name of the slice's first endpoint, when it has one. */
  readonly address?: string;
  readonly pod?: string;
}
type Waiter = { readonly test: (seen: Seen) => boolean; readonly resolve: (at: number) => void };

/** Leader slices by `namespace/service-name` label (`<svc>-leader`), seen through one watch. */
class SliceWatcher {
  readonly seen = new Map<string, Seen>();
  private readonly waiters = new Map<string, Waiter[]>();
  private abort: AbortController | undefined;
  private stopped = false;
  private resourceVersion: string | undefined;

  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  async start(): Promise<void> {
    const query: Record<string, string | boolean> = {
      labelSelector: SLICE_SELECTOR,
      allowWatchBookmarks: true,
    };
    if (this.resourceVersion !== undefined) query.resourceVersion = this.resourceVersion;
    this.abort = await new Watch(this.kc).watch(
      "/apis/discovery.k8s.io/v1/endpointslices",
      query,
      (phase, obj: V1EndpointSlice) => this.onEvent(phase, obj),
      (error: unknown) => {
        if (this.stopped) return;
        if (error) log(`watcher: ${(error as Error).message ?? error}; re-watching`);
        const gone = (error as { statusCode?: number } | undefined)?.statusCode === 410;
        if (gone) this.resourceVersion = undefined;
        void sleep(100).then(() => this.start());
      },
    );
  }

  stop() {
    this.stopped = true;
    this.abort?.abort();
  }

  private onEvent(phase: string, obj: V1EndpointSlice) {
    const at = performance.now();
    if (obj.metadata?.resourceVersion !== undefined) this.resourceVersion = obj.metadata.resourceVersion;
    if (phase === "BOOKMARK") return;
    if (phase === "ERROR") {
      this.resourceVersion = undefined;
      return;
    }
    const key = `${obj.metadata?.namespace}/${obj.metadata?.labels?.["kubernetes.io/service-name"]}`;
    const endpoint = obj.endpoints?.[0];
    const seen: Seen =
      phase === "DELETED" || endpoint === undefined
        ? {}
        : {
            ...(endpoint.addresses[0] !== undefined ? { address: endpoint.addresses[0] } : {}),
            ...(endpoint.targetRef?.name !== undefined ? { pod: endpoint.targetRef.name } : {}),
          };
    this.seen.set(key, seen);
    const waiting = this.waiters.get(key);
    if (waiting === undefined) return;
    const rest = waiting.filter((w) => {
      if (!w.test(seen)) return true;
      w.resolve(at);
      return false;
    });
    if (rest.length === 0) this.waiters.delete(key);
    else this.waiters.set(key, rest);
  }

  /** Resolves with the performance.now() of the first event (from now on) that passes `test`. */
  until(key: string, test: (seen: Seen) => boolean, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${key}`)), timeoutMs);
      const waiter: Waiter = {
        test,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), waiter]);
    });
  }
}

// ---- main --------------------------------------------------------------------------------------

/** A write zen-lead made, as its result says: kind, outcome and (when sent) its trace. */
interface Written {
  readonly kind: string;
  readonly status: string;
  readonly trace?: WriteTrace;
}

/** zen-lead, watching NS, in its own process or in this one (`--controller`). */
async function startZenLead(
  kubeconfig: string,
  kc: KubeConfig,
): Promise<{ writes(): readonly Written[]; idle(): Promise<void>; stop(): Promise<void> }> {
  if (values.controller === "in-process") {
    const writes: Written[] = [];
    const controller: Controller = startController({
      kc,
      namespaces: [NS],
      onWriteResult: ({ action, status, trace }: WriteResult) =>
        void writes.push({ kind: action.kind, status, ...(trace !== undefined ? { trace } : {}) }),
    });
    const idle = async () => {
      for (let quiet = 0; quiet < 2; await sleep(250)) {
        const { pending, inFlight } = controller.writeQueue();
        quiet = pending + inFlight === 0 ? quiet + 1 : 0;
      }
    };
    return { writes: () => writes, idle, stop: () => controller.stop() };
  }
  const args = ["--namespace", NS, "--lease-namespace", NS, "--log-level", "debug"];
  const zenLead = await spawnZenLead({ kubeconfig, image: true, args });
  await zenLead.until("/readyz");
  return {
    // Every write result is a log line with its kind and status (debug when it went well).
    writes: () =>
      zenLead.logLines().flatMap((line) =>
        typeof line.kind === "string" && typeof line.status === "string"
          ? [
              {
                kind: line.kind,
                status: line.status,
                ...(line.trace ? { trace: line.trace as WriteTrace } : {}),
              },
            ]
          : [],
      ),
    idle: async () => void (await writesIdle(zenLead)),
    stop: async () => void (await zenLead.stop()),
  };
}

async function main() {
  const started = performance.now();
  log("starting the cluster (tools/cluster/up.sh)");
  const { state } = await bench.cluster();
  const node = state.manualNodes[0];
  if (node === undefined) throw new Error("the cluster has no manual node");
  log(`cluster up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespace({ body: { metadata: { name: FLOOR_NS } } });

  // Pods: the last status object we wrote (we are its only writer, so its resourceVersion holds).
  const pods = new Map<string, V1Pod>();
  const ipOf = new Map<string, string>();
  const setReady = async (name: string, ready: boolean) => {
    const ip = ipOf.get(name) ?? "";
    for (let attempt = 0; ; attempt++) {
      const pod = pods.get(name) ?? (await core.readNamespacedPodStatus({ namespace: NS, name }));
      pod.status = {
        phase: "Running",
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: "10.0.0.1",
        conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date() }],
      };
      try {
        pods.set(name, await core.replaceNamespacedPodStatus({ namespace: NS, name, body: pod }));
        return;
      } catch (error) {
        pods.delete(name);
        if (attempt >= 4) throw error;
      }
    }
  };

  // ---- setup: Services and pods ----
  const setupStart = performance.now();
  const indexes = Array.from({ length: SERVICES }, (_, i) => i);
  const podNames = (i: number): [string, string] => [`s${i}-a`, `s${i}-b`];
  await pool(indexes, CONCURRENCY, async (i) => {
    const svc = `s${i}`;
    await retry(`create ${svc}`, () =>
      core.createNamespacedService({
        namespace: NS,
        body: {
          metadata: { name: svc, annotations: { "zen-lead.io/enabled": "true" } },
          spec: { selector: { app: svc }, ports: [{ name: "web", port: 80, targetPort: 8080 }] },
        },
      }),
    );
    for (const [j, name] of podNames(i).entries()) {
      const k = 2 * i + j + 1;
      ipOf.set(name, `10.250.${k >> 8}.${k & 255}`);
      await retry(`create ${name}`, () =>
        core.createNamespacedPod({
          namespace: NS,
          body: {
            metadata: { name, labels: { app: svc } },
            spec: {
              nodeName: node,
              tolerations: [{ key: "zen-lead.io/manual", operator: "Exists", effect: "NoSchedule" }],
              containers: [{ name: "app", image: "registry.invalid/x:1", ports: [{ containerPort: 8080 }] }],
            },
          },
        }),
      );
      await setReady(name, true);
    }
    if ((i + 1) % 100 === 0) log(`created ${i + 1}/${SERVICES} Services with 2 Ready pods each`);
  });
  const setupMs = performance.now() - setupStart;

  // ---- the watcher (independent of the controller: own client, own watch) ----
  const watcher = new SliceWatcher(kc);
  await watcher.start();
  bench.defer(() => watcher.stop());

  // ---- zen-lead ----
  const controllerStart = performance.now();
  const zenLead = await startZenLead(state.kubeconfig, kc);
  bench.defer(() => zenLead.stop());
  /** zen-lead's write results so far. */
  const writes = () => zenLead.writes();
  const leaderOf = (i: number) => watcher.seen.get(`${NS}/s${i}-leader`)?.pod;
  for (;;) {
    const ready = indexes.filter((i) => leaderOf(i) !== undefined).length;
    if (ready === SERVICES) break;
    if (performance.now() - controllerStart > 300_000)
      throw new Error(`only ${ready} leader slices after 300 s`);
    await sleep(250);
  }
  const syncMs = performance.now() - controllerStart;
  log(`all ${SERVICES} leader slices have an endpoint after ${(syncMs / 1000).toFixed(1)} s`);
  await zenLead.idle(); // the initial writes (leader Services, annotations) done
  const writesAfterSync = writes().length;

  // ---- the floor: a slice this script owns, in a namespace the controller does not watch ----
  let floorSlice = await discovery.createNamespacedEndpointSlice({
    namespace: FLOOR_NS,
    body: {
      metadata: {
        name: FLOOR_SLICE,
        labels: {
          "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
          "kubernetes.io/service-name": FLOOR_SLICE,
        },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.251.0.1"], conditions: { ready: true } }],
      ports: [{ name: "web", port: 8080, protocol: "TCP" }],
    },
  });
  let floorAddress = "10.251.0.1";
  const floorKey = `${FLOOR_NS}/${FLOOR_SLICE}`;
  const floorSample = async (): Promise<number> => {
    const address = floorAddress === "10.251.0.1" ? "10.251.0.2" : "10.251.0.1";
    floorSlice.endpoints = [{ addresses: [address], conditions: { ready: true } }];
    const seen = watcher.until(floorKey, (s) => s.address === address);
    const t0 = performance.now();
    floorSlice = await discovery.replaceNamespacedEndpointSlice({
      namespace: FLOOR_NS,
      name: FLOOR_SLICE,
      body: floorSlice,
    });
    floorAddress = address;
    return (await seen) - t0;
  };
  // warm up both paths once (connections, first-use costs)
  await floorSample();

  // ---- failovers, each followed by a floor sample (same load, same moment) ----
  const failoverMs: number[] = [];
  const floorMs: number[] = [];
  const writesBeforeFailovers = writes().length;
  const failoverStart = performance.now();
  for (let n = 0; n < FAILOVERS; n++) {
    const i = pick(SERVICES);
    const key = `${NS}/s${i}-leader`;
    const leader = leaderOf(i);
    const [a, b] = podNames(i);
    const other = leader === a ? b : a;
    if (leader === undefined) throw new Error(`s${i} has no leader`);
    const seen = watcher.until(key, (s) => s.pod === other);
    const t0 = performance.now();
    await setReady(leader, false);
    failoverMs.push((await seen) - t0);
    await sleep(20);
    await setReady(leader, true); // sticky: no failover back
    floorMs.push(await floorSample());
    await sleep(10);
    if ((n + 1) % 50 === 0) log(`${n + 1}/${FAILOVERS} failovers`);
  }
  await zenLead.idle(); // the last annotation patches landed
  const failoverPhaseMs = performance.now() - failoverStart;
  const failoverWrites = writes().slice(writesBeforeFailovers);
  /** Traces of the failovers' leader slice writes (each caused by a watch event). */
  const traces = failoverWrites.flatMap((w) =>
    w.kind === "EndpointSlice" && w.trace?.receivedAt !== undefined ? [w.trace] : [],
  );

  // ---- steady state: non-leader pods flap, nothing should be written ----
  const writesBeforeFlaps = writes().length;
  for (let n = 0; n < FLAPS; n++) {
    const i = pick(SERVICES);
    const [a, b] = podNames(i);
    const follower = leaderOf(i) === a ? b : a;
    await setReady(follower, false);
    await setReady(follower, true);
  }
  await sleep(2000);
  const flapWrites = writes().slice(writesBeforeFlaps);

  // ---- report ----
  const done = (w: Written) => w.status === "created" || w.status === "applied" || w.status === "deleted";
  const fo = [...failoverMs].sort((x, y) => x - y);
  const fl = [...floorMs].sort((x, y) => x - y);
  const perKind = (list: readonly Written[], kind: string) =>
    list.filter((w) => done(w) && w.kind === kind).length;
  print("services", SERVICES, "");
  print("pods", 2 * SERVICES, "");
  print("setup (Services, pods, pod status writes)", setupMs / 1000, "s");
  print("controller start to every leader slice seen", syncMs / 1000, "s");
  print("controller writes during initial sync", writesAfterSync, "writes");
  const breakdown = (list: readonly Written[]) => {
    const counts = new Map<string, number>();
    for (const w of list) {
      const k = `${w.kind}/${w.status}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, v]) => `${k}=${v}`).join(",") || "none";
  };
  print("  initial sync writes by kind/status", breakdown(writes().slice(0, writesAfterSync)), "");
  print("failovers", fo.length, "");
  print("failover p50", quantile(fo, 0.5), "ms");
  print("failover p99", quantile(fo, 0.99), "ms");
  print("failover max", fo[fo.length - 1] ?? Number.NaN, "ms");
  print("failover mean", fo.reduce((s, x) => s + x, 0) / fo.length, "ms");
  print("floor samples", fl.length, "");
  print("floor p50", quantile(fl, 0.5), "ms");
  print("floor p99", quantile(fl, 0.99), "ms");
  print("floor max", fl[fl.length - 1] ?? Number.NaN, "ms");
  print("ratio failover p99 / floor p99", quantile(fo, 0.99) / quantile(fl, 0.99), "x (goal <= 3)");
  print("ratio failover p50 / floor p50", quantile(fo, 0.5) / quantile(fl, 0.5), "x");
  print(
    "API writes per failover",
    failoverWrites.filter(done).length / fo.length,
    "writes (goal: 1 slice + at most 1 Service patch)",
  );
  print(
    "  EndpointSlice writes per failover",
    perKind(failoverWrites, "EndpointSlice") / fo.length,
    "writes",
  );
  print("  Service writes per failover", perKind(failoverWrites, "Service") / fo.length, "writes");
  print(
    "  write results not done (conflict/retrying/rejected)",
    failoverWrites.filter((w) => !done(w)).length,
    "",
  );
  print("latency budget: failover slice writes traced", traces.length, "");
  const stage = (name: string, ms: (t: WriteTrace) => number) => {
    const xs = traces.map(ms).filter(Number.isFinite);
    xs.sort((x, y) => x - y);
    print(`  ${name} p50`, quantile(xs, 0.5), "ms");
    print(`  ${name} p99`, quantile(xs, 0.99), "ms");
  };
  const labels: Record<TraceStage, string> = {
    decode: "decode (event received -> decoded)",
    fold: "fold (decoded -> actions out)",
    queue: "queue (actions out -> request sent)",
    reaction: "reaction (event received -> request sent; goal p50 <= 2, p99 <= 10)",
    request: "request (sent -> answered)",
  };
  for (const [s, label] of Object.entries(labels) as [TraceStage, string][])
    stage(label, (t) => stageMs(t, s));
  stage("event received -> answered", (t) => t.answeredAt - (t.receivedAt ?? Number.NaN));
  print("failover phase", failoverPhaseMs / 1000, "s");
  print("steady-state non-leader flaps", FLAPS, "flaps (NotReady then Ready)");
  print("steady-state controller writes", flapWrites.length, "writes (goal 0)");
  print("total runtime", (performance.now() - started) / 1000, "s");
}

bench.run(main);
