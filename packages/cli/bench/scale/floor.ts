/**
 * Phase 1, the floor: zen-lead watching one empty namespace (it still lists Nodes) — the process
 * with nothing to keep: its start to ready, RSS and JS heap.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { figures } from "@zen-lead/test-cluster/figures";
import { ensure } from "./api.ts";
import { mib, rssMedian, type ZenLeads } from "./zen-lead.ts";

const { print } = figures("scale");

/** Prints the floor's figures; resolves with its RSS (median of 10 s, MiB). */
export async function measureFloor(kc: KubeConfig, zenLeads: ZenLeads): Promise<number> {
  await ensure(kc, "/api/v1/namespaces", { metadata: { name: "scale-empty" } });
  const z = await zenLeads.start("floor", ["-n", "scale-empty"]);
  const ready = (await z.until("/readyz", 300_000)) - z.startedAt;
  const rss = await rssMedian(z.pid, 10);
  const text = await z.metrics();
  await z.stop();
  print("floor (one empty namespace): start to ready", ready, "ms");
  print("floor: RSS", rss, "MiB");
  print("floor: JS heap used", mib(text, "nodejs_heap_size_used_bytes"), "MiB");
  return rss;
}
