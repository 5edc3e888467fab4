/**
 * Phase 3, adoption with one write-limit setting, from a cluster without zen-lead's objects: start
 * to ready (/readyz), start to every leader slice naming a pod (seen by the bench's own watch:
 * "adoption time"), then — once zen-lead's applier is idle (`zen_lead_write_queue_depth` 0: the
 * leader Services' writes drain after the last slice) — the writes it made
 * (`zen_lead_apply_duration_seconds_count`, one per write; goal one per object) and the requests it
 * sent by method (`rest_client_requests_total`), CPU to adopt, RSS.
 */
import { performance } from "node:perf_hooks";
import type { KubeConfig } from "@kubernetes/client-node";
import { figures, MIB, round } from "@zen-lead/test-cluster/figures";
import { cpuMs, rssBytes } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import { metricValue, writesIdle, type ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";
import { deleteLeaderObjects } from "./leader-objects.ts";
import type { LeaderWatch } from "./leader-watch.ts";
import type { ScaleOptions } from "./options.ts";
import { workloadNamespaces } from "./workload.ts";
import type { ZenLeads } from "./zen-lead.ts";

const { log, print } = figures("scale");

/**
 * Adopts with `setting` (`QPS:BURST`, or `default`), the `n`th adoption of the run; prints its
 * figures and resolves with the process, still running (the caller stops it).
 */
export async function adopt(
  kc: KubeConfig,
  options: ScaleOptions,
  zenLeads: ZenLeads,
  watch: LeaderWatch,
  setting: string,
  n: number,
): Promise<ZenLeadProcess> {
  await deleteLeaderObjects(kc, workloadNamespaces(options));
  await sleep(2000);
  const [qps, burst] = setting === "default" ? [] : setting.split(":");
  const args = qps === undefined ? [] : ["--kube-api-qps", qps, "--kube-api-burst", burst as string];
  const label =
    setting === "default" ? "default write limit" : `--kube-api-qps ${qps} --kube-api-burst ${burst}`;
  if (n === 0) await watch.start();
  log(`adoption with ${label}`);
  const z = await zenLeads.start(`adopt-${n}`, args);
  const readyAt = await z.until("/readyz", 900_000);
  const readyCpu = cpuMs(z.pid);
  const readyRss = rssBytes(z.pid) / MIB;
  for (;;) {
    if (watch.leaders.size >= options.services) break;
    if (performance.now() - z.startedAt > 900_000)
      throw new Error(`only ${watch.leaders.size} leader slices after 15 min`);
    await sleep(100);
  }
  const adoptedAt = performance.now();
  const adoptCpu = cpuMs(z.pid);
  const adoptRss = rssBytes(z.pid) / MIB;
  const idleAt = await writesIdle(z);
  const text = await z.metrics();
  const s = (t: number) => (t - z.startedAt) / 1000;
  print(`adoption (${label}): start to ready`, s(readyAt), "s");
  print(`adoption (${label}): start to every leader slice written`, s(adoptedAt), "s");
  print(
    `adoption (${label}): start to every write done (write queue empty)`,
    s(Math.max(idleAt, adoptedAt)),
    "s",
  );
  print(`adoption (${label}): CPU to ready (lists, first fold)`, readyCpu / 1000, "s");
  print(`adoption (${label}): CPU to adopt`, adoptCpu / 1000, "s");
  print(`adoption (${label}): RSS at ready / adopted`, `${round(readyRss)} / ${round(adoptRss)}`, "MiB");
  const writes = metricValue(text, "zen_lead_apply_duration_seconds_count");
  print(`adoption (${label}): writes (one per write action)`, writes);
  print(`adoption (${label}): writes per object (goal 1)`, writes / (2 * options.services));
  for (const method of ["POST", "PATCH", "PUT", "DELETE"])
    print(
      `adoption (${label}): ${method} requests`,
      metricValue(text, "rest_client_requests_total", `method="${method}"`),
    );
  print(
    `adoption (${label}): write results not done (conflict, retrying, rejected)`,
    metricValue(text, "zen_lead_apply_errors_total"),
  );
  return z;
}
