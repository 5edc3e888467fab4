/**
 * Scenario -> Simulation. The cluster's own controllers are modelled here, statically, so that the
 * Simulation is plain data: the Deployment controller creates each replacement pod a short delay
 * after the fault that calls for it, on the least loaded schedulable node, and the kubelet turns it
 * Ready `readyAfter` later; a rolling update surges one new pod at a time and terminates an old one
 * when the new one is Ready. Faults that must hit a pod chosen at run time (the current leader)
 * compile to the model's dynamic `pod` changes. Every random draw (names, uids) comes from the
 * scenario's seed, so the same scenario always compiles to the same Simulation.
 *
 * What a static model cannot know: which pod a dynamic fault hit. Counts that depend on it (how many
 * pods a drain or a scale-down leaves) assume the hit pod was replaced, which is exact unless the
 * same pod is hit twice; docs/scenarios.md lists the approximations.
 */
import { ANNOTATIONS, type Kind, parseDuration } from "@zen-lead/core";
import { mulberry32 } from "../event-log/synthetic.ts";
import {
  type ApiObject,
  DEFAULT_API_BEHAVIOUR,
  type PodAction,
  type Simulation,
  type TimedChange,
  type WorldChange,
} from "../model.ts";
import { ScenarioError } from "./error.ts";
import { formatDuration } from "./format.ts";
import {
  type NodeObject,
  nodeObject,
  type PodObject,
  podObject,
  type ServiceObject,
  serviceObject,
} from "./objects.ts";
import { formatPath } from "./parse.ts";
import { type Path, POD_TEMPLATE, selectorMatches } from "./resolve.ts";
import type { DeploymentSpec, Fault, PodRef, Scenario, StaticPodRef, TimelineEntry } from "./types.ts";

/** From a fault to the ReplicaSet controller's replacement pod appearing (scheduled, starting). */
export const REPLACEMENT_DELAY_MS = 500;
/** Run on after the last change: write retries (the core's 30 s in-flight window) and timers finish. */
export const SETTLE_MS = 60_000;

/** The alphabet Kubernetes uses for generated names (no vowels, no look-alikes). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

interface PodRecord {
  readonly key: string;
  readonly object: PodObject;
  /** `<deployment>#<n>` for a Deployment's pods. */
  readonly alias?: string;
  readonly deployment?: DeploymentState;
  readonly created: number;
  /** Static knowledge of the Ready condition over time (sorted by `at`). */
  readonly readiness: { at: number; ready: boolean }[];
  terminatingAt?: number;
  removedAt?: number;
}

interface DeploymentState {
  readonly spec: DeploymentSpec;
  replicas: number;
  hash: string;
  replicaSet: { name: string; uid: string };
  readonly pods: PodRecord[];
  /** Pods hit by dynamic faults (the leader): gone, but which one is known only at run time. */
  unknownLosses: number;
}

interface NodeState {
  readonly object: NodeObject;
  drainedAt?: number;
  /** Next host number for pod IPs on this node. */
  nextIp: number;
}

interface ServiceState {
  readonly object: ServiceObject;
  annotations: Record<string, string>;
}

/** A compiled scenario and the pod names it chose (expectations name pods by `<deployment>#<n>`). */
export interface CompiledScenario {
  readonly simulation: Simulation;
  /** `namespace/name` of a pod a scenario names, or a one-line reason it names none. */
  readonly resolvePod: (ref: StaticPodRef) => { readonly pod: string } | { readonly error: string };
  /** Every pod the scenario creates: `namespace/name`, and its `<deployment>#<n>` alias. */
  readonly pods: readonly { readonly pod: string; readonly alias?: string; readonly created: number }[];
}

export function compileScenario(scenario: Scenario): Simulation {
  return compileDetailed(scenario).simulation;
}

export function compileDetailed(scenario: Scenario): CompiledScenario {
  return new Compiler(scenario).run();
}

class Compiler {
  private readonly random: () => number;
  private readonly initial: { kind: Kind; object: ApiObject }[] = [];
  private readonly changes: { at: number; seq: number; change: WorldChange }[] = [];
  private seq = 0;
  private readonly nodes = new Map<string, NodeState>();
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly services = new Map<string, ServiceState>();
  private readonly pods: PodRecord[] = [];
  private readonly usedNames = new Set<string>();
  private readonly dualStack: boolean;
  private nextNodePort = 30080;
  /** Latest time anything scheduled happens (removal after a grace period, end of a watch gap). */
  private lastActivity = 0;

  private readonly s: Scenario;

  constructor(s: Scenario) {
    this.s = s;
    this.random = mulberry32(s.seed);
    this.dualStack = s.services.some((svc) => svc.ipFamilies.includes("IPv6"));
  }

  run(): CompiledScenario {
    const s = this.s;
    s.nodes.forEach((spec, index) => {
      const object: NodeObject = { spec, index, uid: this.uid(), createdMs: s.epochMs - 30 * 86_400_000 };
      this.nodes.set(spec.name, { object, nextIp: 2 });
      this.initial.push({ kind: "Node", object: nodeObject(object) });
    });
    s.services.forEach((spec, index) => {
      const nodePorts =
        spec.type === "NodePort" || spec.type === "LoadBalancer"
          ? spec.ports.map(() => this.nextNodePort++)
          : [];
      const object: ServiceObject = {
        spec,
        uid: this.uid(),
        index,
        createdMs: s.epochMs - 2 * 3_600_000,
        nodePorts,
      };
      this.services.set(`${spec.namespace}/${spec.name}`, { object, annotations: {} });
    });
    s.pods.forEach((spec) => {
      const node = this.nodes.get(spec.node);
      const created = -spec.ageMs;
      const object: PodObject = {
        namespace: spec.namespace,
        name: spec.name,
        uid: this.uid(),
        labels: spec.labels,
        node: spec.node,
        ...(node !== undefined ? { hostIP: this.hostIP(node) } : {}),
        ips: node !== undefined ? this.allocateIps(node) : [],
        createdMs: s.epochMs + created,
        containerPorts: spec.containerPorts,
        terminationGraceMs: 30_000,
        phase: spec.phase,
      };
      this.usedNames.add(`${spec.namespace}/${spec.name}`);
      this.addPod(
        { key: `${spec.namespace}/${spec.name}`, object, created, readiness: [] },
        spec.ready ? created + spec.readyAfterMs : undefined,
      );
    });
    s.deployments.forEach((spec) => {
      const state: DeploymentState = {
        spec,
        replicas: spec.replicas,
        hash: "",
        replicaSet: { name: "", uid: "" },
        pods: [],
        unknownLosses: 0,
      };
      this.newTemplate(state);
      this.deployments.set(`${spec.namespace}/${spec.name}`, state);
      // The Deployment's pods came up one second apart: the first is the oldest (and leads).
      for (let i = 0; i < spec.replicas; i++) this.createPod(state, -spec.ageMs + 1000 * (i + 1));
    });

    // Services after pods: their annotations may name a pod (`{{web#2}}`).
    s.services.forEach((spec, i) => {
      const state = this.services.get(`${spec.namespace}/${spec.name}`);
      if (state === undefined) return;
      state.annotations = this.expand(spec.annotations, spec.namespace, 0, ["services", i, "annotations"]);
      this.initial.push({ kind: "Service", object: serviceObject(state.object, state.annotations) });
    });

    const ordered = [...s.timeline].sort((a, b) => a.at - b.at || a.index - b.index);
    for (const entry of ordered) this.fault(entry);

    const timeline: TimedChange[] = this.changes
      .sort((a, b) => a.at - b.at || a.seq - b.seq)
      .map(({ at, change }) => ({ at, change }));
    const last = Math.max(this.lastActivity, ...timeline.map((c) => c.at), 0);
    const endAt = s.untilMs ?? last + SETTLE_MS + this.maxMinReady();
    const simulation: Simulation = {
      name: s.name,
      source: "scenario",
      seed: s.seed,
      epochMs: s.epochMs,
      api: {
        ...DEFAULT_API_BEHAVIOUR,
        watchLatencyMs: s.api.watchLatencyMs,
        writeLatencyMs: s.api.writeLatencyMs,
      },
      initial: this.initial,
      timeline,
      endAt,
    };
    return {
      simulation,
      resolvePod: (ref) => {
        const found = this.findPod(ref);
        return typeof found === "string" ? { error: found } : { pod: found.key };
      },
      pods: this.pods.map((p) => ({
        pod: p.key,
        ...(p.alias !== undefined ? { alias: p.alias } : {}),
        created: p.created,
      })),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  private fault(entry: TimelineEntry): void {
    const t = entry.at;
    const f: Fault = entry.fault;
    const path: Path = ["timeline", entry.index, f.type];
    switch (f.type) {
      case "crashLeader":
        this.emit(t, { type: "pod", target: { leaderOf: f.service }, action: { type: "delete" } });
        this.replaceLeaderOf(f.service, t);
        return;
      case "deletePod": {
        const action: PodAction =
          f.graceMs === 0 ? { type: "delete" } : { type: "terminate", graceMs: f.graceMs };
        if (f.target.type === "leaderOf") {
          this.emit(t, { type: "pod", target: { leaderOf: f.target.service }, action });
          this.lastActivity = Math.max(this.lastActivity, t + f.graceMs);
          this.replaceLeaderOf(f.target.service, t);
          return;
        }
        const pod = this.podAt(f.target, t, path);
        const alreadyGoing = pod.terminatingAt !== undefined && pod.terminatingAt <= t;
        this.terminate(pod, t, f.graceMs);
        // The ReplicaSet counts a terminating pod as gone and replaces it at once (not twice).
        if (pod.deployment !== undefined && !alreadyGoing)
          this.createPod(pod.deployment, t + REPLACEMENT_DELAY_MS);
        return;
      }
      case "readiness":
        this.setReady(f.target, t, f.ready, path);
        return;
      case "flap":
        for (let k = 0; k < f.times; k++) {
          const down = t + 2 * k * f.everyMs;
          const up = down + f.everyMs;
          if (f.target.type === "leaderOf") {
            this.setReady(f.target, down, false, path);
            // The pod that went down is known only at run time: bring back every pod of the
            // Service that the static model holds Ready (setReady on a Ready pod changes nothing).
            for (const pod of this.podsOf(f.target.service, up)) this.setReadyOf(pod, up, true);
          } else {
            this.setReady(f.target, down, false, path);
            this.setReady(f.target, up, true, path);
          }
        }
        return;
      case "rollingUpdate":
        this.rollingUpdate(this.deployment(f.deployment), t);
        return;
      case "drainNode":
        this.drain(f.node, t, f.graceMs);
        return;
      case "annotate": {
        const svc = this.services.get(f.service);
        if (svc === undefined) return;
        const namespace = svc.object.spec.namespace;
        for (const [key, value] of Object.entries(
          this.expand(f.annotations, namespace, t, [...path, "annotations"]),
        )) {
          if (value === null) delete svc.annotations[key];
          else svc.annotations[key] = value;
        }
        this.emit(t, { type: "put", kind: "Service", object: serviceObject(svc.object, svc.annotations) });
        return;
      }
      case "restartController":
        this.emit(t, { type: "controllerRestart" });
        return;
      case "watchGap":
        this.emit(t, { type: "watchGap", kind: f.kind, until: t + f.forMs });
        this.lastActivity = Math.max(this.lastActivity, t + f.forMs);
        return;
      case "apiLatency":
        this.emit(t, {
          type: "apiBehaviour",
          behaviour: {
            ...(f.writeMs !== undefined ? { writeLatencyMs: f.writeMs } : {}),
            ...(f.watchMs !== undefined ? { watchLatencyMs: f.watchMs } : {}),
          },
        });
        return;
      case "apiFailures":
        this.emit(t, {
          type: "apiBehaviour",
          behaviour: { writeFailureRate: f.rate, writeFailureCodes: f.codes },
        });
        if (f.forMs !== undefined) {
          this.emit(t + f.forMs, { type: "apiBehaviour", behaviour: { writeFailureRate: 0 } });
        }
        return;
      case "scale":
        this.scale(this.deployment(f.deployment), t, f.replicas);
        return;
    }
  }

  private deployment(key: string): DeploymentState {
    const d = this.deployments.get(key);
    if (d === undefined) throw new Error(`scenario compiler: unknown deployment ${key}`);
    return d;
  }

  /** The leader of `service` was hit at `t`: its Deployment (if one owns the pods) replaces it. */
  private replaceLeaderOf(service: string, t: number): void {
    const owner = this.ownerOf(service);
    if (owner === undefined) return;
    owner.unknownLosses++;
    this.createPod(owner, t + REPLACEMENT_DELAY_MS);
  }

  /** The one Deployment whose pods `service` selects (resolve.ts refused more than one). */
  private ownerOf(service: string): DeploymentState | undefined {
    const svc = this.services.get(service)?.object.spec;
    const selector = svc?.selector;
    if (svc === undefined || selector === undefined) return undefined;
    for (const d of this.deployments.values()) {
      if (d.spec.namespace === svc.namespace && selectorMatches(selector, d.spec.labels)) return d;
    }
    return undefined;
  }

  /** Pods of a Service that exist at `t` and that the static model holds Ready then. */
  private podsOf(service: string, t: number): PodRecord[] {
    const svc = this.services.get(service)?.object.spec;
    const selector = svc?.selector;
    if (svc === undefined || selector === undefined) return [];
    return this.pods.filter(
      (p) =>
        p.object.namespace === svc.namespace &&
        selectorMatches(selector, p.object.labels) &&
        p.created <= t &&
        (p.removedAt === undefined || p.removedAt > t) &&
        readyAt(p, t),
    );
  }

  private setReady(target: PodRef, at: number, ready: boolean, path: Path): void {
    if (target.type === "leaderOf") {
      this.emit(at, {
        type: "pod",
        target: { leaderOf: target.service },
        action: { type: "setReady", ready },
      });
      return;
    }
    this.setReadyOf(this.podAt(target, at, path), at, ready);
  }

  private setReadyOf(pod: PodRecord, at: number, ready: boolean): void {
    this.emit(at, { type: "pod", target: { pod: pod.key }, action: { type: "setReady", ready } });
    recordReadiness(pod, at, ready);
  }

  private terminate(pod: PodRecord, at: number, graceMs: number): void {
    const action: PodAction = graceMs === 0 ? { type: "delete" } : { type: "terminate", graceMs };
    this.emit(at, { type: "pod", target: { pod: pod.key }, action });
    if (pod.terminatingAt === undefined || pod.terminatingAt > at) pod.terminatingAt = at;
    if (pod.removedAt === undefined || pod.removedAt > at + graceMs) pod.removedAt = at + graceMs;
    this.lastActivity = Math.max(this.lastActivity, at + graceMs);
  }

  /** Max surge 1, max unavailable 0: one new pod at a time; an old one goes when it is Ready. */
  private rollingUpdate(d: DeploymentState, t: number): void {
    const old = active(d).sort((a, b) => b.created - a.created || (a.key < b.key ? 1 : -1));
    this.newTemplate(d);
    const grace = d.spec.terminationGraceMs;
    let at = t + REPLACEMENT_DELAY_MS;
    if (d.replicas === 0) for (const pod of old) this.terminate(pod, t, grace);
    for (let i = 0; i < d.replicas; i++) {
      this.createPod(d, at);
      const ready = at + d.spec.readyAfterMs;
      const victims = i === d.replicas - 1 ? old.splice(0) : old.splice(0, 1);
      for (const pod of victims) this.terminate(pod, ready, grace);
      at = ready + REPLACEMENT_DELAY_MS;
    }
    // Every old pod was terminated by name: those a dynamic fault had hit are accounted for.
    d.unknownLosses = 0;
  }

  private drain(nodeName: string, t: number, graceMs: number | undefined): void {
    const node = this.nodes.get(nodeName);
    if (node === undefined) return;
    node.drainedAt = t;
    this.emit(t, { type: "put", kind: "Node", object: nodeObject(node.object, true) });
    const victims = this.pods.filter(
      (p) =>
        p.object.node === nodeName &&
        p.created <= t &&
        (p.terminatingAt === undefined || p.terminatingAt > t),
    );
    const grace = graceMs ?? Math.max(30_000, ...victims.map((p) => p.object.terminationGraceMs));
    const action: PodAction = grace === 0 ? { type: "delete" } : { type: "terminate", graceMs: grace };
    this.emit(t, { type: "pod", target: { onNode: nodeName }, action });
    this.lastActivity = Math.max(this.lastActivity, t + grace);
    for (const pod of victims) {
      pod.terminatingAt = t;
      pod.removedAt = t + grace;
    }
    for (const pod of victims)
      if (pod.deployment !== undefined) this.createPod(pod.deployment, t + REPLACEMENT_DELAY_MS);
  }

  private scale(d: DeploymentState, t: number, replicas: number): void {
    const running = active(d);
    const count = Math.max(0, running.length - d.unknownLosses);
    d.replicas = replicas;
    for (let i = count; i < replicas; i++) this.createPod(d, t + REPLACEMENT_DELAY_MS);
    if (replicas < count) {
      // The ReplicaSet removes the youngest pods first (all else equal).
      const victims = running.sort((a, b) => b.created - a.created).slice(0, count - replicas);
      for (const pod of victims) this.terminate(pod, t, d.spec.terminationGraceMs);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pods

  private newTemplate(d: DeploymentState): void {
    const hash = this.token(10);
    d.hash = hash;
    d.replicaSet = { name: `${d.spec.name}-${hash}`, uid: this.uid() };
  }

  /** The ReplicaSet creates a pod at `at`; the kubelet makes it Ready `readyAfter` later. */
  private createPod(d: DeploymentState, at: number): PodRecord {
    const node = this.place(d, at);
    let name: string;
    do name = `${d.replicaSet.name}-${this.token(5)}`;
    while (this.usedNames.has(`${d.spec.namespace}/${name}`));
    this.usedNames.add(`${d.spec.namespace}/${name}`);
    const object: PodObject = {
      namespace: d.spec.namespace,
      name,
      generateName: `${d.replicaSet.name}-`,
      uid: this.uid(),
      labels: { ...d.spec.labels, "pod-template-hash": d.hash },
      ...(node !== undefined ? { node: node.object.spec.name, hostIP: this.hostIP(node) } : {}),
      ips: node !== undefined ? this.allocateIps(node) : [],
      createdMs: this.s.epochMs + at,
      containerPorts: d.spec.containerPorts,
      terminationGraceMs: d.spec.terminationGraceMs,
      owner: d.replicaSet,
      phase: node !== undefined ? "Running" : "Pending",
    };
    const record: PodRecord = {
      key: `${d.spec.namespace}/${name}`,
      object,
      alias: `${d.spec.name}#${d.pods.length}`,
      deployment: d,
      created: at,
      readiness: [],
    };
    d.pods.push(record);
    this.addPod(record, node !== undefined ? at + d.spec.readyAfterMs : undefined);
    return record;
  }

  /** Adds a pod created at `record.created`, Ready from `readyAt` (never when undefined). */
  private addPod(record: PodRecord, readyAt: number | undefined): void {
    this.pods.push(record);
    const created = record.created;
    const readyNow = (t: number) => readyAt !== undefined && readyAt <= t;
    record.readiness.push({ at: created, ready: readyNow(created) });
    const initially = readyNow(Math.max(created, 0));
    const since = this.s.epochMs + (initially && readyAt !== undefined ? readyAt : created);
    const object = podObject(record.object, initially, since);
    if (created <= 0) this.initial.push({ kind: "Pod", object });
    else this.emit(created, { type: "put", kind: "Pod", object });
    if (readyAt === undefined) return;
    if (readyAt > Math.max(created, 0)) {
      this.emit(readyAt, {
        type: "pod",
        target: { pod: record.key },
        action: { type: "setReady", ready: true },
      });
    }
    if (readyAt > created) recordReadiness(record, readyAt, true);
  }

  /** The schedulable node with the fewest of this Deployment's pods (spread), first in order. */
  private place(d: DeploymentState, at: number): NodeState | undefined {
    let best: NodeState | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const name of d.spec.nodes) {
      const node = this.nodes.get(name);
      if (node === undefined || (node.drainedAt !== undefined && node.drainedAt <= at)) continue;
      const count = active(d).filter((p) => p.object.node === name).length;
      if (count < bestCount) {
        best = node;
        bestCount = count;
      }
    }
    return best;
  }

  private hostIP(node: NodeState): string {
    const i = node.object.index;
    return `172.18.${Math.floor(i / 250)}.${(i % 250) + 2}`;
  }

  /** Pod IPs from the node's /22: 10.244.<4 x node>.x (and fd00:10:244:<node>::x in dual-stack). */
  private allocateIps(node: NodeState): string[] {
    let n = node.nextIp++;
    while (n % 256 === 0 || n % 256 === 255) n = node.nextIp++;
    const i = node.object.index;
    const block = i * 4 + Math.floor(n / 256);
    const v4 = `10.${244 + Math.floor(block / 256)}.${block % 256}.${n % 256}`;
    return this.dualStack ? [v4, `fd00:10:244:${i.toString(16)}::${n.toString(16)}`] : [v4];
  }

  private podAt(ref: StaticPodRef, t: number, path: Path): PodRecord {
    const found = this.findPod(ref, t);
    if (typeof found === "string") throw new ScenarioError(this.s.file, formatPath(path), found);
    return found;
  }

  /** The pod a reference names (existing at `t` when given), or why there is none. */
  private findPod(ref: StaticPodRef, t?: number): PodRecord | string {
    const when = t === undefined ? "" : ` at ${formatDuration(t)}`;
    let pod: PodRecord | undefined;
    if (ref.type === "ordinal") {
      const d = this.deployments.get(`${ref.namespace}/${ref.deployment}`);
      const created = d?.pods.filter((p) => t === undefined || p.created <= t).length ?? 0;
      pod = d?.pods[ref.ordinal];
      if (pod === undefined || (t !== undefined && pod.created > t)) {
        return `${ref.text} does not exist${when} (deployment ${ref.deployment} has created ${created} pod${created === 1 ? "" : "s"}: #0-#${created - 1})`;
      }
    } else {
      const matches = this.pods.filter(
        (p) =>
          p.object.name === ref.name &&
          (ref.namespace === undefined || p.object.namespace === ref.namespace) &&
          (t === undefined || p.created <= t),
      );
      if (matches.length === 0) return `no pod "${ref.text}"${when}`;
      if (matches.length > 1) return `pod "${ref.text}" is ambiguous: write "namespace/${ref.name}"`;
      pod = matches[0] as PodRecord;
    }
    if (t !== undefined && pod.removedAt !== undefined && pod.removedAt <= t) {
      return `${ref.text} (${pod.key}) is already deleted${when}`;
    }
    return pod;
  }

  /** Annotation values with `{{<deployment>#<n>}}` replaced by that pod's name (it must exist at `t`). */
  private expand<V extends string | null>(
    annotations: Readonly<Record<string, V>>,
    namespace: string,
    t: number,
    path: Path,
  ): Record<string, V> {
    const out: Record<string, V> = {};
    for (const [key, value] of Object.entries(annotations)) {
      out[key] = (
        value === null
          ? value
          : value.replace(POD_TEMPLATE, (_, ref: string) => {
              const hash = ref.indexOf("#");
              const pod = this.podAt(
                {
                  type: "ordinal",
                  text: ref,
                  namespace,
                  deployment: ref.slice(0, hash),
                  ordinal: Number(ref.slice(hash + 1)),
                },
                t,
                [...path, key],
              );
              return pod.object.name;
            })
      ) as V;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private emit(at: number, change: WorldChange): void {
    this.changes.push({ at, seq: this.seq++, change });
  }

  private token(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += NAME_ALPHABET[Math.floor(this.random() * NAME_ALPHABET.length)];
    return out;
  }

  private uid(): string {
    const hex = (n: number) => {
      let out = "";
      for (let i = 0; i < n; i++) out += Math.floor(this.random() * 16).toString(16);
      return out;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(this.random() * 4)]}${hex(3)}-${hex(12)}`;
  }

  /** The longest min-ready-duration any Service asks for (the run waits it out at the end). */
  private maxMinReady(): number {
    let max = 0;
    const consider = (value: string | null | undefined) => {
      const ms = typeof value === "string" ? parseDuration(value) : undefined;
      if (ms !== undefined && ms > max) max = ms;
    };
    for (const svc of this.s.services) consider(svc.annotations[ANNOTATIONS.minReadyDuration]);
    for (const e of this.s.timeline) {
      if (e.fault.type === "annotate") consider(e.fault.annotations[ANNOTATIONS.minReadyDuration]);
    }
    return max;
  }
}

/** Pods of a Deployment not (yet) terminated by anything the static model knows of. */
function active(d: DeploymentState): PodRecord[] {
  return d.pods.filter((p) => p.terminatingAt === undefined);
}

function recordReadiness(pod: PodRecord, at: number, ready: boolean): void {
  pod.readiness.push({ at, ready });
  pod.readiness.sort((a, b) => a.at - b.at);
}

/** What the static model holds of the pod's Ready condition at `t`. */
function readyAt(pod: PodRecord, t: number): boolean {
  let ready = false;
  for (const r of pod.readiness) if (r.at <= t) ready = r.ready;
  return ready;
}
