/**
 * Client-observed failover through kube-proxy (issue 12 §5). Prints `name: value unit` lines;
 * asserts nothing about timing.
 *
 *   node packages/dataplane/bench/dataplane.bench.ts [--runs N] [--min-sync 0s,1s] [--interval MS]
 *        [--controller process|in-process]
 *
 * Starts its own control plane (tools/cluster/up.sh, torn down at the end, on errors and on
 * SIGINT) and runs zen-lead as users run it: `zen-lead run` in its own process with the image's
 * Node and allocator settings, Events and all (`--controller process`, the default; its write
 * traces read from its debug log), or in this script's process (`--controller in-process`: no
 * Events, and this script's watchers and probes share its event loop). For each kube-proxy min-sync period it starts a data-plane
 * node (real kube-proxy, nftables mode, kernel-default conntrack timeouts), and for each failure
 * kind — crash (SIGKILL, the kubelet reports NotReady), graceful delete (the pods keep serving
 * 3 s after SIGTERM, as with a pre-stop delay), delete with grace period 0 — a 3-replica Deployment
 * behind an opted-in Service. A client on the node opens a new connection to the leader Service's
 * ClusterIP every `--interval` ms the whole time. Each run waits for a quiet cluster (3 Ready
 * pods, the client reaching only the leader, then 2 s with no change, longer than the min-sync
 * period), fails the leader and records, on one clock (ms since the epoch):
 *
 * - client-observed failover: from the failure (the kill or the delete call) to the opening of the
 *   first connection the new leader answered;
 * - zen-lead's share: from the watcher seeing the pod change (NotReady, deletionTimestamp or
 *   DELETED) to the watcher seeing the leader slice name the new leader;
 * - who wrote first: whether the leader slice's change came before the source Service's slice
 *   change in the watcher's EndpointSlice stream (one watch, so in etcd order);
 * - what the client saw after the failure: answers from the deposed leader (how many, until when),
 *   errors, and answers from anyone but the new leader after the switch (misrouted).
 *
 * The floor, in the same run, on the same node: a selector-less Service whose one EndpointSlice
 * this script writes itself, switched between two pods, after the same quiet period — kube-proxy's
 * own latency for one slice change with no controller in between.
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
import { startController, type WriteResult } from "@zen-lead/k8s-adapter";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { BenchRun } from "@zen-lead/test-cluster/bench-run";
import { figures, quantile } from "@zen-lead/test-cluster/figures";
import { waitFor } from "@zen-lead/test-cluster/wait";
import { spawnZenLead } from "@zen-lead/test-cluster/zen-lead-process";
import { agreedLeader, deployApp, SERVICE_PORT } from "../src/app.ts";
import { type DataplaneNode, httpUrl, type Probe, type ProbeResult, startNode } from "../src/index.ts";

const values = benchArgs(
  "dataplane.bench.ts",
  "dataplane.bench.ts [--runs N] [--min-sync 0s,1s] [--interval MS] [--controller process|in-process]",
  {
    runs: { type: "string", default: "20" },
    "min-sync": { type: "string", default: "0s,1s" },
    interval: { type: "string", default: "10" },
    controller: { type: "string", default: "process" },
  },
  ["runs", "interval"],
  { controller: ["process", "in-process"] },
);
const RUNS = Number(values.runs);
const MIN_SYNCS = values["min-sync"].split(",");
const INTERVAL_MS = Number(values.interval);
const QUIET_MS = 2000;
const IN_PROCESS = values.controller === "in-process";
if (!(RUNS > 0) || !(INTERVAL_MS > 0) || MIN_SYNCS.some((m) => !/^\d+(ms|s)$/.test(m))) {
  process.stderr.write(
    "usage: dataplane.bench.ts [--runs N] [--min-sync 0s,1s] [--interval MS] [--controller process|in-process]\n",
  );
  process.exit(2);
}

const { log, print } = figures("dataplane");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

/** Polls every 50 ms (a benchmark's waits are short), for at most 60 s. */
const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) =>
  waitFor(what, check, { timeoutMs, intervalMs: 50 });

// ---- the watcher: pods and EndpointSlices of one namespace, in arrival order ---------------------

interface Seen {
  readonly at: number;
  readonly kind: "Pod" | "EndpointSlice";
  readonly type: string;
  readonly name: string;
  /** EndpointSlice: its Service; Pod: its name. */
  readonly service: string;
  /** EndpointSlice: the pods it names. Pod: whether it is Ready and not deleted. */
  readonly pods: readonly string[];
  readonly ready: boolean;
  readonly deleting: boolean;
}

class Watcher {
  readonly seen: Seen[] = [];
  private readonly aborts: AbortController[] = [];
  private failure: string | undefined;

  private readonly kc: KubeConfig;
  private readonly namespace: string;

  constructor(kc: KubeConfig, namespace: string) {
    this.kc = kc;
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    await this.follow(
      "EndpointSlice",
      `/apis/discovery.k8s.io/v1/namespaces/${this.namespace}/endpointslices`,
      (type, o) => {
        const slice = o as V1EndpointSlice;
        return {
          name: slice.metadata?.name ?? "",
          service: slice.metadata?.labels?.["kubernetes.io/service-name"] ?? "",
          pods: type === "DELETED" ? [] : (slice.endpoints ?? []).map((e) => e.targetRef?.name ?? ""),
          ready: false,
          deleting: false,
        };
      },
    );
    await this.follow("Pod", `/api/v1/namespaces/${this.namespace}/pods`, (type, o) => {
      const pod = o as V1Pod;
      return {
        name: pod.metadata?.name ?? "",
        service: "",
        pods: [],
        ready: pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true,
        deleting: type === "DELETED" || (pod.metadata?.deletionTimestamp ?? undefined) !== undefined,
      };
    });
  }

  /**
   * One watch, resumed from its last resourceVersion whenever it ends (the client ends a watch
   * after 30 s without data; bookmarks keep the version fresh). Anything else is a failure.
   */
  private async follow(
    kind: Seen["kind"],
    path: string,
    view: (type: string, object: unknown) => Omit<Seen, "at" | "kind" | "type">,
    resourceVersion?: string,
  ): Promise<void> {
    let last = resourceVersion;
    const abort = await new Watch(this.kc).watch(
      path,
      { allowWatchBookmarks: true, ...(last !== undefined ? { resourceVersion: last } : {}) },
      (type: string, object: { metadata?: { resourceVersion?: string } }) => {
        last = object.metadata?.resourceVersion ?? last;
        if (type === "ERROR") this.failure ??= `the ${kind} watch failed: ${JSON.stringify(object)}`;
        else if (type !== "BOOKMARK") this.seen.push({ at: now(), kind, type, ...view(type, object) });
      },
      (error: unknown) => {
        if (this.failure !== undefined) return;
        if ((error as { statusCode?: number } | null)?.statusCode === 410 || last === undefined) {
          this.failure = `the ${kind} watch ended: ${String(error ?? "closed")}`;
          return;
        }
        this.follow(kind, path, view, last).catch((e: unknown) => {
          this.failure ??= `the ${kind} watch could not resume: ${String(e)}`;
        });
      },
    );
    this.aborts.push(abort);
  }

  check(): void {
    if (this.failure !== undefined) throw new Error(this.failure);
  }

  stop(): void {
    this.failure ??= "stopped";
    for (const a of this.aborts) a.abort();
  }
}

// ---- zen-lead's own view: each leader slice write's trace, on the epoch clock ----------------------

interface SliceWrite {
  readonly namespace: string;
  /** The source Service the leader slice serves. */
  readonly source: string;
  /** The pod event that caused it reached zen-lead (NaN when not caused by a watch event). */
  readonly receivedAt: number;
  /** Its request started, and was answered. */
  readonly sentAt: number;
  readonly answeredAt: number;
}
/** zen-lead's leader slice writes so far (set when zen-lead starts). */
let sliceWrites: () => readonly SliceWrite[] = () => [];

/** A leader slice write from `zen-lead run`'s debug log line for it (its trace in epoch ms). */
function sliceWriteOf(line: Record<string, unknown>): SliceWrite[] {
  const trace = line.trace as Record<string, number> | undefined;
  if (line.kind !== "EndpointSlice" || trace?.answeredAt === undefined) return [];
  return [
    {
      namespace: String(line.namespace),
      source: String(line.service),
      receivedAt: trace.receivedAt ?? Number.NaN,
      sentAt: trace.sentAt ?? Number.NaN,
      answeredAt: trace.answeredAt,
    },
  ];
}
const epoch = (t: number | undefined) => (t === undefined ? Number.NaN : performance.timeOrigin + t);

// ---- one kind of failure, many runs ----------------------------------------------------------

type Kind = "crash" | "graceful" | "grace0";
const KINDS: readonly Kind[] = ["crash", "graceful", "grace0"];

interface Sample {
  readonly clientMs: number;
  readonly zenLeadMs: number;
  /** Pod change seen by this script's watch -> the built-in controller's source slice seen. */
  readonly builtinMs: number;
  /** Pod change seen by this script's watch -> the same event reached zen-lead (< 0: it came first). */
  readonly receivedMs: number;
  /** zen-lead's reaction: pod event received -> slice write sent. */
  readonly reactionMs: number;
  /** That slice write's round trip in zen-lead's applier. */
  readonly writeMs: number;
  readonly zenLeadFirst: boolean;
  readonly oldLeaderAnswers: number;
  /** From the failure to the last connection the deposed leader answered (0 if none). */
  readonly oldLeaderUntilMs: number;
  readonly errors: number;
  readonly misrouted: number;
}

interface Phase {
  readonly kc: KubeConfig;
  readonly node: DataplaneNode;
  readonly namespace: string;
  readonly watcher: Watcher;
}

async function readyPods(p: Phase, name: string): Promise<V1Pod[]> {
  const list = await p.kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: p.namespace, labelSelector: `app=${name}` });
  return list.items.filter(
    (pod) =>
      pod.metadata?.deletionTimestamp === undefined &&
      pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true,
  );
}

/** Waits for a quiet, settled app: 3 Ready pods, the client reaching only the leader, then QUIET_MS. */
async function settle(p: Phase, name: string, probe: Probe): Promise<string> {
  const leader = await until(`${name}: 3 Ready pods and an agreed leader`, async () => {
    p.watcher.check();
    if ((await readyPods(p, name)).length !== 3) return undefined;
    return agreedLeader(p.kc, p.namespace, name);
  });
  const from = probe.results.length;
  await probe.until(`${name}: ${leader} to answer`, (r) => r.answer === leader, 60_000, from);
  await probe.more(20);
  await sleep(QUIET_MS);
  return leader;
}

async function failOnce(p: Phase, kind: Kind, probe: Probe): Promise<Sample> {
  const core = p.kc.makeApiClient(CoreV1Api);
  const oldLeader = await settle(p, kind, probe);
  const seenFrom = p.watcher.seen.length;
  const failedAt = now();
  if (kind === "crash") await p.node.crash(p.namespace, oldLeader);
  else
    await core.deleteNamespacedPod({
      namespace: p.namespace,
      name: oldLeader,
      ...(kind === "grace0" ? { gracePeriodSeconds: 0 } : {}),
    });

  const switched = await probe.until(
    `${kind}: another pod to answer`,
    (r) => r.at > failedAt && r.answer !== null && r.answer !== oldLeader,
  );
  const newLeader = switched.answer as string;
  await probe.more(50);
  const seen = await until(`${kind}: the watcher to see the leader slice change`, () => {
    const events = p.watcher.seen.slice(seenFrom);
    const podChange = events.find(
      (e) => e.kind === "Pod" && e.name === oldLeader && (!e.ready || e.deleting),
    );
    const leaderSlice = events.find(
      (e) => e.kind === "EndpointSlice" && e.service === `${kind}-leader` && e.pods[0] === newLeader,
    );
    const sourceSlice = events.find((e) => e.kind === "EndpointSlice" && e.service === kind);
    return podChange && leaderSlice && sourceSlice ? { podChange, leaderSlice, sourceSlice } : undefined;
  });

  const write = sliceWrites().find(
    (w) => w.sentAt > failedAt && w.namespace === p.namespace && w.source === kind,
  );

  // What the client saw, by connection start: from the failure on.
  const after = [...probe.results].filter((r) => r.at >= failedAt).sort((a, b) => a.at - b.at);
  const first = after.find((r) => r.answer === newLeader) as ProbeResult;
  const old = after.filter((r) => r.answer === oldLeader);
  return {
    clientMs: first.at - failedAt,
    zenLeadMs: seen.leaderSlice.at - seen.podChange.at,
    builtinMs: seen.sourceSlice.at - seen.podChange.at,
    receivedMs: (write?.receivedAt ?? Number.NaN) - seen.podChange.at,
    reactionMs: (write?.sentAt ?? Number.NaN) - (write?.receivedAt ?? Number.NaN),
    writeMs: (write?.answeredAt ?? Number.NaN) - (write?.sentAt ?? Number.NaN),
    zenLeadFirst: p.watcher.seen.indexOf(seen.leaderSlice) < p.watcher.seen.indexOf(seen.sourceSlice),
    oldLeaderAnswers: old.length,
    oldLeaderUntilMs: old.length > 0 ? (old.at(-1) as ProbeResult).at - failedAt : 0,
    errors: after.filter((r) => r.answer === null && r.at < first.at).length,
    misrouted: after.filter((r) => r.at > first.at && r.answer !== newLeader).length,
  };
}

/** kube-proxy alone: a slice this script writes, switched between two pods. */
async function floor(p: Phase, probeFor: (url: string) => Probe): Promise<number[]> {
  const core = p.kc.makeApiClient(CoreV1Api);
  const discovery = p.kc.makeApiClient(DiscoveryV1Api);
  await deployApp(p.kc, p.node, p.namespace, "floor", { replicas: 2, service: false });
  const pods = await until("2 Ready floor pods", async () => {
    const ready = await readyPods(p, "floor");
    return ready.length === 2 ? ready : undefined;
  });
  const service = await core.createNamespacedService({
    namespace: p.namespace,
    body: {
      metadata: { name: "floor" },
      spec: { ports: [{ name: "http", port: SERVICE_PORT, targetPort: 8080 }] },
    },
  });
  const sliceFor = (pod: V1Pod): V1EndpointSlice => ({
    metadata: {
      name: "floor",
      labels: {
        "kubernetes.io/service-name": "floor",
        "endpointslice.kubernetes.io/managed-by": "bench.zen-lead.io",
      },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [
      {
        addresses: [pod.status?.podIP ?? ""],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", name: pod.metadata?.name ?? "", namespace: p.namespace },
      },
    ],
  });
  let current = await discovery.createNamespacedEndpointSlice({
    namespace: p.namespace,
    body: sliceFor(pods[0] as V1Pod),
  });
  const probe = probeFor(httpUrl(service.spec?.clusterIP ?? "", SERVICE_PORT));
  const samples: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const from = pods[i % 2] as V1Pod;
      const to = pods[(i + 1) % 2] as V1Pod;
      await probe.until(
        "the floor pod to answer",
        (r) => r.answer === from.metadata?.name,
        60_000,
        probe.results.length,
      );
      await sleep(QUIET_MS);
      const at = now();
      const body = sliceFor(to);
      body.metadata = { ...body.metadata, resourceVersion: current.metadata?.resourceVersion ?? "" };
      current = await discovery.replaceNamespacedEndpointSlice({
        namespace: p.namespace,
        name: "floor",
        body,
      });
      const seen = await probe.until(
        "the other floor pod to answer",
        (r) => r.at > at && r.answer === to.metadata?.name,
      );
      samples.push(seen.at - at);
    }
  } finally {
    await probe.stop();
  }
  return samples;
}

function report(prefix: string, samples: readonly Sample[]) {
  const field = (f: (s: Sample) => number) => samples.map(f);
  const pct = (xs: readonly number[], name: string, unit = "ms") => {
    print(`${prefix} ${name} p50`, quantile(xs, 0.5), unit);
    print(`${prefix} ${name} p99`, quantile(xs, 0.99), unit);
  };
  pct(
    field((s) => s.clientMs),
    "client-observed failover",
  );
  pct(
    field((s) => s.zenLeadMs),
    "zen-lead share (pod change seen -> leader slice seen)",
  );
  pct(
    field((s) => s.builtinMs),
    "built-in controller (pod change seen -> source Service's slice seen)",
  );
  pct(
    field((s) => s.receivedMs),
    "zen-lead share, part 1: the pod event reached zen-lead (from this script seeing it; < 0: zen-lead's came first)",
  );
  pct(
    field((s) => s.reactionMs),
    "zen-lead share, part 2: zen-lead's reaction (event received -> slice write sent)",
  );
  pct(
    field((s) => s.writeMs),
    "zen-lead share, part 3: the slice write's round trip in zen-lead's applier",
  );
  print(
    `${prefix} zen-lead wrote before the source Service's slice`,
    `${samples.filter((s) => s.zenLeadFirst).length}/${samples.length}`,
    "runs",
  );
  print(
    `${prefix} deposed leader answers after the failure, mean`,
    field((s) => s.oldLeaderAnswers).reduce((a, b) => a + b, 0) / samples.length,
    "connections",
  );
  print(`${prefix} deposed leader answered until, max`, Math.max(...field((s) => s.oldLeaderUntilMs)), "ms");
  print(
    `${prefix} failed connections before the switch, mean`,
    field((s) => s.errors).reduce((a, b) => a + b, 0) / samples.length,
    "connections",
  );
  print(
    `${prefix} misrouted after the switch (total)`,
    field((s) => s.misrouted).reduce((a, b) => a + b, 0),
    "connections",
  );
}

// ---- main ------------------------------------------------------------------------------------

const bench = new BenchRun(log);

/** zen-lead, watching `namespaces`, in its own process or in this one (`--controller`). */
async function startZenLead(kubeconfig: string, kc: KubeConfig, namespaces: readonly string[]) {
  if (IN_PROCESS) {
    const writes: SliceWrite[] = [];
    const controller = startController({
      kc,
      namespaces,
      onWriteResult: ({ action, trace }: WriteResult) => {
        if (action.type !== "apply" || action.desired.kind !== "EndpointSlice" || trace === undefined) return;
        writes.push({
          namespace: action.namespace,
          source: action.source.slice(action.source.indexOf("/") + 1),
          receivedAt: epoch(trace.receivedAt),
          sentAt: epoch(trace.sentAt),
          answeredAt: epoch(trace.answeredAt),
        });
      },
    });
    bench.defer(() => controller.stop());
    sliceWrites = () => writes;
    return;
  }
  const args = [...namespaces.flatMap((n) => ["--namespace", n]), "--lease-namespace", "default"];
  const zenLead = await spawnZenLead({ kubeconfig, image: true, args: [...args, "--log-level", "debug"] });
  bench.defer(() => zenLead.stop());
  await zenLead.until("/readyz");
  sliceWrites = () => zenLead.logLines().flatMap(sliceWriteOf);
}

async function main() {
  const started = now();
  const up = await bench.cluster();
  const kc = new KubeConfig();
  kc.loadFromFile(up.state.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = MIN_SYNCS.map((m) => `bench-dp-${m}`);
  await startZenLead(up.state.kubeconfig, kc, namespaces);
  print("zen-lead", IN_PROCESS ? "in this process" : "zen-lead run, own process, the image's settings");
  print("runs per kind and min-sync period", RUNS);
  print("client interval", INTERVAL_MS, "ms");

  for (const [i, minSyncPeriod] of MIN_SYNCS.entries()) {
    const namespace = namespaces[i] as string;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const node = await startNode({ kc, minSyncPeriod, log });
    const watcher = new Watcher(kc, namespace);
    await watcher.start();
    const stopPhase = bench.defer(async () => {
      watcher.stop();
      await node.stop();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    });
    const p: Phase = { kc, node, namespace, watcher };
    const probeFor = (url: string) => node.probe([url], { intervalMs: INTERVAL_MS });

    log(`min-sync ${minSyncPeriod}: kube-proxy floor, ${RUNS} slice switches`);
    const floorMs = await floor(p, probeFor);
    print(
      `min-sync ${minSyncPeriod} kube-proxy floor (one slice write -> client) p50`,
      quantile(floorMs, 0.5),
      "ms",
    );
    print(
      `min-sync ${minSyncPeriod} kube-proxy floor (one slice write -> client) p99`,
      quantile(floorMs, 0.99),
      "ms",
    );

    for (const kind of KINDS) {
      log(`min-sync ${minSyncPeriod}: ${kind}, ${RUNS} runs`);
      await deployApp(kc, node, namespace, kind, kind === "graceful" ? { env: { DRAIN_MS: "3000" } } : {});
      const leaderIp = await until(`${kind}-leader's ClusterIP`, async () => {
        const svc = await core
          .readNamespacedService({ namespace, name: `${kind}-leader` })
          .catch(() => undefined);
        return svc?.spec?.clusterIP;
      });
      const probe = probeFor(httpUrl(leaderIp, SERVICE_PORT));
      const samples: Sample[] = [];
      try {
        for (let run = 0; run < RUNS; run++) samples.push(await failOnce(p, kind, probe));
      } finally {
        await probe.stop();
      }
      report(`min-sync ${minSyncPeriod} ${kind}:`, samples);
      const floorP50 = quantile(floorMs, 0.5);
      print(
        `min-sync ${minSyncPeriod} ${kind}: ratio client-observed p50 / floor p50`,
        quantile(
          samples.map((s) => s.clientMs),
          0.5,
        ) / floorP50,
      );
    }
    const failures = node.failures();
    if (failures.length > 0) log(`node problems: ${failures.join("; ")}`);
    await stopPhase();
  }
  print("total runtime", (now() - started) / 1000, "s");
}

bench.run(main);
