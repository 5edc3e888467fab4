/**
 * Phase 4, idle (the last adoption's process): RSS and JS heap after `--idle-seconds` (steady after
 * the initial lists?), CPU per second idle, RSS against twice the heap plus 100 MiB, MiB per 1,000
 * pods over the floor.
 */
import { figures, round } from "@zen-lead/test-cluster/figures";
import { cpuMs } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import type { ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";
import type { ScaleOptions } from "./options.ts";
import { mib, rssMedian } from "./zen-lead.ts";

const { log, print } = figures("scale");

/** The idle figures the load phase compares with. */
export interface Idle {
  /** Median RSS over 10 s, MiB. */
  readonly rss: number;
  /** CPU per second of wall time, ms. */
  readonly cpuMsPerS: number;
}

/** Prints the idle figures of `z`; `floorRss` in MiB. */
export async function measureIdle(z: ZenLeadProcess, options: ScaleOptions, floorRss: number): Promise<Idle> {
  log(`idle for ${options.idleSeconds} s`);
  await sleep(options.idleSeconds * 1000);
  const cpu0 = cpuMs(z.pid);
  const rss = await rssMedian(z.pid, 10);
  const cpuMsPerS = (cpuMs(z.pid) - cpu0) / 10;
  const text = await z.metrics();
  const heapUsed = mib(text, "nodejs_heap_size_used_bytes");
  const heapTotal = mib(text, "nodejs_heap_size_total_bytes");
  const pods = options.services * options.podsPerService;
  print("idle: RSS (median of 10 s)", rss, "MiB");
  print("idle: JS heap used / total", `${round(heapUsed)} / ${round(heapTotal)}`, "MiB");
  print("idle: RSS / (2 x heap used + 100 MiB) (goal <= 1)", rss / (2 * heapUsed + 100), "x");
  print("idle: CPU", cpuMsPerS / 10, "% of a core");
  print("MiB per 1,000 pods (idle RSS over the floor)", (rss - floorRss) / (pods / 1000), "MiB");
  return { rss, cpuMsPerS };
}
