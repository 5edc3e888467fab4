/**
 * For the data-plane integration tests (vitest): waiting for a leader, clients on the node, and
 * the failover check every failure kind shares.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { waitFor } from "@zen-lead/test-cluster";
import { expect } from "vitest";
import { type AppOptions, agreedLeader, deployApp, serviceUrls } from "./app.ts";
import type { DataplaneNode } from "./node.ts";
import { type Probe, type ProbeResult, tally } from "./probe.ts";

export interface TrafficContext {
  readonly kc: KubeConfig;
  readonly node: DataplaneNode;
  readonly namespace: string;
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
