/**
 * The invariant watcher: an independent observer of what zen-lead promises, with its own watches
 * (client-node informers, restarted on every error) and none of zen-lead's code. It flags:
 *
 * - `multiple-endpoints`: a source whose leader slices name more than one pod — at once;
 * - `non-candidate-leader`: a leader endpoint on a pod that is not a candidate (gone, terminating,
 *   not Running, not Ready, no IP, no longer selected) for longer than the grace period;
 * - `foreign-write`: a write to an object zen-lead does not own — a `zen-lead` field manager on it,
 *   or any change to (or deletion of) a guarded object such as a same-named foreign Service;
 * - `missing-leader-service`: an opted-in source without its leader Service for longer than the
 *   grace period (unless a foreign object holds the name: then zen-lead must stay away).
 *
 * It also answers what the fault suite measures: who leads each source now, and whether everything
 * has converged (every source's slice names a candidate when there is one).
 *
 * zen-lead's objects are recognised by their labels, as the docs define them: a leader Service has
 * `app.kubernetes.io/managed-by: zen-lead`, a leader slice `endpointslice.kubernetes.io/managed-by:
 * controller.zen-lead.io`, both with `zen-lead.io/source-service`.
 */
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  type V1EndpointSlice,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";

export type ViolationKind =
  | "multiple-endpoints"
  | "non-candidate-leader"
  | "foreign-write"
  | "missing-leader-service";

export interface Violation {
  readonly kind: ViolationKind;
  /** `namespace/name` of the source Service or object concerned. */
  readonly subject: string;
  readonly detail: string;
  /** performance.now() when it was flagged. */
  readonly at: number;
}

export interface InvariantWatcherOptions {
  readonly kc: KubeConfig;
  /** Only namespaces whose name starts with this are checked. */
  readonly namespacePrefix: string;
  /** How long a leader may stay on a non-candidate, or a source go without its leader Service. */
  readonly graceMs: number;
}

export interface InvariantWatcher {
  /** Every violation flagged so far (each condition once per episode). */
  readonly violations: readonly Violation[];
  /** Guard an object zen-lead must never write (`Service` or `EndpointSlice`, `namespace/name`). */
  guard(kind: "Service" | "EndpointSlice", key: string): void;
  /** The pod the source's leader slice names now (undefined: none, or not seen). */
  leaderOf(source: string): string | undefined;
  /** When (performance.now()) the source's leader last changed to its current value. */
  leaderSince(source: string): number;
  /** Every opted-in source (`namespace/name`) seen. */
  sources(): string[];
  /**
   * Every source (not held off by a foreign name) has its leader Service and a leader slice naming
   * a candidate — or no endpoint when it has no candidate. With reasons when not.
   */
  converged(): { readonly ok: boolean; readonly problems: readonly string[] };
  /** `converged()` from fresh lists of the API server instead of the watches' view. */
  convergedNow(): Promise<{ readonly ok: boolean; readonly problems: readonly string[] }>;
  stop(): Promise<void>;
}

const ENABLED = "zen-lead.io/enabled";
const LEADER_NAME = "zen-lead.io/leader-service-name";
const SOURCE_LABEL = "zen-lead.io/source-service";
const SERVICE_OWNED = ["app.kubernetes.io/managed-by", "zen-lead"] as const;
const SLICE_OWNED = ["endpointslice.kubernetes.io/managed-by", "controller.zen-lead.io"] as const;
const FIELD_MANAGER = "zen-lead";

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

function owned(o: KubernetesObject, [label, value]: readonly [string, string]): boolean {
  const labels = o.metadata?.labels ?? {};
  return labels[label] === value && (labels[SOURCE_LABEL] ?? "") !== "";
}

function candidate(pod: V1Pod | undefined, selector: Record<string, string>): boolean {
  if (pod === undefined || pod.metadata?.deletionTimestamp !== undefined) return false;
  if (pod.status?.phase !== "Running" || (pod.status.podIP ?? "") === "") return false;
  if (!pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function writtenByZenLead(o: KubernetesObject): boolean {
  return (o.metadata?.managedFields ?? []).some((f) => f.manager === FIELD_MANAGER);
}

/**
 * The objects the watcher keeps, by `namespace/name`, indexed so that a check costs what it looks
 * at: zen-lead's slices by source, pods by label.
 */
class View {
  readonly services = new Map<string, V1Service>();
  readonly pods = new Map<string, V1Pod>();
  readonly slices = new Map<string, V1EndpointSlice>();
  private readonly slicesBySource = new Map<string, Set<string>>();
  private readonly podsByLabel = new Map<string, Set<string>>();

  put(kind: "Service" | "Pod" | "EndpointSlice", o: KubernetesObject): void {
    this.remove(kind, keyOf(o));
    const key = keyOf(o);
    if (kind === "Service") this.services.set(key, o as V1Service);
    else if (kind === "Pod") {
      this.pods.set(key, o as V1Pod);
      for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
        this.index(this.podsByLabel, `${o.metadata?.namespace}/${k}=${v}`).add(key);
      }
    } else {
      this.slices.set(key, o as V1EndpointSlice);
      const source = sourceOfSlice(o);
      if (source !== undefined) this.index(this.slicesBySource, source).add(key);
    }
  }

  remove(kind: "Service" | "Pod" | "EndpointSlice", key: string): void {
    if (kind === "Service") this.services.delete(key);
    else if (kind === "Pod") {
      const pod = this.pods.get(key);
      this.pods.delete(key);
      for (const [k, v] of Object.entries(pod?.metadata?.labels ?? {})) {
        this.podsByLabel.get(`${pod?.metadata?.namespace}/${k}=${v}`)?.delete(key);
      }
    } else {
      const slice = this.slices.get(key);
      this.slices.delete(key);
      const source = slice === undefined ? undefined : sourceOfSlice(slice);
      if (source !== undefined) this.slicesBySource.get(source)?.delete(key);
    }
  }

  /** The pods (or bare addresses) the source's leader slices name. */
  leadersOf(source: string): string[] {
    const out = new Set<string>();
    for (const key of this.slicesBySource.get(source) ?? []) {
      for (const e of this.slices.get(key)?.endpoints ?? []) {
        out.add(e.targetRef?.name ?? `address ${e.addresses?.[0]}`);
      }
    }
    return [...out];
  }

  /** Some pod the Service selects is a candidate. */
  anyCandidate(svc: V1Service): boolean {
    const selector = svc.spec?.selector ?? {};
    const [first] = Object.entries(selector);
    if (first === undefined) return false;
    for (const key of this.podsByLabel.get(`${svc.metadata?.namespace}/${first[0]}=${first[1]}`) ?? []) {
      if (candidate(this.pods.get(key), selector)) return true;
    }
    return false;
  }

  private index(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    return set;
  }
}

/** The source (`namespace/name`) a slice of zen-lead's serves, or undefined for any other slice. */
function sourceOfSlice(o: KubernetesObject): string | undefined {
  if (!owned(o, SLICE_OWNED)) return undefined;
  return `${o.metadata?.namespace}/${o.metadata?.labels?.[SOURCE_LABEL]}`;
}

/** The leader Service name of an opted-in source. */
const leaderName = (svc: V1Service) =>
  svc.metadata?.annotations?.[LEADER_NAME] ?? `${svc.metadata?.name ?? ""}-leader`;
const optedIn = (svc: V1Service) =>
  svc.metadata?.annotations?.[ENABLED] === "true" && !owned(svc, SERVICE_OWNED);
/** A foreign Service holds the source's leader name: zen-lead must not touch it. */
function heldOff(view: View, svc: V1Service): boolean {
  const other = view.services.get(`${svc.metadata?.namespace}/${leaderName(svc)}`);
  return other !== undefined && !owned(other, SERVICE_OWNED);
}

/** Every source not held off has its leader Service and one endpoint on a candidate, if any exists. */
function convergence(view: View): { readonly ok: boolean; readonly problems: readonly string[] } {
  const problems: string[] = [];
  for (const svc of view.services.values()) {
    if (!optedIn(svc) || heldOff(view, svc)) continue;
    const source = keyOf(svc);
    if (!view.services.has(`${svc.metadata?.namespace}/${leaderName(svc)}`)) {
      problems.push(`${source}: no leader Service`);
      continue;
    }
    const names = view.leadersOf(source);
    const pod = names[0];
    if (names.length > 1) problems.push(`${source}: ${names.length} endpoints`);
    else if (pod === undefined && view.anyCandidate(svc)) problems.push(`${source}: no leader`);
    else if (
      pod !== undefined &&
      !candidate(view.pods.get(`${svc.metadata?.namespace}/${pod}`), svc.spec?.selector ?? {})
    ) {
      problems.push(`${source}: leader ${pod} is not a candidate`);
    }
  }
  return { ok: problems.length === 0, problems };
}

export function startInvariantWatcher(options: InvariantWatcherOptions): InvariantWatcher {
  const { kc, namespacePrefix, graceMs } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const view = new View();
  const guarded = new Map<string, string | undefined>(); // kind:key -> resourceVersion
  const violations: Violation[] = [];
  /** Open episodes: condition key -> since (performance.now()); flagged ones are remembered. */
  const since = new Map<string, number>();
  const flagged = new Set<string>();
  const leaders = new Map<string, { pod: string | undefined; since: number }>();
  let stopped = false;

  const flag = (kind: ViolationKind, subject: string, detail: string, episode = `${kind}:${subject}`) => {
    if (flagged.has(episode)) return;
    flagged.add(episode);
    violations.push({ kind, subject, detail, at: performance.now() });
  };
  const inScope = (o: KubernetesObject) => (o.metadata?.namespace ?? "").startsWith(namespacePrefix);
  const episode = (key: string, now: number) => {
    if (!since.has(key)) since.set(key, now);
    return now - (since.get(key) ?? now);
  };

  /** On every slice event: who leads the source now, and never two at once. */
  const updateLeader = (source: string) => {
    const now = performance.now();
    const names = view.leadersOf(source);
    const pod = names[0];
    if (leaders.get(source)?.pod !== pod) leaders.set(source, { pod, since: now });
    if (names.length > 1) {
      const key = `multi:${source}`;
      episode(key, now);
      flag("multiple-endpoints", source, `leader slices name ${names.join(", ")}`, key);
    }
  };

  /** Four times a second: the conditions that are violations only once they outlast the grace. */
  const check = () => {
    const now = performance.now();
    const open = new Set<string>();
    for (const svc of view.services.values()) {
      if (!optedIn(svc)) continue;
      const source = keyOf(svc);
      const names = view.leadersOf(source);
      const pod = names[0];
      if (names.length > 1) open.add(`multi:${source}`);
      if (pod !== undefined) {
        const selector = svc.spec?.selector ?? {};
        if (!candidate(view.pods.get(`${svc.metadata?.namespace}/${pod}`), selector)) {
          const key = `leader:${source}:${pod}`;
          open.add(key);
          if (episode(key, now) > graceMs) {
            flag("non-candidate-leader", source, `leader ${pod} is not a candidate for > ${graceMs} ms`, key);
          }
        }
      }
      if (!heldOff(view, svc)) {
        const leaderSvc = view.services.get(`${svc.metadata?.namespace}/${leaderName(svc)}`);
        if (leaderSvc === undefined) {
          const key = `missing:${source}`;
          open.add(key);
          if (episode(key, now) > graceMs) {
            flag("missing-leader-service", source, `no ${leaderName(svc)} for > ${graceMs} ms`, key);
          }
        }
      }
    }
    for (const key of since.keys()) {
      if (!open.has(key)) {
        since.delete(key);
        flagged.delete(key); // a later episode of the same condition is a new violation
      }
    }
  };

  const observe = (kind: "Service" | "Pod" | "EndpointSlice", o: KubernetesObject, deleted: boolean) => {
    if (!inScope(o)) return;
    const key = keyOf(o);
    const guardKey = `${kind}:${key}`;
    if (guarded.has(guardKey)) {
      const rv = guarded.get(guardKey);
      if (deleted) flag("foreign-write", key, `guarded ${kind} ${key} was deleted`);
      else if (rv !== undefined && o.metadata?.resourceVersion !== rv) {
        flag(
          "foreign-write",
          key,
          `guarded ${kind} ${key} changed (resourceVersion ${rv} -> ${o.metadata?.resourceVersion})`,
        );
      }
    }
    const mine =
      kind === "Service" ? owned(o, SERVICE_OWNED) : kind === "EndpointSlice" && owned(o, SLICE_OWNED);
    if (!deleted && !mine && writtenByZenLead(o)) {
      flag(
        "foreign-write",
        key,
        `${kind} ${key} that zen-lead does not own has a ${FIELD_MANAGER} field manager`,
      );
    }
    const before = kind === "EndpointSlice" ? view.slices.get(key) : undefined;
    if (deleted) view.remove(kind, key);
    else view.put(kind, o);
    if (kind === "EndpointSlice") {
      const sources = new Set([before, o].map((x) => (x === undefined ? undefined : sourceOfSlice(x))));
      for (const source of sources) if (source !== undefined) updateLeader(source);
    }
  };

  const informers = [
    { kind: "Service" as const, path: "/api/v1/services", list: () => core.listServiceForAllNamespaces() },
    { kind: "Pod" as const, path: "/api/v1/pods", list: () => core.listPodForAllNamespaces() },
    {
      kind: "EndpointSlice" as const,
      path: "/apis/discovery.k8s.io/v1/endpointslices",
      list: () => discovery.listEndpointSliceForAllNamespaces(),
    },
  ].map(({ kind, path, list }) => {
    const informer = makeInformer(kc, path, list as () => never);
    informer.on("add", (o) => observe(kind, o, false));
    informer.on("update", (o) => observe(kind, o, false));
    informer.on("delete", (o) => observe(kind, o, true));
    informer.on("error", () => {
      // Its own recovery, independent of zen-lead's: start over shortly, from the last version.
      setTimeout(() => {
        if (!stopped) void informer.start().catch(() => undefined);
      }, 200);
    });
    void informer.start().catch(() => undefined);
    return informer;
  });
  const ticker = setInterval(check, 250);

  return {
    violations,
    guard(kind, key) {
      const store: Map<string, KubernetesObject> = kind === "Service" ? view.services : view.slices;
      guarded.set(`${kind}:${key}`, store.get(key)?.metadata?.resourceVersion);
    },
    leaderOf: (source) => leaders.get(source)?.pod,
    leaderSince: (source) => leaders.get(source)?.since ?? 0,
    sources: () => [...view.services.values()].filter(optedIn).map(keyOf),
    converged: () => convergence(view),
    async convergedNow() {
      // Fresh lists, not the informers' view: the final word after a fault.
      const [svcs, podList, sliceList] = await Promise.all([
        core.listServiceForAllNamespaces(),
        core.listPodForAllNamespaces(),
        discovery.listEndpointSliceForAllNamespaces(),
      ]);
      const fresh = new View();
      for (const o of svcs.items.filter(inScope)) fresh.put("Service", o);
      for (const o of podList.items.filter(inScope)) fresh.put("Pod", o);
      for (const o of sliceList.items.filter(inScope)) fresh.put("EndpointSlice", o);
      return convergence(fresh);
    },
    async stop() {
      stopped = true;
      clearInterval(ticker);
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
