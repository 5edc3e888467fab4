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
import {
  type Action,
  advance,
  type ClusterEvent,
  type Decoded,
  decisionEntries,
  decode,
  decodePod,
  decodeService,
  fromWatch,
  initialState,
  type PodView,
  type State,
} from "../src/index.ts";
import { podJson, serviceJson } from "../src/testing/index.ts";
import { ReferenceFold } from "./reference-fold.ts";

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
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
/** The clock stands after every pod's creation, as it would in a live cluster. */
const NOW = 10_000_000;

/** mulberry32: a tiny seeded PRNG, so every run folds the same events. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
/**
 * CPU seconds of this process since `from` (user + system; GC threads included). The machine is
 * shared: CPU time is what a run costs, where wall time also counts other processes' turns.
 */
const cpuSeconds = (from?: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const print = (name: string, value: string | number, unit = "") =>
  console.log(`${name}: ${value}${unit === "" ? "" : ` ${unit}`}`);

/** Every pod in three versions: Ready, NotReady, and its replacement after churn (new name and uid). */
interface PodVariants {
  readonly namespace: string;
  readonly name: string;
  readonly replacementName: string;
  readonly json: { readonly ready: string; readonly notReady: string; readonly replacement: string };
  readonly ready: PodView;
  readonly notReady: PodView;
  readonly replacement: PodView;
}

interface Cluster {
  readonly services: number;
  readonly services$: readonly Decoded[];
  readonly pods: readonly PodVariants[];
}

function cluster(services: number, namespaces: number): Cluster {
  const services$: Decoded[] = [];
  const pods: PodVariants[] = [];
  const asPod = (json: string) => decodePod(JSON.parse(json)) as PodView;
  for (let s = 0; s < services; s++) {
    const namespace = `ns-${s % namespaces}`;
    const app = `app-${s}`;
    services$.push(decodeService(serviceJson(`svc-${s}`, { namespace, selector: { app } })));
    for (let p = 0; p < PODS; p++) {
      const name = `${app}-${p}`;
      const labels = { app, "pod-template-hash": "abc123" };
      const ip = `10.${(s >> 8) & 255}.${s & 255}.${p + 1}`;
      const json = {
        ready: JSON.stringify(podJson(name, { namespace, labels, created: 1000 + p, ips: [ip] })),
        notReady: JSON.stringify(
          podJson(name, { namespace, labels, created: 1000 + p, ips: [ip], ready: false }),
        ),
        replacement: JSON.stringify(
          podJson(`${name}-r`, { namespace, labels, created: 5000 + p, ips: [ip] }),
        ),
      };
      pods.push({
        namespace,
        name,
        replacementName: `${name}-r`,
        json,
        ready: asPod(json.ready),
        notReady: asPod(json.notReady),
        replacement: asPod(json.replacement),
      });
    }
  }
  return { services, services$, pods };
}

/** An input event, and its pod's JSON when it is a pod upsert (for the raw-JSON fold). */
interface Input {
  readonly event: ClusterEvent;
  readonly json?: string;
}

/** The input sequence: 80% readiness flaps, 20% churn (delete, then the replacement appears). */
function* inputs(c: Cluster, count: number, steady: boolean): Generator<Input> {
  const random = prng(Number(values.seed));
  const isReady = new Uint8Array(c.pods.length).fill(1);
  const churned = new Uint8Array(c.pods.length);
  const upsert = (view: PodView, json: string): Input => ({ event: { type: "upsert", object: view }, json });
  for (let i = 0; i < count; i++) {
    // Steady state: only pods that never led (not the first of their Service) flap.
    const k = steady
      ? Math.floor(random() * c.services) * PODS + 1 + Math.floor(random() * (PODS - 1))
      : Math.floor(random() * c.pods.length);
    const p = c.pods[k] as PodVariants;
    if ((steady || random() < 0.8) && !churned[k]) {
      isReady[k] = isReady[k] ? 0 : 1;
      yield isReady[k] ? upsert(p.ready, p.json.ready) : upsert(p.notReady, p.json.notReady);
    } else if (!churned[k]) {
      churned[k] = 1;
      yield { event: { type: "delete", kind: "Pod", namespace: p.namespace, name: p.name } };
      i++;
      yield upsert(p.replacement, p.json.replacement);
    } else {
      churned[k] = 0;
      yield { event: { type: "delete", kind: "Pod", namespace: p.namespace, name: p.replacementName } };
      i++;
      yield isReady[k] ? upsert(p.ready, p.json.ready) : upsert(p.notReady, p.json.notReady);
    }
  }
}

/** The API server's echo of zen-lead's writes: the watch events they cause (uids kept per object). */
function echoes(actions: readonly Action[], uids: Map<string, string>): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  for (const action of actions) {
    if (action.type === "delete") {
      out.push({ type: "delete", kind: action.kind, namespace: action.namespace, name: action.name });
    }
    if (action.type !== "apply") continue;
    const key = `${action.kind}:${action.namespace}/${action.name}`;
    const uid = uids.get(key) ?? `owned-${uids.size}`;
    uids.set(key, uid);
    const manifest = action.manifest as { metadata: Record<string, unknown> };
    out.push(fromWatch(action.kind, "MODIFIED", { ...manifest, metadata: { ...manifest.metadata, uid } }));
  }
  return out;
}

const isWrite = (a: Action) => a.type === "apply" || a.type === "delete";

function describeWrite(a: Action): string {
  if (a.type === "delete") return `delete ${a.kind} ${a.namespace}/${a.name} uid=${a.uid}`;
  if (a.type !== "apply") return a.type;
  return `${a.create ? "create" : `update(${a.expectedUid})`} ${a.kind} ${a.namespace}/${a.name} ${JSON.stringify(a.manifest)}`;
}

/** Aborts unless both folds asked for the same writes, in the same order (or both sorted: `anyOrder`). */
function sameWrites(
  what: string,
  core: readonly Action[],
  reference: readonly Action[],
  anyOrder = false,
): void {
  if (core.length !== reference.length) {
    throw new Error(`${what}: the core made ${core.length} writes, the reference ${reference.length}`);
  }
  const ours = core.map(describeWrite);
  const theirs = reference.map(describeWrite);
  if (anyOrder) {
    ours.sort();
    theirs.sort();
  }
  for (let i = 0; i < core.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (a !== b) throw new Error(`${what}: write ${i} differs\n  core:      ${a}\n  reference: ${b}`);
  }
}

/** Aborts unless both folds end with the same leader (pod uid) and candidate count for every Service. */
function sameDecisions(what: string, state: State, reference: ReferenceFold): void {
  const theirs = reference.decisions();
  let n = 0;
  for (const [source, decision] of decisionEntries(state)) {
    if (decision.leaderServiceName === undefined) continue;
    n++;
    const other = theirs.get(source);
    if (other?.leader !== decision.leader?.podUid || other?.candidates !== decision.candidates) {
      throw new Error(
        `${what}: ${source} is led by ${decision.leader?.podUid} with ${decision.candidates} candidates in the core, by ${other?.leader} with ${other?.candidates} in the reference`,
      );
    }
  }
  if (n !== theirs.size)
    throw new Error(`${what}: the core decides ${n} Services, the reference ${theirs.size}`);
}

/** A loaded cluster: the core's state after the initial lists and the echo of its first writes. */
interface Loaded {
  readonly cluster: Cluster;
  readonly state: State;
  readonly loadMs: number;
  readonly firstEchoes: readonly ClusterEvent[];
  readonly uids: Map<string, string>;
}

function load(c: Cluster): Loaded {
  let state = initialState(NOW);
  const start = performance.now();
  state = advance(state, { type: "resync", kind: "Service", objects: c.services$ }).state;
  state = advance(state, { type: "resync", kind: "Pod", objects: c.pods.map((p) => p.ready) }).state;
  state = advance(state, { type: "resync", kind: "EndpointSlice", objects: [] }).state;
  // The Node list completes the initial lists: only now does zen-lead decide and write.
  const synced = advance(state, { type: "resync", kind: "Node", objects: [] });
  const writes = synced.actions.filter(isWrite);
  if (writes.length === 0)
    throw new Error("the initial lists produced no writes: the benchmark would measure nothing");
  state = synced.state;
  // The API server's echo of the first writes: the steady state starts with them observed.
  const uids = new Map<string, string>();
  const firstEchoes = echoes(writes, uids);
  for (const e of firstEchoes) state = advance(state, e).state;
  const loadMs = performance.now() - start;
  const reference = freshReference(c, firstEchoes);
  // The first decisions come in no particular order (every Service at once): compare them sorted.
  sameWrites("initial writes", writes, reference.initialWrites, true);
  return { cluster: c, state, loadMs, firstEchoes, uids };
}

/** A reference fold loaded with the same lists and echoes; its later writes start empty. */
function freshReference(c: Cluster, firstEchoes: readonly ClusterEvent[]) {
  const reference = new ReferenceFold(NOW);
  reference.load(
    c.services$,
    c.pods.map((p) => p.ready),
  );
  const initialWrites = reference.writes.splice(0);
  for (const e of firstEchoes) reference.fold(e);
  reference.writes.length = 0;
  return Object.assign(reference, { initialWrites });
}

/** The stream both folds fold: every input followed by the echo of the writes it caused. */
interface Stream {
  readonly events: readonly ClusterEvent[];
  /** The pod JSON of each event that is a pod upsert (the raw-JSON fold parses and decodes it). */
  readonly json: readonly (string | undefined)[];
  readonly inputs: number;
}

function record(l: Loaded, steady: boolean): Stream {
  const reference = freshReference(l.cluster, l.firstEchoes);
  const uids = new Map(l.uids);
  const events: ClusterEvent[] = [];
  const json: (string | undefined)[] = [];
  let inputCount = 0;
  for (const input of inputs(l.cluster, EVENTS, steady)) {
    inputCount++;
    events.push(input.event);
    json.push(input.json);
    reference.fold(input.event);
    while (reference.writes.length > 0) {
      for (const e of echoes(reference.writes.splice(0), uids)) {
        events.push(e);
        json.push(undefined);
        reference.fold(e);
      }
    }
  }
  return { events, json, inputs: inputCount };
}

interface Run {
  readonly perSecond: number;
  readonly writes: readonly Action[];
}

function foldCore(l: Loaded, stream: Stream, raw: boolean): Run & { readonly state: State } {
  let s = l.state;
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
const largeCluster = cluster(Number(values.services), Number(values.namespaces));
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
const small = load(cluster(Number(values["small-services"]), Math.min(10, Number(values.namespaces))));
const smallStream = record(small, false);
report(
  `fold decoded, mixed, ${small.cluster.pods.length} pods`,
  compare("small", small, smallStream),
  smallStream,
);
print("heap used at end", heapMb().toFixed(1), "MB");
