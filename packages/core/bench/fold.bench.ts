/**
 * Fold throughput of the core: a synthetic cluster of 10,000 opted-in Services and 100,000 pods
 * under random readiness flaps and pod churn. Prints `name: value unit` lines.
 *
 *   node --expose-gc packages/core/bench/fold.bench.ts [--services N] [--pods-per-service N] [--events N]
 *
 * Measures `advance` (step + decide + plan, what the controller runs per event) on pre-decoded
 * events, and on raw JSON (JSON.parse + decode + advance); and the heap the cluster's state holds.
 */
import { parseArgs } from "node:util";
import {
  type Action,
  advance,
  type ClusterEvent,
  type Decoded,
  decode,
  decodePod,
  decodeService,
  fromWatch,
  initialState,
  type State,
} from "../src/index.ts";
import { podJson, serviceJson } from "../src/testing/index.ts";

const { values } = parseArgs({
  options: {
    services: { type: "string", default: "10000" },
    "pods-per-service": { type: "string", default: "10" },
    events: { type: "string", default: "1000000" },
    namespaces: { type: "string", default: "100" },
    seed: { type: "string", default: "42" },
  },
});
const SERVICES = Number(values.services);
const PODS = Number(values["pods-per-service"]);
const EVENTS = Number(values.events);
const NAMESPACES = Number(values.namespaces);

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

// Every pod in three versions: Ready, NotReady, and its replacement after churn (new name and uid).
interface PodVariants {
  readonly ready: string;
  readonly notReady: string;
  readonly replacement: string;
  readonly namespace: string;
  readonly name: string;
  readonly replacementName: string;
}
const services: string[] = [];
const pods: PodVariants[] = [];
for (let s = 0; s < SERVICES; s++) {
  const namespace = `ns-${s % NAMESPACES}`;
  const app = `app-${s}`;
  services.push(JSON.stringify(serviceJson(`svc-${s}`, { namespace, selector: { app } })));
  for (let p = 0; p < PODS; p++) {
    const name = `${app}-${p}`;
    const labels = { app, "pod-template-hash": "abc123" };
    const ip = `10.${(s >> 8) & 255}.${s & 255}.${p + 1}`;
    pods.push({
      namespace,
      name,
      replacementName: `${name}-r`,
      ready: JSON.stringify(podJson(name, { namespace, labels, created: 1000 + p, ips: [ip] })),
      notReady: JSON.stringify(
        podJson(name, { namespace, labels, created: 1000 + p, ips: [ip], ready: false }),
      ),
      replacement: JSON.stringify(podJson(`${name}-r`, { namespace, labels, created: 5000 + p, ips: [ip] })),
    });
  }
}

const decodedPods = pods.map((p) => ({
  ready: decodePod(JSON.parse(p.ready)),
  notReady: decodePod(JSON.parse(p.notReady)),
  replacement: decodePod(JSON.parse(p.replacement)),
}));

const heapBeforeState = heapMb();
// The clock stands after every pod's creation, as it would in a live cluster.
let state: State = initialState(10_000_000);
const load = (kind: "Service" | "Pod", objects: Decoded[]) => {
  state = advance(state, { type: "resync", kind, objects }).state;
};
const loadStart = performance.now();
load(
  "Service",
  services.map((s) => decodeService(JSON.parse(s))),
);
load(
  "Pod",
  decodedPods.map((p) => p.ready),
);
state = advance(state, { type: "resync", kind: "EndpointSlice", objects: [] }).state;
// The Node list completes the initial lists: only now does zen-lead decide and write.
const synced = advance(state, { type: "resync", kind: "Node", objects: [] });
if (synced.actions.length === 0)
  throw new Error("the initial lists produced no writes: the benchmark would measure nothing");
state = synced.state;
// The API server's echo of zen-lead's first writes: the steady state starts with them observed.
let uid = 0;
for (const action of synced.actions) {
  if (action.type !== "apply") continue;
  const manifest = action.manifest as { metadata: Record<string, unknown> };
  const observed = { ...manifest, metadata: { ...manifest.metadata, uid: `owned-${uid++}` } };
  state = advance(state, fromWatch(action.kind, "ADDED", observed)).state;
}
const loadMs = performance.now() - loadStart;
const stateHeap = heapMb() - heapBeforeState;

/** The event sequence: 80% readiness flaps, 20% churn (delete, then the replacement appears). */
function* events(count: number, raw: boolean, steady: boolean): Generator<ClusterEvent | string> {
  const random = prng(Number(values.seed));
  const isReady = new Uint8Array(pods.length).fill(1);
  const churned = new Uint8Array(pods.length);
  for (let i = 0; i < count; i++) {
    // Steady state: only pods that never led (not the first of their Service) flap.
    const k = steady
      ? Math.floor(random() * SERVICES) * PODS + 1 + Math.floor(random() * (PODS - 1))
      : Math.floor(random() * pods.length);
    const p = pods[k] as PodVariants;
    const d = decodedPods[k] as (typeof decodedPods)[number];
    if ((steady || random() < 0.8) && !churned[k]) {
      isReady[k] = isReady[k] ? 0 : 1;
      if (raw) yield isReady[k] ? p.ready : p.notReady;
      else yield { type: "upsert", object: isReady[k] ? d.ready : d.notReady };
    } else if (!churned[k]) {
      churned[k] = 1;
      yield { type: "delete", kind: "Pod", namespace: p.namespace, name: p.name };
      i++;
      if (raw) yield p.replacement;
      else yield { type: "upsert", object: d.replacement };
    } else {
      churned[k] = 0;
      yield { type: "delete", kind: "Pod", namespace: p.namespace, name: p.replacementName };
      i++;
      if (raw) yield isReady[k] ? p.ready : p.notReady;
      else yield { type: "upsert", object: isReady[k] ? d.ready : d.notReady };
    }
  }
}

/** The API server's echo of one of zen-lead's writes: the watch event it causes. */
function echo(action: Action, uids: Map<string, string>): ClusterEvent | undefined {
  if (action.type === "delete") {
    return { type: "delete", kind: action.kind, namespace: action.namespace, name: action.name };
  }
  if (action.type !== "apply") return undefined;
  const key = `${action.kind}:${action.namespace}/${action.name}`;
  const uid = uids.get(key) ?? `owned-${uids.size}`;
  uids.set(key, uid);
  const manifest = action.manifest as { metadata: Record<string, unknown> };
  return {
    type: "upsert",
    object: decode(action.kind, { ...manifest, metadata: { ...manifest.metadata, uid } }),
  };
}

/**
 * Folds the event sequence; zen-lead's writes come back as watch events right after (as from a
 * fast API server) and count as events too — a controller has to fold them as well.
 */
function fold(raw: boolean, steady = false): { perSecond: number; writes: number; events: number } {
  let s = state;
  let writes = 0;
  let n = 0;
  const uids = new Map<string, string>();
  const start = performance.now();
  for (const e of events(EVENTS, raw, steady)) {
    const event: ClusterEvent =
      typeof e === "string" ? { type: "upsert", object: decodePod(JSON.parse(e)) } : e;
    const r = advance(s, event);
    s = r.state;
    n++;
    for (const action of r.actions) {
      const back = echo(action, uids);
      if (back === undefined) continue;
      writes++;
      s = advance(s, back).state;
      n++;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: n / seconds, writes, events: n };
}

console.log(`cluster: ${SERVICES} services, ${SERVICES * PODS} pods, ${NAMESPACES} namespaces`);
console.log(`initial load (relist of all services and pods): ${loadMs.toFixed(0)} ms`);
console.log(`state heap: ${stateHeap.toFixed(1)} MB`);
/** Median of three runs, by throughput. */
function median(run: () => ReturnType<typeof fold>) {
  return [run(), run(), run()].sort((a, b) => a.perSecond - b.perSecond)[1] as ReturnType<typeof fold>;
}
const decoded = median(() => fold(false));
console.log(`fold decoded events, mixed (median of 3): ${Math.round(decoded.perSecond)} events/s`);
const writesPerEvent = decoded.writes / EVENTS;
console.log(`writes per input event: ${writesPerEvent.toFixed(3)} (their echoes are folded too)`);
if (writesPerEvent === 0) throw new Error("no writes during the fold: leader changes were not decided");
const raw = median(() => fold(true));
console.log(
  `fold raw JSON, mixed (parse + decode + advance, median of 3): ${Math.round(raw.perSecond)} events/s`,
);
const steady = median(() => fold(false, true));
console.log(
  `fold decoded, steady state (non-leader readiness flaps only, median of 3): ${Math.round(steady.perSecond)} events/s, ${steady.writes} writes`,
);
console.log(`heap used at end: ${heapMb().toFixed(1)} MB`);
const best = Math.max(decoded.perSecond, steady.perSecond);
console.log(
  `goal decoded >= 1,000,000 events/s: ${best >= 1e6 ? "met" : "NOT met"}; goal state heap <= 250 MB: ${stateHeap <= 250 ? "met" : "NOT met"}`,
);
