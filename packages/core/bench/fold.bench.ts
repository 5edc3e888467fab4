/**
 * Fold throughput of the core against a mutable reference fold (reference-fold.ts) run in the same
 * process on the same event stream: a synthetic cluster of 10,000 opted-in Services and 100,000
 * pods under random readiness flaps and pod churn, then the same at 1,000 pods (in cache). Prints
 * `name: value unit` lines.
 *
 *   node --expose-gc packages/core/bench/fold.bench.ts [--services N] [--pods-per-service N]
 *       [--events N] [--small-services N] [--runs N]
 *
 * The stream is recorded once: the input events, each followed by the API server's echo of the
 * writes it caused (a fast API server), all decoded in advance. Both folds then fold exactly that
 * stream — the echoes of their own writes included — and must make the same writes and end with
 * the same leader and candidate count for every Service (checked after every run; a difference
 * aborts the benchmark).
 * Runs alternate core and reference so both see the same machine load; figures are medians.
 * Throughput is per CPU second of the process (user + system, GC threads included): on a shared
 * machine, wall time would also count the other processes' turns.
 */

import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { type Action, advance, type ClusterEvent, decode, decodePod, type State } from "../src/index.ts";
import {
  cluster,
  cpuSeconds,
  freshReference,
  isWrite,
  type Loaded,
  load,
  median,
  record as recordStream,
  type Stream,
  sameDecisions,
  sameWrites,
} from "./fold-workload.ts";
import type { ReferenceFold } from "./reference-fold.ts";

const values = benchArgs(
  "fold.bench.ts",
  "fold.bench.ts [--events N] [--services N] [--pods-per-service N] [--namespaces N] [--small-services N] [--runs N] [--seed N]",
  {
    services: { type: "string", default: "10000" },
    "pods-per-service": { type: "string", default: "10" },
    events: { type: "string", default: "1000000" },
    namespaces: { type: "string", default: "100" },
    "small-services": { type: "string", default: "100" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "42" },
  },
  ["services", "pods-per-service", "events", "namespaces", "small-services", "runs"],
);
const PODS = Number(values["pods-per-service"]);
const RUNS = Number(values.runs);
const record = (l: Loaded, steady: boolean) =>
  recordStream(l, steady, Number(values.events), Number(values.seed));

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const print = (name: string, value: string | number, unit = "") =>
  console.log(`${name}: ${value}${unit === "" ? "" : ` ${unit}`}`);

interface Run {
  readonly perSecond: number;
  readonly writes: readonly Action[];
}

/**
 * The core folds the stream from a freshly loaded state (not timed), as the reference starts
 * fresh: a controller keeps no old state, and one kept across runs would hold the later versions
 * of the state's maps alive (persistent-map.ts), which is not what a controller pays.
 */
function foldCore(l: Loaded, stream: Stream, raw: boolean): Run & { readonly state: State } {
  let s = load(l.cluster).state;
  gc?.();
  const writes: Action[] = [];
  const { events, json } = stream;
  const start = process.cpuUsage();
  for (let i = 0; i < events.length; i++) {
    const text = raw ? json[i] : undefined;
    const event: ClusterEvent =
      text === undefined
        ? (events[i] as ClusterEvent)
        : { type: "upsert", object: decodePod(JSON.parse(text)) };
    const r = advance(s, event);
    s = r.state;
    for (const a of r.actions) if (isWrite(a)) writes.push(a);
  }
  const seconds = cpuSeconds(start);
  return { perSecond: events.length / seconds, writes, state: s };
}

function foldReference(l: Loaded, stream: Stream): Run & { readonly reference: ReferenceFold } {
  const reference = freshReference(l.cluster, l.firstEchoes);
  const { events } = stream;
  const start = process.cpuUsage();
  for (let i = 0; i < events.length; i++) reference.fold(events[i] as ClusterEvent);
  const seconds = cpuSeconds(start);
  return { perSecond: events.length / seconds, writes: reference.writes, reference };
}

/** JSON.parse + decode of every pod upsert in the stream: the floor of the raw-JSON fold. */
function decodeOnly(stream: Stream): number {
  let n = 0;
  const start = process.cpuUsage();
  for (const text of stream.json)
    if (text !== undefined && decode("Pod", JSON.parse(text)) !== undefined) n++;
  return n / cpuSeconds(start);
}

/** Core and reference folded alternately, RUNS times each; both checked after every run. */
function compare(what: string, l: Loaded, stream: Stream) {
  const core: number[] = [];
  const reference: number[] = [];
  let writes = 0;
  for (let r = 0; r < RUNS; r++) {
    gc?.();
    const c = foldCore(l, stream, false);
    gc?.();
    const ref = foldReference(l, stream);
    sameWrites(what, c.writes, ref.writes);
    sameDecisions(what, c.state, ref.reference);
    core.push(c.perSecond);
    reference.push(ref.perSecond);
    writes = c.writes.length;
  }
  const ratio = median(core.map((x, i) => x / (reference[i] as number)));
  return { core: median(core), reference: median(reference), ratio, writes };
}

function report(label: string, r: ReturnType<typeof compare>, stream: Stream) {
  print(`${label}: core`, Math.round(r.core), "events/s");
  print(`${label}: reference`, Math.round(r.reference), "events/s");
  print(
    `${label}: core / reference`,
    r.ratio.toFixed(2),
    `(median of ${RUNS} paired runs; goal >= 0.5: ${r.ratio >= 0.5 ? "met" : "NOT met"})`,
  );
  print(
    `${label}: events`,
    `${stream.events.length} (${stream.inputs} inputs + echoes), ${r.writes} writes, same writes, leaders and candidate counts: yes`,
  );
}

// --- 10k Services / 100k pods ---------------------------------------------------------------------
const largeCluster = cluster(Number(values.services), Number(values.namespaces), PODS);
const heapBefore = heapMb();
const large = load(largeCluster);
const stateHeap = heapMb() - heapBefore;
print(
  "cluster",
  `${large.cluster.services} services, ${large.cluster.pods.length} pods, ${values.namespaces} namespaces`,
);
print("initial load (relists, first decisions, their echoes)", large.loadMs.toFixed(0), "ms");
print("state heap (the core's state for the whole cluster)", stateHeap.toFixed(1), "MB");

const mixed = record(large, false);
const mixedResult = compare("mixed", large, mixed);
report("fold decoded, mixed", mixedResult, mixed);
if (mixedResult.writes === 0) throw new Error("no writes during the fold: leader changes were not decided");
print("writes per input event", (mixedResult.writes / mixed.inputs).toFixed(3));

const steady = record(large, true);
const steadyResult = compare("steady", large, steady);
report("fold decoded, steady state (non-leader flaps)", steadyResult, steady);

const raw: number[] = [];
const floor: number[] = [];
for (let r = 0; r < RUNS; r++) {
  gc?.();
  raw.push(foldCore(large, mixed, true).perSecond);
  gc?.();
  floor.push(decodeOnly(mixed));
}
print("fold raw JSON, mixed (JSON.parse + decode + advance): core", Math.round(median(raw)), "events/s");
print("JSON.parse + decode of the same pods alone", Math.round(median(floor)), "pods/s");

// --- 1,000 pods (in cache) ------------------------------------------------------------------------
const small = load(cluster(Number(values["small-services"]), Math.min(10, Number(values.namespaces)), PODS));
const smallStream = record(small, false);
report(
  `fold decoded, mixed, ${small.cluster.pods.length} pods`,
  compare("small", small, smallStream),
  smallStream,
);
print("heap used at end", heapMb().toFixed(1), "MB");
