/**
 * The simulated cluster's own controllers, at run time: the one model of what a cluster does by
 * itself while zen-lead watches it. A scenario compiles to a WorldSpec and WorldChanges; this
 * module decides, when each change happens and against the API model as it is then, what it does:
 *
 * - **kubelet**: a new scheduled pod turns Ready `readyAfter` after its creation; `setReady` flips
 *   the Ready condition; graceful deletion sets `deletionTimestamp` and removes the pod `grace`
 *   later; `delete` removes it at once.
 * - **ReplicaSet**: 500 ms after a Deployment loses a pod (deleted or terminating, whatever did it)
 *   or is scaled up, it creates pods until `replicas` are active (a rolling update surges one more);
 *   a scale-down terminates the youngest pods.
 * - **Deployment rolling update** (max surge 1, max unavailable 0): a new template; one new pod at
 *   a time; when one turns Ready, old pods terminate, youngest first, down to `replicas`, and the
 *   next new pod comes 500 ms later, until the new template has `replicas` pods.
 * - **scheduler**: a new pod goes to the Deployment's schedulable node holding the fewest of its
 *   active pods (first in the Deployment's order on a tie); with none left it stays Pending.
 * - **drain**: the node is cordoned and every pod on it terminates.
 *
 * Names, uids and template hashes are drawn from the seed in the order things are created, so a
 * run stays a pure function of its Simulation. docs/scenarios.md describes the model for authors.
 */
import { formatTimestamp, isFailure, type Kind, LABELS, type PodView, selectorMatches } from "@zen-lead/core";
import { type ApiModel, record, type StoredObject } from "../api-model.ts";
import { mulberry32 } from "../event-log/synthetic.ts";
import { ownedInApi, publishedLeaders } from "../invariants.ts";
import type { ApiObject, ClusterChange, PodAction, PodTarget, TimedChange } from "../model.ts";
import { formatDuration } from "../time-format.ts";
import type { VirtualClock } from "../virtual-clock.ts";
import {
  type NodeObject,
  nodeObject,
  type PodObject,
  podObject,
  type ServiceObject,
  serviceObject,
} from "./objects.ts";
import type { DeploymentSpec, PodRef, WorldSpec } from "./spec.ts";

/** From a Deployment losing a pod (or being scaled up) to its ReplicaSet creating the replacement. */
export const REPLACEMENT_DELAY_MS = 500;
/** The grace period of a drained pod when the drain names none: at least this, or the pod's own. */
const MIN_DRAIN_GRACE_MS = 30_000;
/** The labels zen-lead writes on its objects, which the `stripLabels` fault removes. */
const ZEN_LEAD_LABELS: readonly string[] = [
  LABELS.managedBy,
  LABELS.sourceService,
  LABELS.serviceName,
  LABELS.sliceManagedBy,
];
/** The grace period of a bare pod (the API server's default). */
const BARE_POD_GRACE_MS = 30_000;

/** `{{web#2}}` in an annotation value: replaced by that pod's name when the Service is stored. */
export const POD_TEMPLATE = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/** The alphabet Kubernetes uses for generated names (no vowels, no look-alikes). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Where in the WorldSpec or the scenario a reference came from (`timeline[2].readiness`), as keys. */
export type Where = readonly (string | number)[];

/**
 * A change named a pod that does not exist at that moment (`web#5` before the Deployment created
 * it, a pod already deleted): the input is wrong, not the run. `where` locates the reference.
 */
export class WorldError extends Error {
  override readonly name = "WorldError";
  readonly where: Where;
  readonly reason: string;

  constructor(where: Where, reason: string) {
    super(reason);
    this.where = where;
    this.reason = reason;
  }
}

/** What the world model acts through: the run's clock, and the API model (read directly, written via the engine). */
export interface WorldHost {
  readonly clock: VirtualClock;
  readonly api: ApiModel;
  /** Stores a change the world makes, as any world change is (watched, traced, a disturbance). */
  put(kind: Kind, object: ApiObject): void;
  /** Deletes an object, the same way. */
  remove(kind: Kind, namespace: string, name: string): void;
}

/** A pod the world model created: `namespace/name`, its `<deployment>#<n>` alias, when (virtual ms). */
export interface CreatedPod {
  readonly pod: string;
  readonly alias?: string;
  readonly created: number;
}

/** The pods a run created, for naming them afterwards (a scenario's expectations). */
export interface PodDirectory {
  /** Every pod created, in order (the initial ones first). */
  readonly created: readonly CreatedPod[];
  /** `namespace/name` of the pod a reference names (at any time of the run), or why there is none. */
  resolve(ref: PodRef): { readonly pod: string } | { readonly error: string };
}

interface NodeState {
  readonly object: NodeObject;
  cordoned: boolean;
  /** Next host number for pod IPs on this node. */
  nextIp: number;
}

interface ServiceState {
  readonly object: ServiceObject;
  /** As stored: templates already replaced. */
  annotations: Record<string, string>;
}

interface PodRecord {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string | undefined;
  /** `<deployment>#<n>` for a Deployment's pods. */
  readonly alias?: string;
  readonly deployment?: DeploymentState;
  /** The pod template hash it was created with (Deployment pods). */
  readonly hash?: string;
  /** Virtual ms (negative: before the run). */
  readonly created: number;
}

interface DeploymentState {
  readonly spec: DeploymentSpec;
  replicas: number;
  hash: string;
  replicaSet: { name: string; uid: string };
  /** Every pod it created, in order: `#n` is `pods[n]`. */
  readonly pods: PodRecord[];
  /** A rolling update is in progress (one pod above `replicas` is allowed). */
  rolling: boolean;
}

type Json = Record<string, unknown>;

/** The object without its resourceVersion: re-put as a new version (kubelet-style status writes). */
function withoutVersion(raw: ApiObject, metadata: Json = {}): ApiObject {
  const { resourceVersion: _rv, ...meta } = raw.metadata;
  return { ...raw, metadata: { ...meta, ...metadata } } as ApiObject;
}

function isTerminating(pod: StoredObject): boolean {
  const deletion = pod.raw.metadata.deletionTimestamp;
  return deletion !== undefined && deletion !== null;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The cluster's own controllers for one run (see the module comment). */
export class World implements PodDirectory {
  readonly #host: WorldHost;
  readonly #random: () => number;
  readonly #epochMs: number;
  readonly #nodes = new Map<string, NodeState>();
  readonly #services = new Map<string, ServiceState>();
  readonly #deployments = new Map<string, DeploymentState>();
  /** Every pod created, in order, and by uid. */
  readonly #pods: PodRecord[] = [];
  readonly #byUid = new Map<string, PodRecord>();
  readonly #usedNames = new Set<string>();
  readonly #dualStack: boolean;
  /** True while the constructor builds the initial cluster (its pods are listed, not watched). */
  #building = true;
  /** The objects of the cluster at time 0, in creation order (the engine stores them before the first list). */
  readonly initial: { kind: Kind; object: ApiObject }[] = [];

  /**
   * Creates the spec's cluster at time 0 (nodes, bare pods, each Deployment's pods, then Services,
   * whose `{{web#2}}` templates name those pods) and schedules the kubelet's readiness of pods not
   * yet Ready then. Throws WorldError when a template names a pod that does not exist.
   */
  constructor(spec: WorldSpec | undefined, host: WorldHost, seed: number) {
    this.#host = host;
    this.#random = mulberry32(seed);
    this.#epochMs = host.clock.epochMs;
    const s: WorldSpec = spec ?? { nodes: [], services: [], deployments: [], pods: [] };
    this.#dualStack = s.services.some((svc) => svc.ipFamilies.includes("IPv6"));
    // This order is the order of the seed's draws: it fixes every generated name and uid.
    this.#createNodes(s.nodes);
    this.#createServices(s.services);
    for (const pod of s.pods) this.#createBarePod(pod);
    for (const d of s.deployments) this.#createDeployment(d);
    // Services last: their annotations may name the pods (`{{web#2}}`).
    s.services.forEach((svc, index) => {
      const state = this.#services.get(`${svc.namespace}/${svc.name}`) as ServiceState;
      state.annotations = this.#expand(svc.annotations, svc.namespace, ["services", index, "annotations"]);
      this.initial.push({ kind: "Service", object: serviceObject(state.object, state.annotations) });
    });
    this.#building = false;
  }

  #createNodes(nodes: WorldSpec["nodes"]): void {
    nodes.forEach((spec, index) => {
      const object: NodeObject = {
        spec,
        index,
        uid: this.#uid(),
        createdMs: this.#epochMs - 30 * 86_400_000,
      };
      this.#nodes.set(spec.name, { object, cordoned: false, nextIp: 2 });
      this.initial.push({ kind: "Node", object: nodeObject(object) });
    });
  }

  /** Their uids and node ports; they are stored once the pods their annotations name exist. */
  #createServices(services: WorldSpec["services"]): void {
    let nextNodePort = 30080;
    services.forEach((spec, index) => {
      const withNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
      const object: ServiceObject = {
        spec,
        uid: this.#uid(),
        index,
        createdMs: this.#epochMs - 2 * 3_600_000,
        nodePorts: withNodePorts ? spec.ports.map(() => nextNodePort++) : [],
      };
      this.#services.set(`${spec.namespace}/${spec.name}`, { object, annotations: {} });
    });
  }

  #createBarePod(spec: WorldSpec["pods"][number]): void {
    const node = this.#nodes.get(spec.node);
    const object: PodObject = {
      namespace: spec.namespace,
      name: spec.name,
      uid: this.#uid(),
      labels: spec.labels,
      node: spec.node,
      ...(node !== undefined ? { hostIP: hostIP(node) } : {}),
      ips: node !== undefined ? this.#allocateIps(node) : [],
      createdMs: this.#epochMs - spec.ageMs,
      containerPorts: spec.containerPorts,
      terminationGraceMs: BARE_POD_GRACE_MS,
      phase: spec.phase,
    };
    this.#usedNames.add(`${spec.namespace}/${spec.name}`);
    this.#addPod(object, -spec.ageMs, spec.ready ? -spec.ageMs + spec.readyAfterMs : undefined);
  }

  #createDeployment(spec: DeploymentSpec): void {
    const d: DeploymentState = {
      spec,
      replicas: spec.replicas,
      hash: "",
      replicaSet: { name: "", uid: "" },
      pods: [],
      rolling: false,
    };
    this.#newTemplate(d);
    this.#deployments.set(`${spec.namespace}/${spec.name}`, d);
    // Its pods came up one second apart: the first is the oldest (and leads).
    for (let i = 0; i < spec.replicas; i++) this.#createPod(d, -spec.ageMs + 1000 * (i + 1));
  }

  // ---------------------------------------------------------------------------------------------
  // Changes

  /**
   * Applies a change that is the world's business (`pod`, `annotate`, `rollingUpdate`, `scale`,
   * `drainNode`) at the current virtual time. Throws WorldError when it names a pod that does not
   * exist then.
   */
  apply(change: ClusterChange): void {
    switch (change.type) {
      case "pod":
        for (const pod of this.#targets(change.target, change.where ?? []))
          this.#podAction(pod, change.action);
        return;
      case "annotate":
        this.#annotate(change.service, change.annotations, change.where ?? []);
        return;
      case "stripLabels":
        this.#stripLabels(change.service);
        return;
      case "rollingUpdate":
        this.#rollingUpdate(this.#deployment(change.deployment));
        return;
      case "scale":
        this.#scale(this.#deployment(change.deployment), change.replicas);
        return;
      case "drainNode":
        this.#drain(change.node, change.graceMs);
        return;
    }
  }

  #deployment(key: string): DeploymentState {
    const d = this.#deployments.get(key);
    if (d === undefined) throw new Error(`world: no deployment ${key}`);
    return d;
  }

  /** The pods a `pod` change hits, resolved against the API model now (sorted, deterministic). */
  #targets(target: PodTarget, where: Where): StoredObject[] {
    const api = this.#host.api;
    if ("pod" in target) {
      const slash = target.pod.indexOf("/");
      const namespace = slash === -1 ? "default" : target.pod.slice(0, slash);
      const name = slash === -1 ? target.pod : target.pod.slice(slash + 1);
      const pod = api.get("Pod", namespace, name);
      return pod === undefined ? [] : [pod];
    }
    if ("leaderOf" in target) {
      const source = target.leaderOf.includes("/") ? target.leaderOf : `default/${target.leaderOf}`;
      const namespace = source.slice(0, source.indexOf("/"));
      const leader = publishedLeaders(api).get(source);
      const pod = leader === undefined ? undefined : api.get("Pod", namespace, leader.podName);
      return pod === undefined ? [] : [pod];
    }
    if ("ref" in target) {
      const found = this.#find(target.ref, this.#host.clock.frame);
      if (typeof found === "string") throw new WorldError(where, found);
      const pod = api.get("Pod", found.namespace, found.name);
      return pod === undefined ? [] : [pod];
    }
    const out: StoredObject[] = [];
    for (const pod of api.list("Pod")) {
      const nodeName = isFailure(pod.view) ? record(pod.raw.spec).nodeName : (pod.view as PodView).nodeName;
      if (nodeName === target.onNode) out.push(pod);
    }
    return out.sort(byKey);
  }

  /** What a kubelet or the API server writes for the pod; a Deployment replaces a pod it lost. */
  #podAction(pod: StoredObject, action: PodAction): void {
    switch (action.type) {
      case "setReady": {
        this.#setReady(pod, action.ready);
        const revert = action.revertAfterMs;
        if (revert === undefined) return;
        const { namespace, name, uid } = pod;
        this.#host.clock.at(this.#host.clock.frame + revert, () => {
          const now = this.#host.api.get("Pod", namespace, name);
          if (now?.uid === uid) this.#setReady(now, !action.ready);
        });
        return;
      }
      case "terminate":
        if (isTerminating(pod)) return;
        this.#terminate(pod, action.graceMs);
        break;
      case "delete":
        this.#host.remove("Pod", pod.namespace, pod.name);
        break;
    }
    const d = this.#byUid.get(pod.uid)?.deployment;
    if (d !== undefined) this.#reconcileLater(d);
  }

  #setReady(pod: StoredObject, ready: boolean): void {
    const raw = pod.raw;
    const status = record(raw.status);
    const conditions = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
    const wanted = ready ? "True" : "False";
    const current = conditions.find((c) => record(c).type === "Ready");
    if (record(current).status === wanted) return;
    const condition = {
      ...record(current),
      type: "Ready",
      status: wanted,
      lastTransitionTime: formatTimestamp(this.#host.clock.now),
    };
    const updated =
      current === undefined
        ? [...conditions, condition]
        : conditions.map((c) => (c === current ? condition : c));
    this.#host.put(
      "Pod",
      withoutVersion({ ...raw, status: { ...status, conditions: updated } } as ApiObject),
    );
  }

  /** Graceful deletion: `deletionTimestamp` now; removed `graceMs` later if it is still the same pod. */
  #terminate(pod: StoredObject, graceMs: number): void {
    const clock = this.#host.clock;
    if (graceMs === 0) {
      this.#host.remove("Pod", pod.namespace, pod.name);
      return;
    }
    this.#host.put(
      "Pod",
      withoutVersion(pod.raw, {
        deletionTimestamp: formatTimestamp(clock.now),
        deletionGracePeriodSeconds: Math.ceil(graceMs / 1000),
      }),
    );
    const { uid, namespace, name } = pod;
    clock.at(clock.frame + graceMs, () => {
      if (this.#host.api.get("Pod", namespace, name)?.uid !== uid) return;
      this.#host.remove("Pod", namespace, name);
    });
  }

  #annotate(service: string, annotations: Readonly<Record<string, string | null>>, where: Where): void {
    const svc = this.#services.get(service);
    if (svc === undefined) throw new Error(`world: no service ${service}`);
    const namespace = svc.object.spec.namespace;
    for (const [key, value] of Object.entries(this.#expand(annotations, namespace, where))) {
      if (value === null) delete svc.annotations[key];
      else svc.annotations[key] = value;
    }
    this.#host.put("Service", serviceObject(svc.object, svc.annotations));
  }

  /**
   * Removes zen-lead's labels from its objects for `source` (core ownership, as the invariants see
   * it), as `kubectl label` would: a new resourceVersion, everything else kept. zen-lead still owns
   * them by their controller reference at the names it wants, and puts the labels back.
   */
  #stripLabels(source: string): void {
    const api = this.#host.api;
    for (const view of ownedInApi(api).get(source) ?? []) {
      const stored = api.get(view.kind, view.namespace, view.name);
      if (stored === undefined) continue;
      const { resourceVersion: _, labels, ...metadata } = stored.raw.metadata;
      const kept = Object.entries(record(labels)).filter(([key]) => !ZEN_LEAD_LABELS.includes(key));
      this.#host.put(view.kind, {
        ...stored.raw,
        metadata: { ...metadata, labels: Object.fromEntries(kept) },
      });
    }
  }

  /** Annotation values with `{{<deployment>#<n>}}` replaced by that pod's name (it must exist now). */
  #expand<V extends string | null>(
    annotations: Readonly<Record<string, V>>,
    namespace: string,
    where: Where,
  ): Record<string, V> {
    const out: Record<string, V> = {};
    for (const [key, value] of Object.entries(annotations)) {
      out[key] = (
        value === null
          ? value
          : value.replace(POD_TEMPLATE, (_, text: string) => {
              const hash = text.indexOf("#");
              const ref: PodRef = {
                type: "ordinal",
                text,
                namespace,
                deployment: text.slice(0, hash),
                ordinal: Number(text.slice(hash + 1)),
              };
              const found = this.#find(ref, this.#host.clock.frame);
              if (typeof found === "string") throw new WorldError([...where, key], found);
              return found.name;
            })
      ) as V;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Deployments and their ReplicaSets

  /** The Deployment's pods that exist and are not terminating (what its ReplicaSets count). */
  #active(d: DeploymentState): PodRecord[] {
    const api = this.#host.api;
    return d.pods.filter((p) => {
      const stored = api.get("Pod", p.namespace, p.name);
      return stored?.uid === p.uid && !isTerminating(stored);
    });
  }

  #reconcileLater(d: DeploymentState): void {
    const clock = this.#host.clock;
    clock.at(clock.frame + REPLACEMENT_DELAY_MS, () => this.#reconcile(d));
  }

  /** The ReplicaSet creates pods until the Deployment has `replicas` active (one more while rolling). */
  #reconcile(d: DeploymentState): void {
    const active = this.#active(d);
    const fresh = active.filter((p) => p.hash === d.hash).length;
    const target = d.replicas + (d.rolling && fresh < d.replicas ? 1 : 0);
    // Counted once: a new pod Ready at once makes the rollout step (and plan its next pod) inside the loop.
    for (let n = active.length; n < target; n++) this.#createPod(d, this.#host.clock.frame);
  }

  #rollingUpdate(d: DeploymentState): void {
    const old = this.#active(d);
    this.#newTemplate(d);
    if (d.replicas === 0) {
      for (const pod of youngestFirst(old)) this.#terminateRecord(pod, d.spec.terminationGraceMs);
      return;
    }
    d.rolling = true;
    this.#reconcileLater(d);
  }

  /** A pod of the new template turned Ready: old pods go down to `replicas`; then the next new one. */
  #rolloutStep(d: DeploymentState): void {
    const active = this.#active(d);
    let excess = active.length - d.replicas;
    for (const pod of youngestFirst(active.filter((p) => p.hash !== d.hash))) {
      if (excess <= 0) break;
      this.#terminateRecord(pod, d.spec.terminationGraceMs);
      excess--;
    }
    if (this.#active(d).filter((p) => p.hash === d.hash).length >= d.replicas) d.rolling = false;
    else this.#reconcileLater(d);
  }

  #scale(d: DeploymentState, replicas: number): void {
    d.replicas = replicas;
    const active = this.#active(d);
    if (active.length < replicas) this.#reconcileLater(d);
    // The ReplicaSet removes the youngest pods first (all else equal).
    for (const pod of youngestFirst(active).slice(0, Math.max(0, active.length - replicas))) {
      this.#terminateRecord(pod, d.spec.terminationGraceMs);
    }
  }

  #terminateRecord(pod: PodRecord, graceMs: number): void {
    const stored = this.#host.api.get("Pod", pod.namespace, pod.name);
    if (stored?.uid === pod.uid && !isTerminating(stored)) this.#terminate(stored, graceMs);
  }

  #drain(nodeName: string, graceMs: number | undefined): void {
    const node = this.#nodes.get(nodeName);
    if (node === undefined) throw new Error(`world: no node ${nodeName}`);
    node.cordoned = true;
    this.#host.put("Node", nodeObject(node.object, true));
    const victims = this.#targets({ onNode: nodeName }, []).filter((p) => !isTerminating(p));
    const podGrace = (p: StoredObject) =>
      1000 * Number(record(p.raw.spec).terminationGracePeriodSeconds ?? BARE_POD_GRACE_MS / 1000);
    const grace = graceMs ?? Math.max(MIN_DRAIN_GRACE_MS, ...victims.map(podGrace));
    const action: PodAction = grace === 0 ? { type: "delete" } : { type: "terminate", graceMs: grace };
    for (const pod of victims) this.#podAction(pod, action);
  }

  #newTemplate(d: DeploymentState): void {
    d.hash = this.#token(10);
    d.replicaSet = { name: `${d.spec.name}-${d.hash}`, uid: this.#uid() };
  }

  /** The ReplicaSet creates a pod at virtual time `at` (now, or before the run for initial pods). */
  #createPod(d: DeploymentState, at: number): void {
    const node = this.#place(d);
    let name: string;
    do name = `${d.replicaSet.name}-${this.#token(5)}`;
    while (this.#usedNames.has(`${d.spec.namespace}/${name}`));
    this.#usedNames.add(`${d.spec.namespace}/${name}`);
    const object: PodObject = {
      namespace: d.spec.namespace,
      name,
      generateName: `${d.replicaSet.name}-`,
      uid: this.#uid(),
      labels: { ...d.spec.labels, "pod-template-hash": d.hash },
      ...(node !== undefined ? { node: node.object.spec.name, hostIP: hostIP(node) } : {}),
      ips: node !== undefined ? this.#allocateIps(node) : [],
      createdMs: this.#epochMs + at,
      containerPorts: d.spec.containerPorts,
      terminationGraceMs: d.spec.terminationGraceMs,
      owner: d.replicaSet,
      phase: node !== undefined ? "Running" : "Pending",
    };
    this.#addPod(object, at, node !== undefined ? at + d.spec.readyAfterMs : undefined, {
      deployment: d,
      alias: `${d.spec.name}#${d.pods.length}`,
      hash: d.hash,
    });
  }

  /** The schedulable node with the fewest of this Deployment's active pods (spread), first in order. */
  #place(d: DeploymentState): NodeState | undefined {
    const active = this.#building ? d.pods : this.#active(d);
    let best: NodeState | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const name of d.spec.nodes) {
      const node = this.#nodes.get(name);
      if (node === undefined || node.cordoned) continue;
      const count = active.filter((p) => p.node === name).length;
      if (count < bestCount) {
        best = node;
        bestCount = count;
      }
    }
    return best;
  }

  // ---------------------------------------------------------------------------------------------
  // Pods and the kubelet

  /**
   * A pod created at `created` (virtual ms; at or before 0 while the initial cluster is built, it
   * is part of it), turned Ready by the kubelet at `readyAt` (never when undefined).
   */
  #addPod(
    object: PodObject,
    created: number,
    readyAt: number | undefined,
    owner: Pick<PodRecord, "deployment" | "alias" | "hash"> = {},
  ): PodRecord {
    const pod: PodRecord = {
      ...owner,
      key: `${object.namespace}/${object.name}`,
      namespace: object.namespace,
      name: object.name,
      uid: object.uid,
      node: object.node,
      created,
    };
    this.#pods.push(pod);
    this.#byUid.set(pod.uid, pod);
    pod.deployment?.pods.push(pod);
    const readyNow = readyAt !== undefined && readyAt <= Math.max(created, 0);
    const since = this.#epochMs + (readyNow && readyAt !== undefined ? readyAt : created);
    const json = podObject(object, readyNow, since);
    const clock = this.#host.clock;
    if (!this.#building) this.#host.put("Pod", json);
    else if (created <= 0) this.initial.push({ kind: "Pod", object: json });
    else clock.at(created, () => this.#host.put("Pod", json));
    if (readyAt !== undefined && !readyNow) clock.at(readyAt, () => this.#kubeletReady(pod));
    else if (readyNow && !this.#building) this.#turnedReady(pod);
    return pod;
  }

  /** The kubelet's readiness probe passes for the first time. */
  #kubeletReady(pod: PodRecord): void {
    const stored = this.#host.api.get("Pod", pod.namespace, pod.name);
    if (stored?.uid !== pod.uid || isTerminating(stored)) return;
    this.#setReady(stored, true);
    this.#turnedReady(pod);
  }

  /** A new pod is Ready: a rolling update takes its next step. */
  #turnedReady(pod: PodRecord): void {
    const d = pod.deployment;
    if (d?.rolling === true && pod.hash === d.hash) this.#rolloutStep(d);
  }

  #allocateIps(node: NodeState): string[] {
    let n = node.nextIp++;
    while (n % 256 === 0 || n % 256 === 255) n = node.nextIp++;
    const i = node.object.index;
    const block = i * 4 + Math.floor(n / 256);
    const v4 = `10.${244 + Math.floor(block / 256)}.${block % 256}.${n % 256}`;
    return this.#dualStack ? [v4, `fd00:10:244:${i.toString(16)}::${n.toString(16)}`] : [v4];
  }

  #token(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += NAME_ALPHABET[Math.floor(this.#random() * NAME_ALPHABET.length)];
    return out;
  }

  #uid(): string {
    const hex = (n: number) => {
      let out = "";
      for (let i = 0; i < n; i++) out += Math.floor(this.#random() * 16).toString(16);
      return out;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(this.#random() * 4)]}${hex(3)}-${hex(12)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Naming pods

  get created(): readonly CreatedPod[] {
    return this.#pods.map((p) => ({
      pod: p.key,
      ...(p.alias !== undefined ? { alias: p.alias } : {}),
      created: p.created,
    }));
  }

  resolve(ref: PodRef): { readonly pod: string } | { readonly error: string } {
    const found = this.#find(ref);
    return typeof found === "string" ? { error: found } : { pod: found.key };
  }

  /** The pod a reference names (existing at `t` when given), or why there is none. */
  #find(ref: PodRef, t?: number): PodRecord | string {
    const when = t === undefined ? "" : ` at ${formatDuration(t)}`;
    const by = (p: PodRecord) => t === undefined || p.created <= t;
    let pod: PodRecord | undefined;
    if (ref.type === "ordinal") {
      const d = this.#deployments.get(`${ref.namespace}/${ref.deployment}`);
      if (d === undefined) return `no deployment "${ref.deployment}" in namespace ${ref.namespace}`;
      pod = d.pods[ref.ordinal];
      if (pod === undefined || !by(pod)) {
        const n = d.pods.filter(by).length;
        return `${ref.text} does not exist${when} (deployment ${ref.deployment} has created ${n} pod${n === 1 ? "" : "s"}: #0-#${n - 1})`;
      }
    } else {
      const matches = this.#pods.filter(
        (p) => p.name === ref.name && (ref.namespace === undefined || p.namespace === ref.namespace) && by(p),
      );
      if (matches.length === 0) return `no pod "${ref.text}"${when}`;
      if (matches.length > 1) return `pod "${ref.text}" is ambiguous: write "namespace/${ref.name}"`;
      pod = matches[0] as PodRecord;
    }
    // While the initial cluster is built nothing is stored yet, and nothing has been deleted.
    const gone = !this.#building && this.#host.api.get("Pod", pod.namespace, pod.name)?.uid !== pod.uid;
    if (t !== undefined && gone) return `${ref.text} (${pod.key}) is already deleted${when}`;
    return pod;
  }
}

function hostIP(node: NodeState): string {
  const i = node.object.index;
  return `172.18.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

/** The ReplicaSet's scale-down order: youngest first (then by name, descending). */
function youngestFirst(pods: readonly PodRecord[]): PodRecord[] {
  return [...pods].sort((a, b) => b.created - a.created || (a.key < b.key ? 1 : -1));
}

/**
 * An upper bound of the virtual time after which the world model, given this timeline, does
 * nothing more by itself: the last change, a graceful deletion's end, the last replacement or
 * rolled-out pod turning Ready, a watch gap's end. A scenario runs a settling time past it.
 */
export function busyUntil(spec: WorldSpec, timeline: readonly TimedChange[]): number {
  let last = 0;
  const see = (t: number) => {
    if (t > last) last = t;
  };
  for (const d of spec.deployments) {
    for (let i = 0; i < d.replicas; i++) see(-d.ageMs + 1000 * (i + 1) + d.readyAfterMs);
  }
  for (const p of spec.pods) if (p.ready) see(-p.ageMs + p.readyAfterMs);
  const key = (d: DeploymentSpec) => `${d.namespace}/${d.name}`;
  const replicas = new Map(spec.deployments.map((d) => [key(d), d.replicas]));
  /** The Deployments that may own a pod the target hits (they replace it). */
  const owners = (target: PodTarget): DeploymentSpec[] => {
    if ("leaderOf" in target) {
      const svc = spec.services.find((s) => `${s.namespace}/${s.name}` === target.leaderOf);
      const selector = svc?.selector;
      if (svc === undefined || selector === undefined) return [];
      return spec.deployments.filter(
        (d) => d.namespace === svc.namespace && selectorMatches(selector, d.labels),
      );
    }
    if ("ref" in target) {
      const ref = target.ref;
      if (ref.type === "ordinal") {
        return spec.deployments.filter((d) => d.namespace === ref.namespace && d.name === ref.deployment);
      }
      return spec.deployments.filter(
        (d) =>
          (ref.namespace === undefined || d.namespace === ref.namespace) && ref.name.startsWith(`${d.name}-`),
      );
    }
    return [...spec.deployments];
  };
  const replaced = (at: number, deployments: readonly DeploymentSpec[]) => {
    for (const d of deployments) see(at + REPLACEMENT_DELAY_MS + d.readyAfterMs);
  };
  for (const { at, change } of timeline) {
    see(at);
    switch (change.type) {
      case "watchGap":
        see(change.until);
        break;
      case "pod": {
        const action = change.action;
        if (action.type === "setReady") {
          if (action.revertAfterMs !== undefined) see(at + action.revertAfterMs);
          break;
        }
        if (action.type === "terminate") see(at + action.graceMs);
        replaced(at, owners(change.target));
        break;
      }
      case "rollingUpdate": {
        const d = spec.deployments.find((x) => key(x) === change.deployment);
        if (d === undefined) break;
        const n = replicas.get(change.deployment) ?? 0;
        see(at + n * (d.readyAfterMs + REPLACEMENT_DELAY_MS) + d.terminationGraceMs);
        break;
      }
      case "scale": {
        const d = spec.deployments.find((x) => key(x) === change.deployment);
        if (d === undefined) break;
        const before = replicas.get(change.deployment) ?? 0;
        if (change.replicas > before) replaced(at, [d]);
        else if (change.replicas < before) see(at + d.terminationGraceMs);
        replicas.set(change.deployment, change.replicas);
        break;
      }
      case "drainNode": {
        const onNode = spec.deployments.filter((d) => d.nodes.includes(change.node));
        const grace =
          change.graceMs ??
          Math.max(MIN_DRAIN_GRACE_MS, BARE_POD_GRACE_MS, ...onNode.map((d) => d.terminationGraceMs));
        see(at + grace);
        replaced(at, onNode);
        break;
      }
      default:
        break;
    }
  }
  return last;
}
