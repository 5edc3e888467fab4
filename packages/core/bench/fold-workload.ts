/**
 * The fold benchmarks' workload (fold.bench.ts, fold-ab.bench.ts): a synthetic cluster of opted-in
 * Services and their pods, its initial lists loaded into the core, and a recorded event stream —
 * readiness flaps and pod churn, each input followed by the API server's echo of the writes it
 * caused, all decoded in advance — with the checks that two folds made the same writes and
 * decisions.
 */

import { prng } from "@zen-lead/test-cluster/prng";
import {
  type Action,
  advance,
  type ClusterEvent,
  type Decoded,
  decisionEntries,
  decodePod,
  decodeService,
  fromWatch,
  initialState,
  type PodView,
  type State,
} from "../src/index.ts";
import { podJson, serviceJson } from "../src/testing/index.ts";
import { ReferenceFold } from "./reference-fold.ts";

/** The clock stands after every pod's creation, as it would in a live cluster. */
export const NOW = 10_000_000;

/** The two functions a fold needs: this core's, or another version's (fold-ab.bench.ts). */
export interface Core {
  readonly initialState: (now: number) => State;
  readonly advance: (
    state: State,
    event: ClusterEvent,
  ) => { readonly state: State; readonly actions: readonly Action[] };
}

const LOCAL_CORE: Core = { initialState, advance };

/**
 * CPU seconds of this process since `from` (user + system; GC threads included). The machine is
 * shared: CPU time is what a run costs, where wall time also counts other processes' turns.
 */
export const cpuSeconds = (from?: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Every pod in three versions: Ready, NotReady, and its replacement after churn (new name and uid). */
export interface PodVariants {
  readonly namespace: string;
  readonly name: string;
  readonly replacementName: string;
  readonly json: { readonly ready: string; readonly notReady: string; readonly replacement: string };
  readonly ready: PodView;
  readonly notReady: PodView;
  readonly replacement: PodView;
}

export interface Cluster {
  readonly services: number;
  readonly podsPerService: number;
  readonly services$: readonly Decoded[];
  readonly pods: readonly PodVariants[];
}

/** `services` Services spread over `namespaces` namespaces, `podsPerService` pods each (all Ready). */
export function cluster(services: number, namespaces: number, podsPerService: number): Cluster {
  const services$: Decoded[] = [];
  const pods: PodVariants[] = [];
  const asPod = (json: string) => decodePod(JSON.parse(json)) as PodView;
  for (let s = 0; s < services; s++) {
    const namespace = `ns-${s % namespaces}`;
    const app = `app-${s}`;
    services$.push(decodeService(serviceJson(`svc-${s}`, { namespace, selector: { app } })));
    for (let p = 0; p < podsPerService; p++) {
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
  return { services, podsPerService, services$, pods };
}

/** An input event, and its pod's JSON when it is a pod upsert (for the raw-JSON fold). */
export interface Input {
  readonly event: ClusterEvent;
  readonly json?: string;
}

/** The input sequence: 80% readiness flaps, 20% churn (delete, then the replacement appears). */
function* inputs(c: Cluster, count: number, steady: boolean, seed: number): Generator<Input> {
  const PODS = c.podsPerService;
  const random = prng(seed);
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
export function echoes(actions: readonly Action[], uids: Map<string, string>): ClusterEvent[] {
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

export const isWrite = (a: Action) => a.type === "apply" || a.type === "delete";

function describeWrite(a: Action): string {
  if (a.type === "delete") return `delete ${a.kind} ${a.namespace}/${a.name} uid=${a.uid}`;
  if (a.type !== "apply") return a.type;
  return `${a.create ? "create" : `update(${a.expectedUid})`} ${a.kind} ${a.namespace}/${a.name} ${JSON.stringify(a.manifest)}`;
}

/** Aborts unless both folds asked for the same writes, in the same order (or both sorted: `anyOrder`). */
export function sameWrites(
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
export function sameDecisions(what: string, state: State, reference: ReferenceFold): void {
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
export interface Loaded {
  readonly cluster: Cluster;
  readonly state: State;
  readonly loadMs: number;
  readonly firstEchoes: readonly ClusterEvent[];
  readonly uids: Map<string, string>;
}

export function load(c: Cluster, core: Core = LOCAL_CORE): Loaded {
  const { advance } = core;
  let state = core.initialState(NOW);
  const start = performance.now();
  state = advance(state, { type: "resync", kind: "Service", objects: c.services$ }).state;
  state = advance(state, { type: "resync", kind: "Pod", objects: c.pods.map((p) => p.ready) }).state;
  state = advance(state, { type: "resync", kind: "EndpointSlice", objects: [] }).state;
  // The Node list completes the initial lists: only now does zen-lead decide and write.
  const synced = advance(state, { type: "resync", kind: "Node", objects: [] });
  const writes: Action[] = synced.actions.filter(isWrite);
  if (writes.length === 0)
    throw new Error("the initial lists produced no writes: the benchmark would measure nothing");
  state = synced.state;
  // The API server's echo of the first writes, and of the writes those echoes call for (a leader
  // Service follows its slice's echo): the steady state starts with everything written observed.
  const uids = new Map<string, string>();
  const firstEchoes: ClusterEvent[] = [];
  let pending: Action[] = writes;
  while (pending.length > 0) {
    const echoed = echoes(pending, uids);
    firstEchoes.push(...echoed);
    pending = [];
    for (const e of echoed) {
      const r = advance(state, e);
      state = r.state;
      pending.push(...r.actions.filter(isWrite));
    }
    writes.push(...pending);
  }
  const loadMs = performance.now() - start;
  // Another version of the core (fold-ab.bench.ts) may plan its first writes otherwise.
  if (core === LOCAL_CORE) {
    const reference = freshReference(c, firstEchoes);
    // The first decisions come in no particular order (every Service at once): compare them sorted.
    sameWrites("initial writes", writes, reference.initialWrites, true);
  }
  return { cluster: c, state, loadMs, firstEchoes, uids };
}

/** A reference fold loaded with the same lists and echoes; its later writes start empty. */
export function freshReference(c: Cluster, firstEchoes: readonly ClusterEvent[]) {
  const reference = new ReferenceFold(NOW);
  reference.load(
    c.services$,
    c.pods.map((p) => p.ready),
  );
  const initialWrites = reference.writes.splice(0);
  for (const e of firstEchoes) reference.fold(e);
  initialWrites.push(...reference.writes.splice(0));
  return Object.assign(reference, { initialWrites });
}

/** The stream both folds fold: every input followed by the echo of the writes it caused. */
export interface Stream {
  readonly events: readonly ClusterEvent[];
  /** The pod JSON of each event that is a pod upsert (the raw-JSON fold parses and decodes it). */
  readonly json: readonly (string | undefined)[];
  readonly inputs: number;
}

export function record(l: Loaded, steady: boolean, count: number, seed: number): Stream {
  const reference = freshReference(l.cluster, l.firstEchoes);
  const uids = new Map(l.uids);
  const events: ClusterEvent[] = [];
  const json: (string | undefined)[] = [];
  let inputCount = 0;
  for (const input of inputs(l.cluster, count, steady, seed)) {
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
