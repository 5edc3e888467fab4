/**
 * `./scripts/demo`: zen-lead's main job on the embedded control plane (tools/cluster). It brings
 * the cluster up, runs the controller in-process, applies the seed's first use case (a 3-replica
 * Deployment behind an annotated Service), shows who leads, deletes the leader pod and prints how
 * long the failover took as an independent watcher of the leader's EndpointSlice saw it. Where the
 * data-plane harness can run (@zen-lead/dataplane: a node with the real kube-proxy, pods as network
 * namespaces with real servers), the pods run there and a client on that node shows who answers
 * `my-controller-leader` before and after the failover; where it cannot, the demo says why and
 * runs without traffic.
 *
 * `runDemoOn(kc)` is the part that needs only a cluster (the integration test runs it on the
 * shared test cluster); `runDemo(args)` adds the flags and the cluster's life cycle.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { ANNOTATIONS } from "@zen-lead/core";
import type { DataplaneNode, Probe, ProbeResult } from "@zen-lead/dataplane";
import { type Controller, createEventRecorder, kubeEventSink, startController } from "@zen-lead/k8s-adapter";
import { sleep, waitFor } from "@zen-lead/test-cluster/wait";

/** A bad flag: main.ts prints its one line and exits 2. */
function usage(error: unknown): Error {
  const text = error instanceof Error ? error.message : String(error);
  return Object.assign(new Error(`demo: ${text.split("\n")[0]} (see ./scripts/demo --help)`), {
    name: "UsageError",
  });
}

/** `./scripts/demo --help`. */
export const DEMO_HELP = `usage: ./scripts/demo [--down | --keep]

zen-lead's main job, on the embedded control plane (tools/cluster: etcd, kube-apiserver,
controller-manager, scheduler and kwok's fake nodes, all on 127.0.0.1):
  1. brings the control plane up (the first run builds it from Go modules: ~12 min on 2 cores),
     and where it can, a data-plane node: the real kube-proxy, pods as network namespaces with
     real servers, a client on the node (otherwise it says why and runs without traffic)
  2. starts the controller in this process, watching the zen-lead-demo namespace
  3. applies the seed's first use case in zen-lead-demo (recreated if present): Deployment
     my-controller (3 replicas) and Service my-controller annotated zen-lead.io/enabled=true
  4. shows the leader (and who answers my-controller-leader), deletes the leader pod and prints
     how long the failover took, as seen by a separate watch on the my-controller-leader
     EndpointSlice and by the client, then the new leader
  5. moves the pods off the data-plane node (when the cluster stays up) while the controller
     still runs, and shows the leader it leaves: a live, Ready pod

  --keep    leave the cluster up at the end (the default): the kubeconfig path and the
            tools/cluster/down.sh command are printed. The controller stops when the demo exits.
  --down    tear this run's cluster down at the end (also on an error or Ctrl-C); a
            cluster an earlier run left up is stopped by the command that run printed

Exit 0 on success; 1 with one line giving the reason on failure; 2 on a bad flag.`;

const APP = "my-controller";
const PORT = 8080;
/** How long the demo's pods keep serving after SIGTERM (their pre-stop delay, so to speak). */
const DRAIN_MS = 2000;
const CLIENT_INTERVAL_MS = 10;
const LEADER = `${APP}-leader`;
const LABELS = { app: APP } as const;
const DEFAULT_NAMESPACE = "zen-lead-demo";

/** Where and how `runDemoOn` runs; every option has a default. */
export interface DemoOptions {
  /** Where the use case is applied (deleted first if present). Default zen-lead-demo. */
  readonly namespace?: string;
  /** Each line of output; default console.log. */
  readonly print?: (line: string) => void;
  /** How long to wait for each step. Default 60 s. */
  readonly timeoutMs?: number;
  /** Aborting stops the demo (it rejects with the abort reason). */
  readonly signal?: AbortSignal;
  /**
   * A data-plane node: the pods run there (keeping on serving 2 s after SIGTERM, as with a pre-stop
   * delay) and a client on it sends a new connection to the leader Service every 10 ms.
   */
  readonly traffic?: DataplaneNode;
  /**
   * With `traffic`, for a cluster that outlives the node: before the controller stops, move the
   * pods to kwok's nodes (a rollout) and wait until zen-lead's leader is one of them. Default
   * false (the caller tears the cluster down with the node).
   */
  readonly leaveNode?: boolean;
}

/** What a demo run showed (durations in ms, measured with `performance.now()`). */
export interface DemoResult {
  readonly namespace: string;
  readonly oldLeader: string;
  readonly newLeader: string;
  /**
   * zen-lead's failover: from the leader pod's deletion in the API (the delete call's answer or the
   * pod's watch event, whichever came first) to the watcher seeing the slice name another pod.
   */
  readonly failoverMs: number;
  /** With traffic: from the same deletion to the first connection the new leader answered. */
  readonly clientFailoverMs?: number;
  /** The leader the cluster is left with: a Ready pod that exists, named by slice and annotations. */
  readonly leftLeader: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function statusCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  const code = e.code ?? e.statusCode;
  return typeof code === "number" ? code : undefined;
}

function isReady(pod: V1Pod): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    pod.status?.phase === "Running" &&
    pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true &&
    (pod.status.podIP ?? "") !== ""
  );
}

interface SliceLeader {
  readonly pod: string;
  readonly address: string;
}

function sliceLeader(slice: V1EndpointSlice | undefined): SliceLeader | undefined {
  const endpoint = slice?.endpoints?.[0];
  const pod = endpoint?.targetRef?.name;
  return pod === undefined ? undefined : { pod, address: endpoint?.addresses[0] ?? "?" };
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

/** What every step of one demo run works with. */
interface DemoRun {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly print: (line: string) => void;
  /** How long each wait may take, ms. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly traffic: DataplaneNode | undefined;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
}

/** The leader as the leader slice and the leader Service's annotations agree on it. */
interface AgreedLeader extends SliceLeader {
  /** The `leader-since` annotation. */
  readonly since: string;
}

/**
 * The demo's core steps on an existing cluster: (re)create the namespace, run the controller
 * in-process, apply the use case, show the leader, delete it, time the failover, show the new
 * leader; then (`leaveNode`) move the pods off the data-plane node, and wait until the leader is
 * a Ready pod that exists. The controller is stopped last, so the namespace and its objects are
 * left as a later `zen-lead run` keeps them.
 * Rejects with the first step that fails or times out (`timeoutMs` each, default 60 s), or with
 * the signal's reason.
 */
export async function runDemoOn(kc: KubeConfig, options: DemoOptions = {}): Promise<DemoResult> {
  const run: DemoRun = {
    kc,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    print: options.print ?? ((line: string) => console.log(line)),
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
    traffic: options.traffic,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
  const { namespace, print, traffic } = run;
  await recreateNamespace(run);
  // The Events `zen-lead run` records, so `kubectl get events` shows the demo's elections too.
  const recorder = createEventRecorder({ sink: kubeEventSink(kc), instance: "zen-lead-demo" });
  const controller: Controller = startController({
    kc,
    namespaces: [namespace],
    onEvent: (event) => {
      recorder.record(event);
      if (event.leaderChange !== undefined) print(`  [zen-lead] ${event.note}`);
    },
  });
  let watcher: LeaderWatcher | undefined;
  let probe: Probe | undefined;
  try {
    print(`\n2. zen-lead controller started in this process, watching namespace ${namespace}`);
    await applyUseCase(run);

    print(`\n4. who leads:`);
    const first = await agreedLeader(run, `zen-lead to pick a leader for ${APP}`, () => true);
    print(`   EndpointSlice of Service ${LEADER} -> ${first.pod} (${first.address})`);
    print(
      `   Service ${LEADER}: ${ANNOTATIONS.leaderPod}=${first.pod}, ${ANNOTATIONS.leaderSince}=${first.since}`,
    );
    if (traffic !== undefined) {
      probe = await startClient(run, traffic);
      await showClientsOf(run, probe, first.pod);
    }

    watcher = await watchLeaderMove(run, first.pod);
    const failover = await deleteLeader(run, first.pod, watcher);
    const clientFailoverMs =
      probe !== undefined && traffic !== undefined
        ? await showClientFailover(run, probe, traffic, first.pod, failover)
        : undefined;

    const next = await agreedLeader(
      run,
      `${LEADER}'s annotations to name the new leader`,
      (pod) => pod !== first.pod,
    );
    print(`\n6. new leader: ${next.pod} (${next.address})`);
    print(
      `   Service ${LEADER}: ${ANNOTATIONS.leaderPod}=${next.pod}, ${ANNOTATIONS.leaderSince}=${next.since}`,
    );

    // Every change to the cluster happens while the controller runs, so the leader it is left
    // with is a live pod (a `zen-lead run` started later finds nothing to fix).
    const offNode = traffic !== undefined && options.leaveNode === true ? traffic.name : undefined;
    if (offNode !== undefined) await moveOffNode(run, offNode);
    const left = await liveLeader(run, offNode);
    print(
      `\n7. left running: Service ${LEADER} -> ${left.pod} (${left.address}), Ready on node ${left.node}`,
    );
    return {
      namespace,
      oldLeader: first.pod,
      newLeader: next.pod,
      failoverMs: failover.ms,
      ...(clientFailoverMs !== undefined ? { clientFailoverMs } : {}),
      leftLeader: left.pod,
    };
  } finally {
    watcher?.stop();
    await probe?.stop().catch(() => undefined);
    await controller.stop();
    recorder.close();
  }
}

/** Polls `check` until it gives a value, within the run's timeout and signal. */
function waitIn<T>(run: DemoRun, what: string, check: () => Promise<T | undefined>): Promise<T> {
  return waitFor(what, check, { timeoutMs: run.timeoutMs, signal: run.signal });
}

/** Deletes the namespace if it exists (waiting until it is gone), then creates it. */
async function recreateNamespace(run: DemoRun): Promise<void> {
  const { core, namespace } = run;
  const existing = await core.readNamespace({ name: namespace }).catch((error: unknown) => {
    if (statusCode(error) === 404) return undefined;
    throw error;
  });
  if (existing !== undefined) {
    run.print(`namespace ${namespace} exists: deleting it first`);
    if (existing.metadata?.deletionTimestamp === undefined) {
      await core.deleteNamespace({ name: namespace }).catch((error: unknown) => {
        if (statusCode(error) !== 404) throw error;
      });
    }
    await waitIn(run, `namespace ${namespace} to be deleted`, async () => {
      try {
        await core.readNamespace({ name: namespace });
        return undefined;
      } catch (error) {
        if (statusCode(error) === 404) return true;
        throw error;
      }
    });
  }
  await core.createNamespace({ body: { metadata: { name: namespace } } });
}

/** Step 3: the seed's first use case — the Deployment and the annotated Service — until 3 pods are Ready. */
async function applyUseCase(run: DemoRun): Promise<void> {
  const { namespace, print, traffic } = run;
  print(`\n3. applying the use case in ${namespace}:`);
  await run.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: APP, labels: { ...LABELS } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { ...LABELS } },
        template: {
          metadata: { labels: { ...LABELS } },
          spec: {
            ...(traffic !== undefined ? traffic.placement : {}),
            containers: [
              {
                name: APP,
                image: "registry.invalid/my-controller:1",
                ports: [{ name: "http", containerPort: PORT }],
                ...(traffic !== undefined ? { env: [{ name: "DRAIN_MS", value: String(DRAIN_MS) }] } : {}),
              },
            ],
          },
        },
      },
    },
  });
  print(`   Deployment ${APP}: 3 replicas, label app=${APP}, containerPort ${PORT}`);
  if (traffic !== undefined) {
    print(
      `   its pods run on node ${traffic.name}: each a network namespace with a server answering its pod name`,
    );
  }
  await run.core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: APP, annotations: { [ANNOTATIONS.enabled]: "true" } },
      spec: {
        selector: { ...LABELS },
        ports: [{ name: "http", port: PORT, targetPort: PORT, protocol: "TCP" }],
      },
    },
  });
  print(`   Service ${APP}: port ${PORT} -> ${PORT}, annotated ${ANNOTATIONS.enabled}: "true"`);
  const pods = await waitIn(run, "3 Ready pods", async () => {
    const list = await run.core.listNamespacedPod({ namespace, labelSelector: `app=${APP}` });
    const ready = list.items.filter(isReady);
    return ready.length === 3 ? ready : undefined;
  });
  print(`   pods Ready: ${pods.map((p) => `${p.metadata?.name} (${p.status?.podIP})`).join(", ")}`);
}

/** The leader Service's EndpointSlice (the one zen-lead writes), if there is one. */
async function readLeaderSlice(run: DemoRun): Promise<V1EndpointSlice | undefined> {
  const list = await run.discovery.listNamespacedEndpointSlice({
    namespace: run.namespace,
    labelSelector: `kubernetes.io/service-name=${LEADER}`,
  });
  return list.items[0];
}

/** The leader as the slice names it, if the leader Service's annotations agree now. */
async function readAgreedLeader(run: DemoRun): Promise<AgreedLeader | undefined> {
  const leader = sliceLeader(await readLeaderSlice(run));
  if (leader === undefined) return undefined;
  const service = await run.core.readNamespacedService({ namespace: run.namespace, name: LEADER });
  const annotations = service.metadata?.annotations ?? {};
  if (annotations[ANNOTATIONS.leaderPod] !== leader.pod) return undefined;
  return { ...leader, since: annotations[ANNOTATIONS.leaderSince] ?? "?" };
}

/** Waits for the leader as the slice names it (and `accept`s), once the leader Service's annotations agree. */
function agreedLeader(run: DemoRun, what: string, accept: (pod: string) => boolean): Promise<AgreedLeader> {
  return waitIn(run, what, async () => {
    const leader = await readAgreedLeader(run);
    return leader !== undefined && accept(leader.pod) ? leader : undefined;
  });
}

/** The pod, or undefined when it does not exist (404). */
async function readPod(run: DemoRun, name: string): Promise<V1Pod | undefined> {
  return run.core.readNamespacedPod({ namespace: run.namespace, name }).catch((error: unknown) => {
    if (statusCode(error) === 404) return undefined;
    throw error;
  });
}

/**
 * Waits until slice and annotations agree on a pod that exists and is Ready (and, with `offNode`,
 * runs elsewhere): the leader the demo leaves behind.
 */
function liveLeader(run: DemoRun, offNode: string | undefined): Promise<AgreedLeader & { node: string }> {
  const where = offNode !== undefined ? ` off node ${offNode}` : "";
  return waitIn(run, `${LEADER} to name a Ready pod${where}`, async () => {
    const leader = await readAgreedLeader(run);
    const pod = leader !== undefined ? await readPod(run, leader.pod) : undefined;
    if (leader === undefined || pod === undefined || !isReady(pod)) return undefined;
    const node = pod.spec?.nodeName ?? "";
    return node === "" || node === offNode ? undefined : { ...leader, node };
  });
}

/** Starts the client on the data-plane node: a new connection to the leader Service every 10 ms. */
async function startClient(run: DemoRun, traffic: DataplaneNode): Promise<Probe> {
  const service = await run.core.readNamespacedService({ namespace: run.namespace, name: LEADER });
  const ip = service.spec?.clusterIP ?? "";
  run.print(
    `   traffic: a client on node ${traffic.name} opens a new connection to ${LEADER} (${ip}:${PORT})` +
      ` every ${CLIENT_INTERVAL_MS} ms`,
  );
  return traffic.probe([`http://${ip}:${PORT}/`], { intervalMs: CLIENT_INTERVAL_MS });
}

/** Waits until `leader` answers the client, then shows how many of the next 100 connections it answered. */
async function showClientsOf(run: DemoRun, probe: Probe, leader: string): Promise<void> {
  const answered = await probe.until(
    `${leader} to answer the client`,
    (r) => r.answer === leader,
    run.timeoutMs,
  );
  await probe.more(100, run.timeoutMs);
  const steady = probe.results.filter((r) => r.at >= answered.at);
  run.print(`   ${answeredBy(steady, leader)} of ${steady.length} connections answered by ${leader}`);
}

/** An independent watch on the leader slice (not the controller's) for another pod than the leader. */
interface LeaderWatcher {
  /** Resolves when the slice names another pod (`at`: performance.now()); rejects if the watch ends. */
  readonly moved: Promise<{ readonly at: number; readonly leader: SliceLeader }>;
  /** Ends the watch (its end is then no failure). */
  stop(): void;
}

/** Starts watching the leader slice from its current resourceVersion for a pod other than `leader`. */
async function watchLeaderMove(run: DemoRun, leader: string): Promise<LeaderWatcher> {
  let seen: ((at: number, leader: SliceLeader) => void) | undefined;
  let broken: ((error: Error) => void) | undefined;
  const moved = new Promise<{ at: number; leader: SliceLeader }>((resolve, reject) => {
    seen = (at, next) => resolve({ at, leader: next });
    broken = reject;
  });
  moved.catch(() => undefined);
  const current = await readLeaderSlice(run);
  const abort = await new Watch(run.kc).watch(
    `/apis/discovery.k8s.io/v1/namespaces/${run.namespace}/endpointslices`,
    {
      labelSelector: `kubernetes.io/service-name=${LEADER}`,
      resourceVersion: current?.metadata?.resourceVersion,
      allowWatchBookmarks: false,
    },
    (type: string, object: V1EndpointSlice) => {
      if (type !== "ADDED" && type !== "MODIFIED") return;
      const next = sliceLeader(object);
      if (next !== undefined && next.pod !== leader) seen?.(performance.now(), next);
    },
    (error: unknown) => broken?.(new Error(`the watcher's watch ended: ${errorText(error ?? "closed")}`)),
  );
  return {
    moved,
    stop() {
      // Clear the callback first: aborting the watch calls `done`, which is no failure now.
      broken = undefined;
      abort.abort();
    },
  };
}

/** When a failover started and how long zen-lead took, as the watcher saw it. */
interface Failover {
  /** The epoch ms of the leader pod's deletion in the API (the client's results carry epoch ms). */
  readonly startEpoch: number;
  /** From the leader pod's deletion in the API to the watcher seeing the slice name another pod, ms. */
  readonly ms: number;
}

/**
 * Watches pod `name` from its current resourceVersion; resolves with performance.now() at the
 * first event showing it deleted (a deletionTimestamp, or gone). `stop` ends the watch.
 */
async function watchPodDeletion(
  run: DemoRun,
  name: string,
): Promise<{ seen: Promise<number>; stop(): void }> {
  const pod = await run.core.readNamespacedPod({ namespace: run.namespace, name });
  let seen: (at: number) => void = () => undefined;
  const deleted = new Promise<number>((resolve) => {
    seen = resolve;
  });
  const abort = await new Watch(run.kc).watch(
    `/api/v1/namespaces/${run.namespace}/pods`,
    { fieldSelector: `metadata.name=${name}`, resourceVersion: pod.metadata?.resourceVersion },
    (type: string, object: V1Pod) => {
      if (type === "DELETED" || object.metadata?.deletionTimestamp !== undefined) seen(performance.now());
    },
    // An ended watch only loses this timestamp: the delete's answer times the start then.
    () => undefined,
  );
  return { seen: deleted, stop: () => abort.abort() };
}

/**
 * Step 5: deletes the leader pod and times zen-lead's failover: from the moment the pod is deleted in
 * the API — the delete call's answer or the pod's watch event, whichever comes first (not the call's
 * own round trip, which says nothing of zen-lead) — to the watcher seeing the slice name another pod.
 */
async function deleteLeader(run: DemoRun, leader: string, watcher: LeaderWatcher): Promise<Failover> {
  const { timeoutMs, signal } = run;
  run.print(
    `\n5. deleting the leader pod ${leader}` +
      (run.traffic !== undefined ? ` (its server keeps answering ${DRAIN_MS / 1000} s after SIGTERM)` : ""),
  );
  const podWatch = await watchPodDeletion(run, leader);
  const called = performance.now();
  await run.core.deleteNamespacedPod({ namespace: run.namespace, name: leader });
  const answered = performance.now();
  // A watch event already delivered has resolved `seen`; one still on its way comes after the answer.
  const watched = await Promise.race([podWatch.seen, Promise.resolve(Number.POSITIVE_INFINITY)]);
  podWatch.stop();
  const start = Math.min(answered, watched);
  const stopTimer = new AbortController();
  const timerSignal = signal ? AbortSignal.any([signal, stopTimer.signal]) : stopTimer.signal;
  const timeout = sleep(timeoutMs, timerSignal).then(() => {
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${LEADER} to name another pod`);
  });
  const moved = await Promise.race([watcher.moved, timeout]).finally(() => {
    // The timer must not hold the process (or the caller) for the rest of the timeout.
    timeout.catch(() => undefined);
    stopTimer.abort();
  });
  const failoverMs = moved.at - start;
  const by = watched <= answered ? "the pod's watch event" : "the delete's answer";
  run.print(
    `   failover (zen-lead): ${ms(failoverMs)} from the pod's deletion in the API (${by}) to the watcher seeing` +
      ` ${LEADER} name ${moved.leader.pod}; the delete call itself took ${ms(answered - called)}, not counted`,
  );
  return { startEpoch: performance.timeOrigin + start, ms: failoverMs };
}

/**
 * The client's view of the failover: how long the old leader still answered, when another pod
 * answered first (returned: ms after the pod's deletion in the API), and the split zen-lead + kube-proxy.
 */
async function showClientFailover(
  run: DemoRun,
  probe: Probe,
  traffic: DataplaneNode,
  oldLeader: string,
  failover: Failover,
): Promise<number> {
  const { startEpoch } = failover;
  const other = (r: ProbeResult) => r.at >= startEpoch && r.answer !== null && r.answer !== oldLeader;
  await probe.until("another pod to answer the client", other, run.timeoutMs);
  await probe.more(100, run.timeoutMs);
  const after = probe.results.filter((r) => r.at >= startEpoch).sort((a, b) => a.at - b.at);
  const switched = after.find(other) as ProbeResult;
  const newPod = switched.answer as string;
  const before = after.filter((r) => r.at < switched.at);
  const since = after.filter((r) => r.at >= switched.at);
  const lastOld = before.filter((r) => r.answer === oldLeader).at(-1);
  const failed = before.filter((r) => r.answer === null).length;
  const clientFailoverMs = switched.at - startEpoch;
  run.print(
    `   clients: ${oldLeader} still answered ${answeredBy(before, oldLeader)} new connections` +
      (lastOld !== undefined
        ? `, the last one opened ${ms(lastOld.at - startEpoch)} after the deletion`
        : "") +
      (failed > 0 ? `; ${failed} failed` : ""),
  );
  run.print(
    `            ${newPod} answered the first one opened ${ms(clientFailoverMs)} after it` +
      ` (the client-observed failover), and ${answeredBy(since, newPod)} of the ${since.length} opened since`,
  );
  run.print(
    `   client-observed ${ms(clientFailoverMs)} = zen-lead ${ms(failover.ms)} + kube-proxy ${ms(clientFailoverMs - failover.ms)}` +
      ` (min-sync period ${traffic.minSyncPeriod}: docs/dataplane.md)`,
  );
  return clientFailoverMs;
}

/** How many of the results `pod` answered. */
function answeredBy(results: readonly ProbeResult[], pod: string): number {
  return results.filter((r) => r.answer === pod).length;
}

/**
 * A data-plane node for the demo's traffic, or why there is none (one line). Imported on demand:
 * the controller's image ships without the harness.
 */
export async function startTraffic(kc: KubeConfig): Promise<DataplaneNode | string> {
  try {
    const { startNode } = await import("@zen-lead/dataplane");
    return await startNode({ kc });
  } catch (error) {
    return errorText(error).split("\n")[0] ?? "";
  }
}

/**
 * The data-plane node ends with the demo: move my-controller's pods to kwok's nodes (a rollout;
 * the node's kubelet still ends the old pods) until the Deployment has three Ready pods there and
 * none is left on the node.
 */
async function moveOffNode(run: DemoRun, node: string): Promise<void> {
  const { apps, namespace } = run;
  run.print(`\nthe data-plane node ends with the demo: moving ${APP}'s pods to kwok's nodes`);
  await apps.patchNamespacedDeployment(
    {
      namespace,
      name: APP,
      body: { spec: { template: { spec: { nodeSelector: null, tolerations: null } } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  await waitIn(run, `${APP}'s pods to move to kwok's nodes`, async () => {
    const d = await apps.readNamespacedDeployment({ namespace, name: APP });
    const s = d.status;
    const rolledOut =
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
      s?.replicas === 3 &&
      s.updatedReplicas === 3 &&
      s.availableReplicas === 3;
    if (!rolledOut) return undefined;
    const onNode = await run.core.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${node}` });
    return onNode.items.length === 0 ? true : undefined;
  });
}

/**
 * `./scripts/demo [--down | --keep]`: the cluster's life cycle around `runDemoOn`. Resolves to 0,
 * or 1 after one line `demo: REASON` on stderr; throws a UsageError on a bad flag (main.ts: exit 2).
 */
export async function runDemo(args: readonly string[]): Promise<number> {
  let values: { down?: boolean; keep?: boolean; help?: boolean };
  try {
    const parsed = parseArgs({
      args: [...args],
      options: {
        down: { type: "boolean", default: false },
        keep: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: true,
    });
    if (parsed.positionals.length > 0) {
      throw new Error(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
    }
    if (parsed.values.down && parsed.values.keep) throw new Error("--down and --keep exclude each other");
    values = parsed.values;
  } catch (error) {
    throw usage(error);
  }
  if (values.help) {
    console.log(DEMO_HELP);
    return 0;
  }
  const down = values.down === true;

  // Ctrl-C: stop the demo (and, with --down, the cluster) in order instead of dying mid-step.
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => interrupt.abort(new Error(`interrupted (${sig})`));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let statePath: string | undefined;
  let failed: string | undefined;
  let traffic: DataplaneNode | undefined;
  // Only the demo starts clusters: the controller's image ships without these scripts.
  const cluster = await import("@zen-lead/test-cluster/lifecycle");
  try {
    console.log("1. bringing up the embedded control plane (tools/cluster/up.sh)");
    console.log("   the first run builds it from Go modules first: ~12 min on 2 cores (progress below);");
    console.log("   later runs start it in about 5 s");
    // With --down, the cluster also goes if this process dies without tearing it down.
    const upArgs = down ? ["--watch-pid", String(process.pid)] : [];
    // A Ctrl-C reaches up.sh too (it stops what it started and exits 130); otherwise let it finish,
    // so that a cluster it did bring up is torn down (--down) or reported below.
    const up = await cluster.clusterUp(upArgs);
    statePath = up.statePath;
    interrupt.signal.throwIfAborted();
    console.log(`   control plane ready: ${up.state.server}`);
    const kc = new KubeConfig();
    kc.loadFromFile(up.state.kubeconfig);
    const node = await startTraffic(kc);
    if (typeof node === "string") {
      console.log(`   traffic: not shown, the data-plane node cannot run here: ${node}`);
    } else {
      traffic = node;
      console.log(
        `   data-plane node ${node.name}: kube-proxy (${node.proxyMode}, min-sync period ${node.minSyncPeriod}),` +
          ` pods as network namespaces (${node.flavour === "userns" ? "in a user namespace" : "as root"})`,
      );
    }
    interrupt.signal.throwIfAborted();
    const result = await runDemoOn(kc, {
      signal: interrupt.signal,
      ...(traffic !== undefined ? { traffic, leaveNode: !down } : {}),
    });
    console.log(
      `\ndemo: ok: ${result.oldLeader} -> ${result.newLeader} in ${ms(result.failoverMs)}` +
        (result.clientFailoverMs !== undefined ? ` (clients: ${ms(result.clientFailoverMs)})` : ""),
    );
  } catch (error) {
    failed = errorText(error);
  }
  await traffic?.stop().catch((error: unknown) => {
    failed ??= `stopping the data-plane node failed: ${errorText(error)}`;
  });

  if (statePath !== undefined) {
    if (down) {
      console.log("\ntearing the control plane down (tools/cluster/down.sh)");
      await cluster.clusterDown(statePath).catch((error: unknown) => {
        failed ??= `teardown failed: ${errorText(error)}`;
      });
    } else {
      const state = JSON.parse(readFileSync(statePath, "utf8")) as { kubeconfig: string };
      console.log("\nthe control plane is still up (the controller stopped with the demo):");
      console.log(`  kubeconfig: ${state.kubeconfig}`);
      // The project's own Node (24, which runs the .ts sources), so the lines work in a fresh shell.
      const node = process.execPath;
      console.log(
        `  controller: ${node} packages/cli/src/main.ts run --kubeconfig ${state.kubeconfig} -n ${DEFAULT_NAMESPACE}`,
      );
      console.log(
        `  status:     ${node} packages/cli/src/main.ts status --kubeconfig ${state.kubeconfig} -n ${DEFAULT_NAMESPACE}`,
      );
      // kubectl is the control plane's own (build.sh prints the cached bin dir: no build here).
      const bin = await cluster.clusterScript("build.sh").catch(() => "$(tools/cluster/build.sh)");
      console.log(`  kubectl:    export KUBECONFIG=${state.kubeconfig} PATH="${bin}:$PATH"`);
      console.log(
        `              kubectl get pods,endpointslices -n ${DEFAULT_NAMESPACE}   (more: docs/demo.md)`,
      );
      console.log(`  tear down:  tools/cluster/down.sh ${statePath}`);
    }
  }
  // Until here a second Ctrl-C does not cut the teardown short.
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (failed !== undefined) {
    console.error(`demo: ${failed}`);
    return 1;
  }
  return 0;
}
