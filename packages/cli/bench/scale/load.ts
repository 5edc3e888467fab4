/**
 * Phase 5, load: `--flips` readiness flips a second of random pods of the second half of the
 * Services for `--load-seconds`, and meanwhile `--failovers` failovers in the first half (a leader
 * written NotReady; the sample ends when the bench's watch sees its slice name another pod) — a
 * failover always finds a Ready pod to move to. Failover p50 / p99 under load, CPU per second, RSS
 * at the end. Then failovers alone, one a second: CPU per failover over the idle CPU. Every pod is
 * Ready again at the end, for a rerun on a kept cluster.
 */
import { performance } from "node:perf_hooks";
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { figures, MIB, pool, quantile } from "@zen-lead/test-cluster/figures";
import { cpuMs, rssBytes } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import type { ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";
import type { Idle } from "./idle.ts";
import type { LeaderWatch } from "./leader-watch.ts";
import type { ScaleOptions } from "./options.ts";
import { workloadNames } from "./workload.ts";
import { mib } from "./zen-lead.ts";

const { log, print } = figures("scale");

/** Runs the load and the failovers alone against `z`; prints their figures. */
export async function measureLoad(
  kc: KubeConfig,
  options: ScaleOptions,
  z: ZenLeadProcess,
  watch: LeaderWatch,
  idle: Idle,
): Promise<void> {
  const { services, podsPerService, flips: FLIPS, loadSeconds, failovers } = options;
  const names = workloadNames(options);
  log(`load: ${FLIPS} readiness flips/s for ${loadSeconds} s, ${failovers} failovers`);
  const status = (i: number, j: number, ready: boolean) =>
    request(kc, "PATCH", `/api/v1/namespaces/${names.namespace(i)}/pods/${names.pod(i, j)}/status`, {
      contentType: "application/strategic-merge-patch+json",
      body: {
        status: {
          conditions: [
            { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date().toISOString() },
          ],
        },
      },
    });
  const half = Math.floor(services / 2);
  /** One failover of a random Service of the first half: resolves with its duration (ms), undefined if it has no leader. */
  const failover = async (): Promise<number | undefined> => {
    const i = Math.floor(Math.random() * half);
    const key = `${names.namespace(i)}/${names.service(i)}-leader`;
    const leader = watch.leaders.get(key);
    if (leader === undefined) return undefined;
    const j = Number(leader.slice(leader.lastIndexOf("-") + 1));
    const seen = watch.until(key, (pod) => pod !== undefined && pod !== leader);
    const t0 = performance.now();
    await status(i, j, false);
    const ms = (await seen) - t0;
    await status(i, j, true); // sticky: the new leader stays
    return ms;
  };

  const notReady = new Set<string>();
  let stopLoad = false;
  let flips = 0;
  const loadCpu0 = cpuMs(z.pid);
  const loadStart = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  const flipper = (async () => {
    for (let k = 0; !stopLoad; k++) {
      const due = loadStart + (k * 1000) / FLIPS;
      if (due > performance.now()) await sleep(due - performance.now());
      const i = half + Math.floor(Math.random() * (services - half));
      const j = Math.floor(Math.random() * podsPerService);
      const name = names.pod(i, j);
      const ready = notReady.has(name);
      if (ready) notReady.delete(name);
      else notReady.add(name);
      const write = status(i, j, ready).catch(() => undefined);
      inFlight.add(write);
      void write.then(() => inFlight.delete(write));
      flips++;
    }
    await Promise.all(inFlight);
  })();
  const failoverMs: number[] = [];
  const gapMs = (loadSeconds * 1000) / Math.max(1, failovers);
  for (let f = 0; f < failovers; f++) {
    const t0 = performance.now();
    const ms = await failover();
    if (ms !== undefined) failoverMs.push(ms);
    const next = t0 + gapMs;
    if (next > performance.now()) await sleep(next - performance.now());
  }
  const left = loadStart + loadSeconds * 1000 - performance.now();
  if (left > 0) await sleep(left);
  stopLoad = true;
  await flipper;
  const loadS = (performance.now() - loadStart) / 1000;
  const loadCpu = cpuMs(z.pid) - loadCpu0;
  const loadRss = rssBytes(z.pid) / MIB;
  const loadText = await z.metrics();
  print("load: readiness flips", flips / loadS, "/s");
  print("load: failovers", failoverMs.length);
  print("load: failover p50", quantile(failoverMs, 0.5), "ms");
  print("load: failover p99", quantile(failoverMs, 0.99), "ms");
  print("load: CPU", loadCpu / loadS / 10, "% of a core");
  print("load: RSS at the end", loadRss, "MiB");
  print("load: JS heap used at the end", mib(loadText, "nodejs_heap_size_used_bytes"), "MiB");
  print("load: RSS at the end / idle RSS", loadRss / idle.rss, "x");

  const quiet = Math.max(10, Math.min(30, failovers));
  const quietCpu0 = cpuMs(z.pid);
  const quietStart = performance.now();
  for (let f = 0; f < quiet; f++) {
    await failover();
    await sleep(1000);
  }
  const quietS = (performance.now() - quietStart) / 1000;
  const perFailover = (cpuMs(z.pid) - quietCpu0 - idle.cpuMsPerS * quietS) / quiet;
  print("CPU per failover (failovers alone, over idle)", perFailover, "ms");
  await pool([...notReady], 16, async (name) => {
    const [i, j] = name.slice(1).split("-").map(Number) as [number, number];
    await status(i, j, true).catch(() => undefined);
  });
}
