/**
 * The mutable reference fold the core's fold is measured against (bench only, never shipped): the
 * same decisions on the benchmark's event stream, made the way a hand-written controller with a
 * mutable cache would make them — native Maps, keys interned once (pods by namespace then name, each
 * pod remembering its Services), state mutated in place, and only the work the stream needs.
 *
 * Scope: the benchmark's cluster only — opted-in Services with the default configuration (sticky,
 * no min-ready, no preferred leader, the default leader Service name), pods that come and go and
 * flap readiness, and the echoes of its own writes. Per Service it keeps what the core's decisions
 * say and the shell reads: the leader and the number of candidates (status, metrics), the latter
 * counted as pods change. The content of the writes comes from the core's pure leaf functions
 * (`desiredObjects`, `plan`), so "the same writes" compares the folds, not two manifest builders.
 * The benchmark checks that both make the same writes and end with the same leader and candidate
 * count for every Service.
 */
import {
  type Action,
  type ClusterEvent,
  compareCandidates,
  type Decoded,
  defaultLeaderServiceName,
  desiredObjects,
  disqualification,
  type EndpointSliceView,
  isCandidate,
  isFailure,
  LABELS,
  type LeaderReason,
  type LeaderRecord,
  type OwnedView,
  objectKey,
  type PodView,
  plan,
  type ServiceView,
} from "../src/index.ts";

interface Source {
  readonly key: string;
  readonly service: ServiceView;
  readonly selector: Readonly<Record<string, string>>;
  readonly leaderServiceName: string;
  /** Member pods by name. */
  readonly members: Map<string, PodView>;
  leader: LeaderRecord | undefined;
  /** How many members are candidates. */
  candidates: number;
  /** zen-lead's objects for this source, by `Kind/name`. */
  readonly observed: Map<string, OwnedView>;
}

interface Pod {
  view: PodView;
  /** The sources whose selector the pod's labels match. */
  sources: Source[];
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const key in a) {
    if (a[key] !== b[key]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

function matchesSelector(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
) {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** Puts a member in (or, undefined, takes it out), keeping the count of candidates. */
function setMember(source: Source, name: string, view: PodView | undefined): void {
  const old = source.members.get(name);
  if (old !== undefined && isCandidate(old)) source.candidates--;
  if (view === undefined) source.members.delete(name);
  else {
    source.members.set(name, view);
    if (isCandidate(view)) source.candidates++;
  }
}

export class ReferenceFold {
  readonly #sources = new Map<string, Source>();
  /** namespace -> `key=value` of a selector pair -> sources indexed under it. */
  readonly #selectorIndex = new Map<string, Map<string, Source[]>>();
  /** namespace -> name -> pod. */
  readonly #pods = new Map<string, Map<string, Pod>>();
  readonly #now: number;
  /** Every write asked for, in order (for the benchmark's comparison). */
  readonly writes: Action[] = [];

  constructor(now: number) {
    this.#now = now;
  }

  /** The leader (pod uid) and the number of candidates of every source, by `namespace/name`. */
  decisions(): Map<string, { leader: string | undefined; candidates: number }> {
    const out = new Map<string, { leader: string | undefined; candidates: number }>();
    for (const [key, source] of this.#sources) {
      out.set(key, { leader: source.leader?.podUid, candidates: source.candidates });
    }
    return out;
  }

  /** The initial lists, then the first decision for every source (its writes are recorded). */
  load(services: readonly Decoded[], pods: readonly Decoded[]): void {
    for (const s of services) {
      if (isFailure(s) || s.kind !== "Service" || s.selector === undefined) continue;
      const source: Source = {
        key: objectKey(s.namespace, s.name),
        service: s,
        selector: s.selector,
        leaderServiceName: defaultLeaderServiceName(s.name),
        members: new Map(),
        leader: undefined,
        candidates: 0,
        observed: new Map(),
      };
      this.#sources.set(source.key, source);
      let byPair = this.#selectorIndex.get(s.namespace);
      if (byPair === undefined) {
        byPair = new Map();
        this.#selectorIndex.set(s.namespace, byPair);
      }
      const first = Object.keys(s.selector).sort()[0] as string;
      const pair = `${first}=${s.selector[first]}`;
      const list = byPair.get(pair);
      if (list === undefined) byPair.set(pair, [source]);
      else list.push(source);
    }
    for (const p of pods) if (!isFailure(p) && p.kind === "Pod") this.#putPod(p, false);
    for (const source of this.#sources.values()) this.#decide(source);
  }

  /** Folds one event; writes go to `writes`. */
  fold(event: ClusterEvent): void {
    if (event.type === "upsert") {
      const o = event.object;
      if (isFailure(o)) return;
      if (o.kind === "Pod") this.#putPod(o, true);
      else if (o.kind === "Service" || o.kind === "EndpointSlice") this.#observe(o);
    } else if (event.type === "delete") {
      if (event.kind === "Pod") this.#deletePod(event.namespace, event.name);
      else {
        for (const source of this.#sources.values()) source.observed.delete(`${event.kind}/${event.name}`);
      }
    }
  }

  #putPod(view: PodView, decide: boolean): void {
    let byName = this.#pods.get(view.namespace);
    if (byName === undefined) {
      byName = new Map();
      this.#pods.set(view.namespace, byName);
    }
    const pod = byName.get(view.name);
    let sources: Source[];
    if (pod !== undefined && sameLabels(pod.view.labels, view.labels)) {
      pod.view = view;
      sources = pod.sources;
    } else {
      const old = pod?.sources ?? [];
      sources = this.#route(view);
      if (pod === undefined) byName.set(view.name, { view, sources });
      else {
        pod.view = view;
        pod.sources = sources;
      }
      for (const source of old) {
        if (sources.includes(source)) continue;
        setMember(source, view.name, undefined);
        if (decide) this.#decide(source, view.name);
      }
    }
    for (const source of sources) {
      setMember(source, view.name, view);
      if (decide) this.#decide(source, view.name);
    }
  }

  #deletePod(namespace: string, name: string): void {
    const byName = this.#pods.get(namespace);
    const pod = byName?.get(name);
    if (byName === undefined || pod === undefined) return;
    byName.delete(name);
    for (const source of pod.sources) {
      setMember(source, name, undefined);
      this.#decide(source, name);
    }
  }

  #route(view: PodView): Source[] {
    const byPair = this.#selectorIndex.get(view.namespace);
    const out: Source[] = [];
    if (byPair === undefined) return out;
    for (const label in view.labels) {
      const sources = byPair.get(`${label}=${view.labels[label]}`);
      if (sources === undefined) continue;
      for (const source of sources) {
        if (!out.includes(source) && matchesSelector(source.selector, view.labels)) out.push(source);
      }
    }
    return out;
  }

  /** An echo of one of its own writes: remembered as observed. */
  #observe(view: ServiceView | EndpointSliceView): void {
    const served = view.labels[LABELS.sourceService];
    if (served === undefined) return;
    const source = this.#sources.get(objectKey(view.namespace, served));
    if (source === undefined) return;
    source.observed.set(`${view.kind}/${view.name}`, view);
    // Its slice observed, the leader Service not yet created: the core creates it now (plan.ts).
    if (view.kind === "EndpointSlice" && !source.observed.has(`Service/${source.leaderServiceName}`)) {
      const leader = source.leader;
      this.#publish(source, leader === undefined ? undefined : source.members.get(leader.podName));
    }
  }

  /**
   * Sticky election: the leader stays while it is a candidate, so a change to any other pod
   * changes nothing once there is a leader. Otherwise the earliest created candidate leads.
   */
  #decide(source: Source, changed?: string): void {
    const current = source.leader;
    if (current !== undefined && changed !== undefined && changed !== current.podName) return;
    let lost: LeaderReason | undefined;
    if (current !== undefined) {
      const pod = source.members.get(current.podName);
      lost = pod === undefined || pod.uid !== current.podUid ? "LeaderDeleted" : disqualification(pod);
      if (lost === undefined) return;
    }
    let best: PodView | undefined;
    for (const pod of source.members.values()) {
      if (isCandidate(pod) && (best === undefined || compareCandidates(pod, best) < 0)) best = pod;
    }
    const leader: LeaderRecord | undefined =
      best === undefined
        ? undefined
        : { podName: best.name, podUid: best.uid, since: this.#now, reason: lost ?? "Elected" };
    source.leader = leader;
    this.#publish(source, best);
  }

  /** The writes that bring the source's objects to its leader (`leaderPod`: the leader's view). */
  #publish(source: Source, leaderPod: PodView | undefined): void {
    const desired = desiredObjects({
      source: source.service,
      leaderServiceName: source.leaderServiceName,
      leader: source.leader,
      leaderPod,
      leaderZone: undefined,
    });
    for (const action of plan(desired.objects, [...source.observed.values()], source.key)) {
      this.writes.push(action);
    }
  }
}
