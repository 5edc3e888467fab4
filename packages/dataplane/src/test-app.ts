/**
 * For the data-plane integration tests (vitest): waiting for a leader, clients on the node, and
 * the failover check every failure kind shares.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { type Controller, startController } from "@zen-lead/k8s-adapter";
import { clusterConfig, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, expect } from "vitest";
import { type AppOptions, agreedLeader, deployApp, serviceUrls } from "./app.ts";
import { type DataplaneNode, type NodeOptions, startNode } from "./node.ts";
import { type Probe, type ProbeResult, tally } from "./probe.ts";

export interface TrafficContext {
  readonly kc: KubeConfig;
  readonly node: DataplaneNode;
  readonly namespace: string;
}

/**
 * A test file's data-plane node and controller: started in `beforeAll` (a fresh namespace named
 * after `prefix`, the node with `options`, zen-lead watching that namespace), stopped in `afterAll`,
 * which fails on any failure the node recorded. Returns the context its tests use.
 */
export function trafficNode(prefix: string, options: Omit<NodeOptions, "kc"> = {}): () => TrafficContext {
  const kc = clusterConfig();
  let context: TrafficContext | undefined;
  let controller: Controller | undefined;
  beforeAll(async () => {
    const namespace = await testNamespace(prefix);
    const node = await startNode({ kc, ...options });
    controller = startController({ kc, namespaces: [namespace] });
    context = { kc, node, namespace };
  });
  afterAll(async () => {
    await controller?.stop();
    const failures = context?.node.failures() ?? [];
    await context?.node.stop();
    expect(failures).toEqual([]);
  });
  return () => {
    if (context === undefined) throw new Error("the data-plane node did not start");
    return context;
  };
}

/**
 * Deploys app `name` and checks that in steady state 100 new connections to its leader Service
 * are answered by the leader only; resolves with the leader.
 */
export async function expectSteadyLeader(context: TrafficContext, name: string): Promise<string> {
  const { kc, node, namespace } = context;
  await deployApp(kc, node, namespace, name);
  const leader = await leaderOf(kc, namespace, name);
  const probe = await leaderProbe(context, name);
  const first = await probe.until(`${leader} to answer`, (r) => r.answer === leader);
  const steady = await opened(probe, first.at, 100);
  await probe.stop();
  expect(steady.length).toBeGreaterThanOrEqual(100);
  expectOnly(leader, steady, "steady state");
  return leader;
}

/**
 * The leader of `<name>-leader` once its Service's annotation and every slice agree, and it is not
 * `not`. Waits up to 60 s.
 */
export async function leaderOf(
  kc: KubeConfig,
  namespace: string,
  name: string,
  not?: string,
): Promise<string> {
  return waitFor(`a leader of ${name}${not !== undefined ? ` other than ${not}` : ""}`, async () => {
    const pod = await agreedLeader(kc, namespace, name);
    return pod !== not ? pod : undefined;
  });
}

/** The names of the app's pods that exist now (any state). */
export async function podNames(kc: KubeConfig, namespace: string, name: string): Promise<string[]> {
  const list = await kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace, labelSelector: `app=${name}` });
  return list.items.map((p) => p.metadata?.name ?? "");
}

/** Results in the order their connections were opened (they complete out of order). */
export const byStart = (results: readonly ProbeResult[]) => [...results].sort((a, b) => a.at - b.at);

/**
 * Only `pod` answered these requests. A connection that got no answer at all (reset or timed out on
 * a loaded machine) is no other pod answering: it is told in the message, and must stay rare.
 */
export function expectOnly(pod: string, requests: readonly ProbeResult[], what: string) {
  const answers = requests.filter((r) => r.answer !== null);
  const all = JSON.stringify(tally(requests));
  expect(tally(answers), `${what}: ${all}`).toEqual({ [pod]: answers.length });
  expect(requests.length - answers.length, `${what}, failed connections: ${all}`).toBeLessThanOrEqual(
    Math.floor(requests.length / 10),
  );
}

/** Every pod that answered. */
export const answered = (results: readonly ProbeResult[]) =>
  new Set(results.flatMap((r) => (r.answer !== null ? [r.answer] : [])));

/**
 * Every request opened from `from` up to the `count`-th one, in start order, once all have
 * completed: requests complete out of order (one that hangs is cut after the prober's 1 s
 * timeout), so this waits that long after the `count`-th was opened.
 */
export async function opened(probe: Probe, from: number, count: number): Promise<ProbeResult[]> {
  const since = () => byStart(probe.results.filter((r) => r.at >= from));
  await probe.until(`${count} requests opened since the first answer`, () => since().length >= count);
  const last = (since()[count - 1] as ProbeResult).at;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  return since().filter((r) => r.at <= last);
}

/** A client on the node sending a new connection every 20 ms to each cluster IP of `<name>-leader`. */
export async function leaderProbe(ctx: TrafficContext, name: string): Promise<Probe> {
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const service = await core.readNamespacedService({ namespace: ctx.namespace, name: `${name}-leader` });
  return ctx.node.probe(serviceUrls(service), { intervalMs: 20 });
}

/**
 * Deploys `name` (3 pods), waits until the client reaches its leader on every cluster IP, runs
 * `fail` on the leader and checks what the client saw, per cluster IP (kube-proxy programs each
 * family on its own): only the old leader before, only the new leader from the first connection
 * it answered on, nobody else ever. Returns both leaders and every result, in start order.
 */
export async function failover(
  ctx: TrafficContext,
  name: string,
  fail: (leader: string) => Promise<void>,
  options: AppOptions = {},
): Promise<{ oldLeader: string; newLeader: string; results: ProbeResult[] }> {
  const { kc, namespace } = ctx;
  await deployApp(kc, ctx.node, namespace, name, options);
  const oldLeader = await leaderOf(kc, namespace, name);
  const probe = await leaderProbe(ctx, name);
  try {
    const targets = probe.targets;
    const firstAt = new Map<string, number>();
    for (const target of targets) {
      const first = await probe.until(
        `${oldLeader} to answer on ${target}`,
        (r) => r.answer === oldLeader && r.target === target,
      );
      firstAt.set(target, first.at);
    }
    await probe.more(25);
    const failedAt = performance.timeOrigin + performance.now();
    await fail(oldLeader);
    for (const target of targets) {
      await probe.until(
        `another pod to answer on ${target}`,
        (r) => r.target === target && r.answer !== null && r.answer !== oldLeader,
      );
    }
    await probe.more(50);
    const results = byStart(await probe.stop());
    const newLeader = results.find((r) => r.answer !== null && r.answer !== oldLeader)?.answer ?? "";

    expect(answered(results)).toEqual(new Set([oldLeader, newLeader]));
    for (const target of targets) {
      const own = results.filter((r) => r.target === target);
      const steady = own.filter((r) => r.at >= (firstAt.get(target) ?? 0) && r.at < failedAt);
      expectOnly(oldLeader, steady, `${target} before the failure`);
      const from = own.find((r) => r.answer === newLeader)?.at ?? Number.POSITIVE_INFINITY;
      const after = own.filter((r) => r.at >= from);
      expect(after.length, `${target}: answers from ${newLeader}`).toBeGreaterThan(0);
      expectOnly(newLeader, after, `${target} from the first answer of ${newLeader} on`);
    }
    expect(await leaderOf(kc, namespace, name, oldLeader)).toBe(newLeader);
    return { oldLeader, newLeader, results };
  } finally {
    await probe.stop().catch(() => undefined);
  }
}
