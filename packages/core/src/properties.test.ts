/**
 * Invariants of the fold over random event sequences, with the API server played by a small model:
 * zen-lead's writes are applied (and echoed back as watch events) at random later points, possibly
 * out of order, with the API's preconditions (a create of an existing name and an update or delete
 * of a different uid are refused).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Action, ApplyAction, DeleteAction, EventAction } from "./actions.ts";
import { observedOwned } from "./decide.ts";
import { decode } from "./decode.ts";
import type { DesiredObject } from "./desired.ts";
import { type ClusterEvent, fromWatch } from "./events.ts";
import { manifestOf } from "./manifest.ts";
import { servedSource } from "./ownership.ts";
import { mapEntries, mapGet } from "./persistent-map.ts";
import { type OwnedView, plan } from "./plan.ts";
import type { LeaderReason } from "./reasons.ts";
import { advance } from "./reconcile.ts";
import { type Decision, initialState, type State } from "./state.ts";
import { isSynced } from "./step.ts";
import { nodeJson, podJson, serviceJson } from "./testing/fixtures.ts";
import { isFailure, type Kind } from "./views.ts";

// ---------------------------------------------------------------------------------------------
// The universe: Services a, b (namespace default) and c (namespace other), a foreign Service
// named like a's leader Service, pods p0..p5 in both namespaces, and one node.

type Labels = Record<string, string>;
type SourceName = "a" | "b" | "c";
const NAMESPACE_OF: Readonly<Record<SourceName, string>> = { a: "default", b: "default", c: "other" };
const POD_NAMES = ["p0", "p1", "p2", "p3", "p4", "p5"] as const;

interface PodGen {
  readonly ns: string;
  readonly name: string;
  readonly app: "x" | "y" | undefined;
  readonly tier: "db" | undefined;
  /** creationTimestamp, seconds (small, so ties are common). */
  readonly created: number;
  readonly ready: boolean;
  /** The Ready condition turned True this many seconds before the event. */
  readonly readyAgo: number;
  readonly phase: string;
  readonly ips: "none" | "v4" | "v6" | "dual";
  readonly deleting: boolean;
  /** Has a container port named "web". */
  readonly port: boolean;
}

interface SvcGen {
  readonly name: SourceName;
  readonly enabled: string | undefined;
  readonly selector: Labels | null;
  readonly sticky: string | undefined;
  readonly minReady: string | undefined;
  readonly preferred: string | undefined;
  readonly leaderName: string | undefined;
  readonly type: string;
  readonly headless: boolean;
  readonly dual: boolean;
  readonly namedPort: boolean;
}

type Op =
  | { readonly t: "pod"; readonly spec: PodGen }
  | { readonly t: "podDelete"; readonly ns: string; readonly name: string }
  | { readonly t: "svc"; readonly spec: SvcGen }
  | { readonly t: "svcDelete"; readonly name: string }
  | { readonly t: "foreign" }
  | { readonly t: "tick"; readonly seconds: number }
  | { readonly t: "badPod"; readonly ns: string; readonly name: string }
  | { readonly t: "badSvc"; readonly name: SourceName; readonly how: number }
  | { readonly t: "garbage"; readonly kind: Kind; readonly raw: unknown }
  | { readonly t: "resync"; readonly kind: Kind }
  | { readonly t: "deliver"; readonly pick: number; readonly count: number; readonly fifo: boolean }
  | { readonly t: "node"; readonly zone: string | undefined };

/** `fc.constantFrom` with weights: each value with how often it should come up. */
function weighted<T>(...choices: readonly (readonly [T, number])[]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));
}

const nsArb = weighted(["default", 4], ["other", 1]);
const podNameArb = fc.constantFrom(...POD_NAMES);

// Biased towards candidates and valid sources, so that leaders, failovers and their reasons are
// common; every kind of disqualification and misconfiguration still comes up.
const podGenArb: fc.Arbitrary<PodGen> = fc.record({
  ns: nsArb,
  name: podNameArb,
  app: weighted<"x" | "y" | undefined>(["x", 6], ["y", 3], [undefined, 1]),
  tier: weighted<"db" | undefined>(["db", 1], [undefined, 2]),
  created: fc.integer({ min: 0, max: 5 }),
  ready: weighted([true, 8], [false, 1]),
  readyAgo: fc.constantFrom(0, 2, 10, 40, 90),
  phase: weighted(["Running", 10], ["Pending", 1], ["Failed", 1]),
  ips: weighted<PodGen["ips"]>(["v4", 8], ["dual", 2], ["none", 1], ["v6", 1]),
  deleting: weighted([false, 10], [true, 1]),
  port: weighted([true, 4], [false, 1]),
});

const svcGenArb: fc.Arbitrary<SvcGen> = fc.record({
  name: weighted<SourceName>(["a", 3], ["b", 2], ["c", 1]),
  enabled: weighted<string | undefined>(["true", 10], ["false", 1], ["yes", 1], [undefined, 1]),
  selector: weighted<Labels | null>(
    [{ app: "x" }, 8],
    [{ app: "y" }, 4],
    [{ app: "x", tier: "db" }, 1],
    [{ tier: "db" }, 1],
    [{}, 1],
    [null, 1],
  ),
  sticky: weighted<string | undefined>([undefined, 4], ["false", 3], ["true", 1], ["bogus", 1]),
  minReady: weighted<string | undefined>([undefined, 5], ["0", 1], ["5s", 2], ["30s", 2], ["soon", 1]),
  preferred: weighted<string | undefined>([undefined, 6], ["p0", 1], ["p1", 1], ["p9", 1], ["", 1]),
  leaderName: weighted<string | undefined>(
    [undefined, 12],
    ["shared", 2],
    ["a-leader", 1],
    ["Bad_Name", 1],
    ["b", 1],
  ),
  type: weighted(["ClusterIP", 8], ["NodePort", 1], ["ExternalName", 1]),
  headless: weighted([false, 5], [true, 1]),
  dual: weighted([false, 4], [true, 1]),
  namedPort: weighted([false, 4], [true, 1]),
});

const podOp = podGenArb.map((spec): Op => ({ t: "pod", spec }));
const svcOp = svcGenArb.map((spec): Op => ({ t: "svc", spec }));

const garbageArb = fc.record({
  kind: fc.constantFrom<Kind>("Service", "Pod", "EndpointSlice", "Node"),
  raw: fc.constantFrom<unknown>(42, null, "pod", {}, { metadata: {} }, { metadata: { name: 7 } }, []),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: podOp },
  {
    weight: 2,
    arbitrary: fc.record({ ns: nsArb, name: podNameArb }).map((p): Op => ({ t: "podDelete", ...p })),
  },
  { weight: 2, arbitrary: svcOp },
  {
    weight: 1,
    arbitrary: fc.constantFrom("a", "b", "c", "a-leader").map((name): Op => ({ t: "svcDelete", name })),
  },
  { weight: 1, arbitrary: fc.constant<Op>({ t: "foreign" }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(0, 1, 3, 5, 10, 31).map((seconds): Op => ({ t: "tick", seconds })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ ns: nsArb, name: podNameArb }).map((p): Op => ({ t: "badPod", ...p })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ name: fc.constantFrom<SourceName>("a", "b", "c"), how: fc.nat(3) })
      .map((s): Op => ({ t: "badSvc", ...s })),
  },
  { weight: 1, arbitrary: garbageArb.map((g): Op => ({ t: "garbage", ...g })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Kind>("Pod", "Service", "EndpointSlice", "Node")
      .map((kind): Op => ({ t: "resync", kind })),
  },
  {
    weight: 8,
    arbitrary: fc
      .record({ pick: fc.nat(20), count: fc.integer({ min: 1, max: 3 }), fifo: fc.boolean() })
      .map((d): Op => ({ t: "deliver", ...d })),
  },
  { weight: 1, arbitrary: fc.constantFrom("z1", "z2", undefined).map((zone): Op => ({ t: "node", zone })) },
);

const scenarioArb = fc.record({
  /** Objects listed before the initial lists are complete: a source or two and some pods. */
  initial: fc
    .tuple(
      fc.array(svcOp, { minLength: 1, maxLength: 3, size: "max" }),
      fc.array(podOp, { minLength: 1, maxLength: 6, size: "max" }),
    )
    .map(([services, pods]) => [...pods, ...services]),
  /** The initial lists end with `synced` events, or arrive as relists. */
  relist: fc.boolean(),
  ops: fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }),
});
type Scenario = { initial: Op[]; relist: boolean; ops: Op[] };

// ---------------------------------------------------------------------------------------------
// What the cluster holds according to the model (independent of the core's decoding).

interface PodModel {
  readonly uid: string;
  readonly labels: Labels;
  readonly phase: string;
  readonly ready: boolean;
  readonly readySinceMs: number;
  readonly createdMs: number;
  readonly ips: readonly string[];
  readonly deleting: boolean;
}

function ipsOf(ns: string, name: string, which: PodGen["ips"]): string[] {
  const n = Number(name.slice(1)) + 1;
  const subnet = ns === "default" ? 0 : 1;
  const v4 = `10.0.${subnet}.${n}`;
  const v6 = `fd00::${subnet}:${n}`;
  return which === "none" ? [] : which === "v4" ? [v4] : which === "v6" ? [v6] : [v4, v6];
}

function labelsOf(spec: PodGen): Labels {
  return {
    ...(spec.app !== undefined ? { app: spec.app } : {}),
    ...(spec.tier !== undefined ? { tier: spec.tier } : {}),
  };
}

function svcJsonOf(spec: SvcGen): Record<string, unknown> {
  const annotations: Labels = {
    ...(spec.enabled !== undefined ? { "zen-lead.io/enabled": spec.enabled } : {}),
    ...(spec.sticky !== undefined ? { "zen-lead.io/sticky": spec.sticky } : {}),
    ...(spec.minReady !== undefined ? { "zen-lead.io/min-ready-duration": spec.minReady } : {}),
    ...(spec.preferred !== undefined ? { "zen-lead.io/preferred-leader": spec.preferred } : {}),
    ...(spec.leaderName !== undefined ? { "zen-lead.io/leader-service-name": spec.leaderName } : {}),
  };
  return serviceJson(spec.name, {
    namespace: NAMESPACE_OF[spec.name],
    annotations,
    selector: spec.selector,
    type: spec.type,
    clusterIP: spec.headless ? "None" : "10.96.0.10",
    ipFamilies: spec.dual ? ["IPv4", "IPv6"] : ["IPv4"],
    ...(spec.namedPort ? { ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "web" }] } : {}),
  });
}

function malformedService(name: SourceName, how: number): Record<string, unknown> {
  const base = serviceJson(name, { namespace: NAMESPACE_OF[name] }) as {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
  };
  switch (how) {
    case 0:
      return { ...base, spec: { ...base.spec, ports: [{ name: "http", port: "eighty" }] } };
    case 1:
      return { ...base, spec: { ...base.spec, type: "Weird" } };
    case 2:
      return { ...base, spec: { ...base.spec, selector: "app=x" } };
    default: {
      const { uid: _uid, ...metadata } = base.metadata;
      return { ...base, metadata };
    }
  }
}

const isValidSource = (s: SvcGen) =>
  s.enabled === "true" &&
  s.selector !== null &&
  Object.keys(s.selector).length > 0 &&
  s.type !== "ExternalName";

const MIN_READY_MS: Readonly<Record<string, number>> = { "0": 0, "5s": 5000, "30s": 30000 };
const minReadyOf = (s: SvcGen) => (s.minReady === undefined ? 0 : (MIN_READY_MS[s.minReady] ?? 0));

function isCandidateOf(pod: PodModel, svc: SvcGen): boolean {
  const selector = svc.selector ?? {};
  return (
    Object.entries(selector).every(([k, v]) => pod.labels[k] === v) &&
    pod.phase === "Running" &&
    pod.ready &&
    pod.ips.length > 0 &&
    !pod.deleting
  );
}

const familyOf = (ip: string) => (ip.includes(":") ? "IPv6" : "IPv4");

// ---------------------------------------------------------------------------------------------
// The runner: feeds a scenario through `advance`, plays the API server, and checks every step.

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
}

type Write = ApplyAction | DeleteAction;
const isWrite = (a: Action): a is Write => a.type === "apply" || a.type === "delete";
const objectId = (kind: string, namespace: string, name: string) => `${kind}:${namespace}/${name}`;

interface RunOptions {
  /** Check the invariants at every step (off for the determinism re-run). */
  readonly check: boolean;
  /** Deliver every write (and what it causes) right after each event, in order. */
  readonly prompt: boolean;
}

interface Run {
  readonly state: State;
  readonly actions: readonly (readonly Action[])[];
  /** A write was refused by the API's preconditions. */
  readonly refused: number;
  /** Two writes of the same object were applied in the opposite order they were asked for. */
  readonly reordered: boolean;
  readonly store: ReadonlyMap<string, { kind: Kind; raw: unknown }>;
  readonly pending: number;
  readonly pods: ReadonlyMap<string, PodModel | "bad">;
  readonly services: ReadonlyMap<string, SvcGen | "bad" | "other">;
  deliverAll(): void;
  send(event: ClusterEvent): readonly Action[];
  exec(op: Op): void;
}

function run(scenario: Scenario, options: RunOptions): Run {
  let state = initialState(100_000);
  const log: (readonly Action[])[] = [];
  const store = new Map<string, { kind: Kind; raw: unknown }>();
  const pods = new Map<string, PodModel | "bad">();
  const services = new Map<string, SvcGen | "bad" | "other">();
  const podGen = new Map<string, number>();
  const pending: { write: Write }[] = [];
  let uids = 0;
  let refused = 0;
  let reordered = false;

  const send = (event: ClusterEvent): readonly Action[] => {
    const before = state;
    if (options.check) {
      deepFreeze(before);
      deepFreeze(event);
    }
    const synced = [...before.synced].sort().join();
    const result = advance(before, event);
    if (options.check) {
      expect([...before.synced].sort().join(), "step mutated its input's synced set").toBe(synced);
      checkStep(before, result.state, result.actions);
    }
    state = result.state;
    log.push(result.actions);
    for (const a of result.actions) if (isWrite(a)) pending.push({ write: a });
    return result.actions;
  };

  const put = (kind: Kind, raw: unknown, type: "ADDED" | "MODIFIED" = "MODIFIED") => {
    const m = (raw as { metadata: { namespace?: string; name: string } }).metadata;
    store.set(objectId(kind, m.namespace ?? "", m.name), { kind, raw });
    send(fromWatch(kind, type, raw));
  };

  const uidOf = (raw: unknown) => (raw as { metadata?: { uid?: string } } | undefined)?.metadata?.uid;

  /**
   * A user's write, with the model's view of it (`remember`). An object of another uid replaces
   * the old one the only way the API allows: a delete, then an add.
   */
  const userPut = (kind: "Pod" | "Service", raw: unknown, remember: () => void) => {
    const m = (raw as { metadata: { namespace: string; name: string } }).metadata;
    const existing = store.get(objectId(kind, m.namespace, m.name));
    if (existing !== undefined && uidOf(existing.raw) !== uidOf(raw)) {
      store.delete(objectId(kind, m.namespace, m.name));
      (kind === "Pod" ? pods : services).delete(`${m.namespace}/${m.name}`);
      send({ type: "delete", kind, namespace: m.namespace, name: m.name });
    }
    remember();
    put(kind, raw, existing === undefined ? "ADDED" : "MODIFIED");
  };

  /** The API server applies one of zen-lead's writes (or refuses it) and the watch echoes it. */
  const apply = (w: Write) => {
    const id = objectId(w.kind, w.namespace, w.name);
    const existing = store.get(id);
    if (w.type === "apply") {
      if (w.create ? existing !== undefined : uidOf(existing?.raw) !== w.expectedUid) {
        refused++;
        return;
      }
      const uid = w.create ? `uid-owned-${uids++}` : (w.expectedUid as string);
      const manifest = w.manifest as { metadata: Record<string, unknown> };
      if (w.kind === "Service") services.set(`${w.namespace}/${w.name}`, "other");
      put(w.kind, { ...manifest, metadata: { ...manifest.metadata, uid } }, w.create ? "ADDED" : "MODIFIED");
    } else {
      if (uidOf(existing?.raw) !== w.uid) {
        refused++;
        return;
      }
      store.delete(id);
      if (w.kind === "Service") services.delete(`${w.namespace}/${w.name}`);
      send({ type: "delete", kind: w.kind, namespace: w.namespace, name: w.name });
    }
  };

  const deliverAt = (index: number) => {
    const [item] = pending.splice(index, 1);
    if (item === undefined) return;
    const id = (w: Write) => objectId(w.kind, w.namespace, w.name);
    if (pending.slice(0, index).some((p) => id(p.write) === id(item.write))) reordered = true;
    apply(item.write);
  };

  const deliverAll = () => {
    for (let i = 0; i < 200 && pending.length > 0; i++) deliverAt(0);
    expect(pending, "zen-lead kept writing").toEqual([]);
  };

  const checkStep = (before: State, after: State, actions: readonly Action[]) => {
    checkWrites(after, actions, services);
    checkDecisions(after, pods, services);
    checkLeaderEvents(before, after, actions);
    checkTransitions(before, after, pods, services);
  };

  const exec = (op: Op) => {
    switch (op.t) {
      case "pod": {
        const { ns, name } = op.spec;
        const key = `${ns}/${name}`;
        const nowSec = state.now / 1000;
        const uid = `uid-${ns}-${name}-${podGen.get(key) ?? 0}`;
        const readySince = Math.max(0, nowSec - op.spec.readyAgo);
        const model: PodModel = {
          uid,
          labels: labelsOf(op.spec),
          phase: op.spec.phase,
          ready: op.spec.ready,
          readySinceMs: readySince * 1000,
          createdMs: op.spec.created * 1000,
          ips: ipsOf(ns, name, op.spec.ips),
          deleting: op.spec.deleting,
        };
        userPut(
          "Pod",
          podJson(name, {
            namespace: ns,
            uid,
            labels: model.labels,
            created: op.spec.created,
            phase: op.spec.phase,
            ready: op.spec.ready,
            readySince,
            ips: model.ips,
            ...(op.spec.deleting ? { deleting: nowSec } : {}),
            node: "node-a",
            containerPorts: op.spec.port ? [{ name: "web", containerPort: 8081 }] : [],
          }),
          () => pods.set(key, model),
        );
        return;
      }
      case "podDelete": {
        const key = `${op.ns}/${op.name}`;
        if (!pods.has(key)) return;
        pods.delete(key);
        podGen.set(key, (podGen.get(key) ?? 0) + 1);
        store.delete(objectId("Pod", op.ns, op.name));
        send({ type: "delete", kind: "Pod", namespace: op.ns, name: op.name });
        return;
      }
      case "badPod": {
        const key = `${op.ns}/${op.name}`;
        const uid = `uid-${op.ns}-${op.name}-${podGen.get(key) ?? 0}`;
        const raw = podJson(op.name, { namespace: op.ns, uid }) as { status: Record<string, unknown> };
        userPut("Pod", { ...raw, status: { ...raw.status, conditions: "ready" } }, () =>
          pods.set(key, "bad"),
        );
        return;
      }
      case "svc": {
        const { spec } = op;
        userPut("Service", svcJsonOf(spec), () =>
          services.set(`${NAMESPACE_OF[spec.name]}/${spec.name}`, spec),
        );
        return;
      }
      case "badSvc": {
        const key = `${NAMESPACE_OF[op.name]}/${op.name}`;
        userPut("Service", malformedService(op.name, op.how), () => services.set(key, "bad"));
        return;
      }
      case "foreign": {
        // Someone takes a-leader: edits zen-lead's object in place (dropping its labels), or creates it.
        const existing = store.get(objectId("Service", "default", "a-leader"));
        const uid = uidOf(existing?.raw) ?? `uid-foreign-${uids++}`;
        const raw = serviceJson("a-leader", { annotations: {}, selector: { app: "z" }, uid });
        userPut("Service", raw, () => services.set("default/a-leader", "other"));
        return;
      }
      case "svcDelete": {
        const ns = op.name === "c" ? "other" : "default";
        const id = objectId("Service", ns, op.name);
        if (!store.has(id)) return;
        store.delete(id);
        services.delete(`${ns}/${op.name}`);
        send({ type: "delete", kind: "Service", namespace: ns, name: op.name });
        return;
      }
      case "garbage":
        send(fromWatch(op.kind, "ADDED", op.raw));
        return;
      case "tick":
        send({ type: "tick", now: state.now + op.seconds * 1000 });
        return;
      case "resync": {
        const objects = [...store.values()]
          .filter((o) => o.kind === op.kind)
          .map((o) => decode(o.kind, o.raw));
        send({ type: "resync", kind: op.kind, objects });
        return;
      }
      case "deliver":
        for (let i = 0; i < op.count && pending.length > 0; i++) {
          deliverAt(op.fifo ? 0 : (op.pick + i) % pending.length);
        }
        return;
      case "node":
        put("Node", nodeJson("node-a", op.zone));
        return;
    }
  };

  for (const op of scenario.initial) exec(op);
  for (const kind of ["Service", "Pod", "EndpointSlice", "Node"] as const) {
    if (scenario.relist) exec({ t: "resync", kind });
    else send({ type: "synced", kind });
  }
  if (options.prompt) deliverAll();
  for (const op of scenario.ops) {
    exec(op);
    if (options.prompt) deliverAll();
  }

  return {
    get state() {
      return state;
    },
    actions: log,
    get refused() {
      return refused;
    },
    get reordered() {
      return reordered;
    },
    store,
    get pending() {
      return pending.length;
    },
    pods,
    services,
    deliverAll,
    send,
    exec,
  };
}

// ---------------------------------------------------------------------------------------------
// The invariants.

function desiredSlices(d: Decision) {
  return (d.desired ?? []).filter((o) => o.kind === "EndpointSlice");
}

/** The owned object the API would hold after applying `d`: its manifest, with a uid, decoded. */
function echoed(d: DesiredObject): OwnedView {
  const manifest = manifestOf(d) as { metadata: Record<string, unknown> };
  const view = decode(d.kind, { ...manifest, metadata: { ...manifest.metadata, uid: "uid-echo" } });
  if (isFailure(view)) throw new Error(`the manifest of ${d.kind} ${d.name} does not decode: ${view.reason}`);
  return view as OwnedView;
}

/**
 * (a) at most one endpoint, never one without an address; writes only to zen-lead's own objects,
 * and none at all for a source that cannot be read (frozen).
 */
function checkWrites(
  state: State,
  actions: readonly Action[],
  services: ReadonlyMap<string, SvcGen | "bad" | "other">,
) {
  for (const a of actions) {
    if (a.type === "apply" && a.desired.kind === "EndpointSlice") {
      expect(a.desired.endpoints.length).toBeLessThanOrEqual(1);
      for (const e of a.desired.endpoints) expect(e.addresses.length).toBeGreaterThan(0);
      const manifest = a.manifest as { endpoints: { addresses: string[] }[] };
      expect(manifest.endpoints.length).toBeLessThanOrEqual(1);
    }
    if (!isWrite(a)) continue;
    expect(services.get(a.source), `a write for ${a.source}, which cannot be read`).not.toBe("bad");
    const key = `${a.namespace}/${a.name}`;
    const observed = a.kind === "Service" ? mapGet(state.services, key) : mapGet(state.slices, key);
    const uid = a.type === "apply" ? a.expectedUid : a.uid;
    if (a.type === "apply" && a.create) {
      // Never a create over something that is not zen-lead's (a NameCollision instead).
      if (observed !== undefined) expect(servedSource(observed)).toBeDefined();
    } else {
      // Updates and deletes name the uid of an object zen-lead owns for this very source.
      expect(observed?.uid).toBe(uid);
      expect(observed && servedSource(observed)).toBe(a.source);
    }
  }
}

/** (a), (b), (d): every decision, after every step. */
function checkDecisions(
  state: State,
  pods: ReadonlyMap<string, PodModel | "bad">,
  services: ReadonlyMap<string, SvcGen | "bad" | "other">,
) {
  if (!isSynced(state)) {
    expect(state.decisions.size).toBe(0);
    return;
  }
  for (const [source, d] of mapEntries(state.decisions)) {
    const svc = services.get(source);
    for (const slice of desiredSlices(d)) expect(slice.endpoints.length).toBeLessThanOrEqual(1);
    if (d.desired === undefined) {
      // Frozen only while the Service cannot be read.
      expect(svc).toBe("bad");
      continue;
    }
    // (d) the desired objects, observed back as the API would return them, need no write.
    expect(plan(d.desired, d.desired.map(echoed), source)).toEqual([]);
    if (d.leader === undefined) {
      for (const slice of desiredSlices(d)) expect(slice.endpoints).toEqual([]);
      continue;
    }
    // (b) a leader is a candidate of its (valid, opted-in) Service right now...
    expect(svc !== undefined && svc !== "bad" && svc !== "other" && isValidSource(svc)).toBe(true);
    const pod = pods.get(`${d.source.namespace}/${d.leader.podName}`);
    if (pod === undefined || pod === "bad" || svc === undefined || svc === "bad" || svc === "other") {
      throw new Error(`leader ${d.leader.podName} of ${source} is not a pod the cluster holds`);
    }
    expect(pod.uid).toBe(d.leader.podUid);
    expect(isCandidateOf(pod, svc)).toBe(true);
    // ...and any endpoint names it, at its address of the slice's family.
    const unresolved = d.warnings.some((w) => w.reason === "NamedPortUnresolved");
    for (const slice of desiredSlices(d)) {
      const address = pod.ips.find((ip) => familyOf(ip) === slice.addressType);
      expect(slice.endpoints.length).toBe(unresolved || address === undefined ? 0 : 1);
      for (const e of slice.endpoints) {
        expect(e).toMatchObject({ podName: d.leader.podName, podUid: d.leader.podUid, addresses: [address] });
      }
    }
  }
  // Every valid source is decided; one with an eligible candidate has a leader.
  for (const [key, svc] of services) {
    if (svc === "bad" || svc === "other" || !isValidSource(svc)) continue;
    const d = mapGet(state.decisions, key);
    expect(d?.optedIn, `no decision for ${key}`).toBe(true);
    if (d === undefined || d.warnings.some((w) => w.reason === "NameCollision")) continue;
    const candidates = [...pods]
      .filter(([podKey, pod]) => podKey.startsWith(`${NAMESPACE_OF[svc.name]}/`) && pod !== "bad")
      .map(([, pod]) => pod as PodModel)
      .filter((pod) => isCandidateOf(pod, svc));
    expect(d.candidates).toBe(candidates.length);
    const minReady = minReadyOf(svc);
    if (candidates.some((pod) => minReady === 0 || pod.readySinceMs + minReady <= state.now)) {
      expect(d.leader, `${key} has an eligible candidate but no leader`).toBeDefined();
    }
  }
}

/**
 * Not frozen, a usable source, and not kept from its name by a collision: zen-lead manages its
 * leader. (Opting out, losing the selector or the name ends management silently, without an Event.)
 */
const managing = (d: Decision) =>
  d.desired !== undefined &&
  d.leaderServiceName !== undefined &&
  !d.warnings.some((w) => w.reason === "NameCollision");

/** A LeaderChanged Event exactly when the leader changed, naming the leaders before and after. */
function checkLeaderEvents(before: State, after: State, actions: readonly Action[]) {
  if (!isSynced(before)) return;
  const changes = actions.filter((a): a is EventAction => a.type === "event" && a.reason === "LeaderChanged");
  for (const [source, d] of mapEntries(after.decisions)) {
    const previous = mapGet(before.decisions, source);
    if (previous === undefined || !managing(previous) || !managing(d)) continue;
    const mine = changes.filter((e) => `${e.source.namespace}/${e.source.name}` === source);
    if (previous.leader?.podUid === d.leader?.podUid) {
      expect(mine, `a LeaderChanged Event for ${source} whose leader did not change`).toEqual([]);
    } else {
      expect(mine).toHaveLength(1);
      expect(mine[0]?.leaderChange?.from).toBe(previous.leader?.podName);
      expect(mine[0]?.leaderChange?.to).toBe(d.leader?.podName);
    }
  }
}

/** Why a leader that was a candidate of `svc` must go now, per the model; undefined: it may stay. */
function lossOf(pod: PodModel | "bad" | undefined, uid: string, svc: SvcGen): LeaderReason | undefined {
  if (pod === undefined || (pod !== "bad" && pod.uid !== uid)) return "LeaderDeleted";
  if (pod === "bad") return "LeaderNotReady";
  if (!Object.entries(svc.selector ?? {}).every(([k, v]) => pod.labels[k] === v)) {
    return "LeaderNoLongerSelected";
  }
  if (pod.deleting) return "LeaderTerminating";
  if (pod.phase !== "Running") return "LeaderNotRunning";
  if (!pod.ready) return "LeaderNotReady";
  if (pod.ips.length === 0) return "LeaderLostIP";
  return undefined;
}

const ranksBefore = (a: PodModel & { name: string }, b: PodModel & { name: string }) =>
  a.createdMs < b.createdMs || (a.createdMs === b.createdMs && a.name < b.name);

/** The leader changes only for a documented reason, and says which; with sticky off it is the best. */
function checkTransitions(
  before: State,
  after: State,
  pods: ReadonlyMap<string, PodModel | "bad">,
  services: ReadonlyMap<string, SvcGen | "bad" | "other">,
) {
  if (!isSynced(before)) return;
  for (const [source, d] of mapEntries(after.decisions)) {
    const svc = services.get(source);
    if (!managing(d) || svc === undefined || svc === "bad" || svc === "other") continue;
    const ns = d.source.namespace;
    const candidates = [...pods]
      .filter(([key, pod]) => key.startsWith(`${ns}/`) && pod !== "bad" && isCandidateOf(pod, svc))
      .map(([key, pod]) => ({ ...(pod as PodModel), name: key.slice(ns.length + 1) }));
    const preferred = candidates.find((p) => p.name === svc.preferred);
    if (preferred !== undefined) {
      expect(d.leader).toMatchObject({ podName: preferred.name });
    }
    // Sticky off, no min-ready, no preferred candidate: the leader is the best-ranked candidate.
    if (svc.sticky === "false" && minReadyOf(svc) === 0 && preferred === undefined && candidates.length > 0) {
      const best = candidates.reduce((x, y) => (ranksBefore(y, x) ? y : x));
      expect(d.leader?.podName).toBe(best.name);
    }

    const previous = mapGet(before.decisions, source);
    const was = previous?.leader;
    if (previous === undefined || !managing(previous) || was === undefined) continue;
    const loss = lossOf(pods.get(`${ns}/${was.podName}`), was.podUid, svc);
    if (d.leader?.podUid === was.podUid) {
      expect(loss, `${source} kept ${was.podName}, which had to go`).toBeUndefined();
      continue;
    }
    if (d.leader === undefined) {
      expect(d.lost).toBe(loss);
    } else if (d.leader.reason === "PreferredLeader") {
      expect(d.leader.podName).toBe(svc.preferred);
    } else if (loss === undefined) {
      // A leader that could stay moves only with stickiness off, to a better-ranked pod.
      expect(svc.sticky).toBe("false");
      expect(d.leader.reason).toBe("BetterCandidate");
    } else {
      expect(d.leader.reason).toBe(loss);
    }
  }
}

/** No source has a write left to make: what is observed is what is desired. */
function expectConverged(state: State) {
  for (const [source, d] of mapEntries(state.decisions)) {
    if (d.desired === undefined) continue;
    expect(
      plan(d.desired, observedOwned(state, source, d.source.uid), source),
      `${source} not converged`,
    ).toEqual([]);
  }
}

const writesIn = (actions: readonly Action[]) => actions.filter(isWrite);

const stableY: PodGen = {
  ns: "default",
  name: "p4",
  app: "y",
  tier: undefined,
  created: 0,
  ready: true,
  readyAgo: 90,
  phase: "Running",
  ips: "v4",
  deleting: false,
  port: true,
};

const plainSource: SvcGen = {
  name: "a",
  enabled: "true",
  selector: { app: "x" },
  sticky: undefined,
  minReady: undefined,
  preferred: undefined,
  leaderName: undefined,
  type: "ClusterIP",
  headless: false,
  dual: false,
  namedPort: false,
};

/** Generous: the runs take a few seconds, and a loaded machine must not turn that into a failure. */
const PROPERTY_TIMEOUT_MS = 60_000;

/** Let the clock pass the suppression of unobserved writes, twice, delivering what is asked for. */
function settleRetries(world: ReturnType<typeof run>) {
  for (let i = 0; i < 2; i++) {
    world.send({ type: "tick", now: world.state.now + 31_000 });
    world.deliverAll();
  }
}

describe("the fold over random event sequences", () => {
  it(
    "keeps its invariants at every step, with writes echoed late and out of order",
    () => {
      let converged = 0;
      fc.assert(
        fc.property(scenarioArb, (scenario) => {
          const world = run(scenario, { check: true, prompt: false });
          // Once every write is applied, nothing is left to write — after the suppression of
          // unobserved writes ends (30 s), when a write was refused or two were applied out of order.
          world.deliverAll();
          settleRetries(world);
          expectConverged(world.state);
          converged++;
        }),
        { numRuns: 200 },
      );
      expect(converged).toBeGreaterThan(20);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "is deterministic: the same events give the same actions and decisions",
    () => {
      fc.assert(
        fc.property(scenarioArb, (scenario) => {
          const first = run(scenario, { check: false, prompt: false });
          const second = run(scenario, { check: false, prompt: false });
          expect(second.actions).toEqual(first.actions);
          expect([...mapEntries(second.state.decisions)]).toEqual([...mapEntries(first.state.decisions)]);
        }),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "converges when every write is echoed promptly: nothing more to write, a no-op writes nothing",
    () => {
      fc.assert(
        fc.property(scenarioArb, (scenario) => {
          const world = run(scenario, { check: true, prompt: true });
          // Nothing changed: no action at all, and a relist of everything writes nothing either.
          expect(world.send({ type: "tick", now: world.state.now })).toEqual([]);
          for (const kind of ["Service", "Pod", "EndpointSlice", "Node"] as const) {
            const objects = [...world.store.values()]
              .filter((o) => o.kind === kind)
              .map((o) => decode(o.kind, o.raw));
            expect(writesIn(world.send({ type: "resync", kind, objects }))).toEqual([]);
          }
          settleRetries(world);
          expectConverged(world.state);

          // A restarted controller lists the same cluster: its leaders are read back, nothing is written.
          let fresh = initialState(world.state.now);
          const written: Action[] = [];
          for (const kind of ["Node", "Pod", "EndpointSlice", "Service"] as const) {
            const objects = [...world.store.values()]
              .filter((o) => o.kind === kind)
              .map((o) => decode(o.kind, o.raw));
            const result = advance(fresh, { type: "resync", kind, objects });
            fresh = result.state;
            written.push(...writesIn(result.actions));
          }
          expect(written).toEqual([]);
          for (const [source, d] of mapEntries(world.state.decisions)) {
            if (d.desired === undefined) continue; // frozen: a restarted zen-lead knows no leader for it
            expect(mapGet(fresh.decisions, source)?.leader?.podUid).toBe(d.leader?.podUid);
          }

          // The Lease lost and won back (or handed to a warm standby) in this quiet cluster: nothing is
          // written, and no leader change announced again.
          const lost = advance(world.state, { type: "leadership", leading: false });
          expect(lost.actions).toEqual([]);
          const regained = advance(lost.state, { type: "leadership", leading: true });
          expect(writesIn(regained.actions)).toEqual([]);
          expect(regained.actions.filter((a) => a.type === "event" && a.leaderChange !== undefined)).toEqual(
            [],
          );
        }),
        { numRuns: 150 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe("a Service that cannot be decoded", () => {
  const breakage = fc.constantFrom(0, 1, 2, 3);
  it(
    "never stops another Service from getting its leader objects and failing over",
    () => {
      fc.assert(
        fc.property(
          breakage,
          fc.array(podGenArb, { maxLength: 6 }),
          fc.boolean(),
          (how, noise, brokenFirst) => {
            // b selects app=y; a (app=x) turns malformed, before or after the sync.
            const ops: Op[] = [
              ...noise.map((spec): Op => ({ t: "pod", spec: { ...spec, app: "x" } })),
              { t: "pod", spec: { ...stableY, name: "p4", created: 2 } },
              { t: "pod", spec: { ...stableY, name: "p5", created: 3 } },
              { t: "svc", spec: { ...plainSource, name: "a", selector: { app: "x" } } },
              { t: "svc", spec: { ...plainSource, name: "b", selector: { app: "y" } } },
            ];
            const broken: Op = { t: "badSvc", name: "a", how };
            const world = run(
              {
                initial: brokenFirst ? [...ops, broken] : ops,
                relist: false,
                ops: brokenFirst ? [{ t: "tick", seconds: 1 }] : [broken],
              },
              { check: true, prompt: true },
            );
            const b = mapGet(world.state.decisions, "default/b");
            expect(b?.leader?.podName).toBe("p4");
            expect(mapGet(world.state.decisions, "default/a")?.desired).toBeUndefined();
            const slice = world.store.get("EndpointSlice:default/b-leader-ipv4")?.raw as
              | { endpoints: { targetRef: { name: string } }[] }
              | undefined;
            expect(slice?.endpoints.map((e) => e.targetRef.name)).toEqual(["p4"]);

            // b's leader goes: b fails over at once, and a (frozen) gets no write.
            const logged = world.actions.length;
            world.exec({ t: "podDelete", ns: "default", name: "p4" });
            const writes = writesIn(world.actions.slice(logged).flat());
            expect(writes.every((w) => w.source === "default/b")).toBe(true);
            const applied = writes.find((w) => w.type === "apply" && w.kind === "EndpointSlice");
            expect(applied?.type === "apply" && applied.desired.kind === "EndpointSlice").toBe(true);
            if (applied?.type === "apply" && applied.desired.kind === "EndpointSlice") {
              expect(applied.desired.endpoints.map((e) => e.podName)).toEqual(["p5"]);
            }
          },
        ),
        { numRuns: 60 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
