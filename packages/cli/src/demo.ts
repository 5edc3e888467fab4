/**
 * `zen-lead demo`: zen-lead's main job on the embedded control plane (tools/cluster). It brings
 * the cluster up, runs the controller in-process, applies the seed's first use case (a 3-replica
 * Deployment behind an annotated Service), shows who leads, deletes the leader pod and prints how
 * long the failover took as an independent watcher of the leader's EndpointSlice saw it.
 *
 * `runDemoOn(kc)` is the part that needs only a cluster (the integration test runs it on the
 * shared test cluster); `runDemo(args)` adds the flags and the cluster's life cycle.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type V1EndpointSlice,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { ANNOTATIONS } from "@zen-lead/core";
import { type Controller, startController } from "@zen-lead/k8s-adapter";
import { usage } from "./usage-error.ts";

export const DEMO_HELP = `usage: zen-lead demo [--down | --keep]

zen-lead's main job, on the embedded control plane (tools/cluster: etcd, kube-apiserver,
controller-manager, scheduler and kwok's fake nodes, all on 127.0.0.1):
  1. brings the control plane up (the first run builds it from Go modules: ~12 min on 2 cores)
  2. starts the controller in this process, watching the zen-lead-demo namespace
  3. applies the seed's first use case in zen-lead-demo (recreated if present): Deployment
     my-controller (3 replicas) and Service my-controller annotated zen-lead.io/enabled=true
  4. shows the leader, deletes the leader pod and prints how long the failover took, as seen by
     a separate watch on the my-controller-leader EndpointSlice, then the new leader

  --keep    leave the cluster up at the end (the default): the kubeconfig path and the
            tools/cluster/down.sh command are printed. The controller stops when the demo exits.
  --down    tear the cluster down at the end (also on an error or Ctrl-C)

Exit 0 on success; 1 with one line giving the reason on failure; 2 on a bad flag.`;

const APP = "my-controller";
const LEADER = `${APP}-leader`;
const LABELS = { app: APP } as const;
const DEFAULT_NAMESPACE = "zen-lead-demo";
const ROOT = join(import.meta.dirname, "../../..");

export interface DemoOptions {
  /** Where the use case is applied (deleted first if present). Default zen-lead-demo. */
  readonly namespace?: string;
  /** Each line of output; default console.log. */
  readonly print?: (line: string) => void;
  /** How long to wait for each step. Default 60 s. */
  readonly timeoutMs?: number;
  /** Aborting stops the demo (it rejects with the abort reason). */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly namespace: string;
  readonly oldLeader: string;
  readonly newLeader: string;
  /** From just before the delete call to the watcher seeing the slice name another pod. */
  readonly failoverMs: number;
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

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls until `check` gives a value; throws "timed out waiting for WHAT" after the deadline. */
async function until<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${errorText(last)})` : ""}`,
      );
    }
    await sleep(200, signal);
  }
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

/**
 * The demo's core steps on an existing cluster: (re)create the namespace, run the controller
 * in-process, apply the use case, show the leader, delete it, time the failover, show the new
 * leader. The controller is stopped before this returns; the namespace and its objects are left.
 */
export async function runDemoOn(kc: KubeConfig, options: DemoOptions = {}): Promise<DemoResult> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const print = options.print ?? ((line: string) => console.log(line));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { signal } = options;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const wait = <T>(what: string, check: () => Promise<T | undefined>) =>
    until(what, timeoutMs, signal, check);

  // The namespace, fresh.
  const existing = await core.readNamespace({ name: namespace }).catch((error: unknown) => {
    if (statusCode(error) === 404) return undefined;
    throw error;
  });
  if (existing !== undefined) {
    print(`namespace ${namespace} exists: deleting it first`);
    if (existing.metadata?.deletionTimestamp === undefined) {
      await core.deleteNamespace({ name: namespace }).catch((error: unknown) => {
        if (statusCode(error) !== 404) throw error;
      });
    }
    await wait(`namespace ${namespace} to be deleted`, async () => {
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

  const controller: Controller = startController({
    kc,
    namespaces: [namespace],
    onEvent: (event) => {
      if (event.leaderChange !== undefined) print(`  [zen-lead] ${event.note}`);
    },
  });
  let stopWatch: AbortController | undefined;
  let broken: ((error: Error) => void) | undefined;
  try {
    print(`\n2. zen-lead controller started in this process, watching namespace ${namespace}`);

    print(`\n3. applying the use case in ${namespace}:`);
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: APP, labels: { ...LABELS } },
        spec: {
          replicas: 3,
          selector: { matchLabels: { ...LABELS } },
          template: {
            metadata: { labels: { ...LABELS } },
            spec: {
              containers: [
                {
                  name: APP,
                  image: "registry.invalid/my-controller:1",
                  ports: [{ name: "http", containerPort: 8080 }],
                },
              ],
            },
          },
        },
      },
    });
    print(`   Deployment ${APP}: 3 replicas, label app=${APP}, containerPort 8080`);
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: APP, annotations: { [ANNOTATIONS.enabled]: "true" } },
        spec: {
          selector: { ...LABELS },
          ports: [{ name: "http", port: 8080, targetPort: 8080, protocol: "TCP" }],
        },
      },
    });
    print(`   Service ${APP}: port 8080 -> 8080, annotated ${ANNOTATIONS.enabled}: "true"`);
    const pods = await wait("3 Ready pods", async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${APP}` });
      const ready = list.items.filter(isReady);
      return ready.length === 3 ? ready : undefined;
    });
    print(`   pods Ready: ${pods.map((p) => `${p.metadata?.name} (${p.status?.podIP})`).join(", ")}`);

    const readSlice = async () =>
      (
        await discovery.listNamespacedEndpointSlice({
          namespace,
          labelSelector: `kubernetes.io/service-name=${LEADER}`,
        })
      ).items[0];
    const readAnnotations = async () =>
      (await core.readNamespacedService({ namespace, name: LEADER })).metadata?.annotations ?? {};
    /** The leader as the slice names it, once the leader Service's annotations agree. */
    const agreedLeader = (what: string, accept: (pod: string) => boolean) =>
      wait(what, async () => {
        const leader = sliceLeader(await readSlice());
        if (leader === undefined || !accept(leader.pod)) return undefined;
        const annotations = await readAnnotations();
        if (annotations[ANNOTATIONS.leaderPod] !== leader.pod) return undefined;
        return { ...leader, since: annotations[ANNOTATIONS.leaderSince] ?? "?" };
      });

    print(`\n4. who leads:`);
    const first = await agreedLeader(`zen-lead to pick a leader for ${APP}`, () => true);
    print(`   EndpointSlice of Service ${LEADER} -> ${first.pod} (${first.address})`);
    print(
      `   Service ${LEADER}: ${ANNOTATIONS.leaderPod}=${first.pod}, ${ANNOTATIONS.leaderSince}=${first.since}`,
    );

    // An independent watcher: its own watch on the leader slice, not the controller's.
    let seen: ((at: number, leader: SliceLeader) => void) | undefined;
    const seenOther = new Promise<{ at: number; leader: SliceLeader }>((resolve, reject) => {
      seen = (at, leader) => resolve({ at, leader });
      broken = reject;
    });
    seenOther.catch(() => undefined);
    const current = await readSlice();
    stopWatch = await new Watch(kc).watch(
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      {
        labelSelector: `kubernetes.io/service-name=${LEADER}`,
        resourceVersion: current?.metadata?.resourceVersion,
        allowWatchBookmarks: false,
      },
      (type: string, object: V1EndpointSlice) => {
        if (type !== "ADDED" && type !== "MODIFIED") return;
        const leader = sliceLeader(object);
        if (leader !== undefined && leader.pod !== first.pod) seen?.(performance.now(), leader);
      },
      (error: unknown) => broken?.(new Error(`the watcher's watch ended: ${errorText(error ?? "closed")}`)),
    );

    print(`\n5. deleting the leader pod ${first.pod}`);
    const start = performance.now();
    await core.deleteNamespacedPod({ namespace, name: first.pod });
    const deleted = performance.now();
    const stopTimer = new AbortController();
    const timerSignal = signal ? AbortSignal.any([signal, stopTimer.signal]) : stopTimer.signal;
    const timeout = sleep(timeoutMs, timerSignal).then(() => {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${LEADER} to name another pod`);
    });
    const failover = await Promise.race([seenOther, timeout]).finally(() => {
      // The timer must not hold the process (or the caller) for the rest of the timeout.
      timeout.catch(() => undefined);
      stopTimer.abort();
    });
    const failoverMs = failover.at - start;
    print(
      `   failover: ${ms(failoverMs)} from the delete call to the watcher seeing ${LEADER} name ${failover.leader.pod}` +
        ` (the delete call itself took ${ms(deleted - start)})`,
    );
    const next = await agreedLeader(
      `${LEADER}'s annotations to name the new leader`,
      (pod) => pod !== first.pod,
    );
    print(`\n6. new leader: ${next.pod} (${next.address})`);
    print(
      `   Service ${LEADER}: ${ANNOTATIONS.leaderPod}=${next.pod}, ${ANNOTATIONS.leaderSince}=${next.since}`,
    );
    return { namespace, oldLeader: first.pod, newLeader: next.pod, failoverMs };
  } finally {
    // Clear the callbacks first: aborting the watch calls `done`, which is no failure now.
    broken = undefined;
    stopWatch?.abort();
    await controller.stop();
  }
}

/** Runs a script of tools/cluster: stderr (progress) to the terminal, stdout returned. */
function runScript(script: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "tools/cluster", script), args, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code, sig) => {
      if (code === 0) resolve(out.trim());
      else if (code === 130 || sig === "SIGINT") reject(new Error(`${script} interrupted`));
      else reject(new Error(`tools/cluster/${script} exited with ${code ?? sig} (see the lines above)`));
    });
  });
}

interface ClusterState {
  readonly kubeconfig: string;
  readonly server: string;
}

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
    throw usage("demo", error);
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
  try {
    console.log("1. bringing up the embedded control plane (tools/cluster/up.sh)");
    console.log("   the first run builds it from Go modules first: ~12 min on 2 cores (progress below);");
    console.log("   later runs start it in about 5 s");
    // With --down, the cluster also goes if this process dies without tearing it down.
    const upArgs = down ? ["--watch-pid", String(process.pid)] : [];
    // A Ctrl-C reaches up.sh too (it stops what it started and exits 130); otherwise let it finish,
    // so that a cluster it did bring up is torn down (--down) or reported below.
    const upOutput = await runScript("up.sh", upArgs);
    statePath = upOutput.split("\n").pop() as string;
    interrupt.signal.throwIfAborted();
    const state = JSON.parse(readFileSync(statePath, "utf8")) as ClusterState;
    console.log(`   control plane ready: ${state.server}`);
    const kc = new KubeConfig();
    kc.loadFromFile(state.kubeconfig);
    const result = await runDemoOn(kc, { signal: interrupt.signal });
    console.log(
      `\nzen-lead demo: ok: ${result.oldLeader} -> ${result.newLeader} in ${ms(result.failoverMs)}`,
    );
  } catch (error) {
    failed = errorText(error);
  }

  if (statePath !== undefined) {
    if (down) {
      console.log("\ntearing the control plane down (tools/cluster/down.sh)");
      await runScript("down.sh", [statePath]).catch((error: unknown) => {
        failed ??= `teardown failed: ${errorText(error)}`;
      });
    } else {
      const state = JSON.parse(readFileSync(statePath, "utf8")) as ClusterState;
      console.log("\nthe control plane is still up (the controller stopped with the demo):");
      console.log(`  kubeconfig: ${state.kubeconfig}`);
      console.log(
        `  controller: node packages/cli/src/main.ts run --kubeconfig ${state.kubeconfig} -n ${DEFAULT_NAMESPACE}`,
      );
      console.log(
        `  status:     node packages/cli/src/main.ts status --kubeconfig ${state.kubeconfig} -n ${DEFAULT_NAMESPACE}`,
      );
      console.log(`  tear down:  tools/cluster/down.sh ${statePath}`);
    }
  }
  // Until here a second Ctrl-C does not cut the teardown short.
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (failed !== undefined) {
    console.error(`zen-lead demo: ${failed}`);
    return 1;
  }
  return 0;
}
