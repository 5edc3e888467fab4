/**
 * This core against another version of it, in one process, on one recorded event stream: the way
 * to tell whether a change to the fold is faster when the machine's load moves the figures of
 * separate runs by more than the change. Prints `name: value unit` lines.
 *
 *   ./scripts/bench core-ab REV [--workload mixed|steady|small] [--events N] [--runs N]
 *   node --expose-gc packages/core/bench/fold-ab.bench.ts --base DIR [options]
 *
 * `DIR` holds the other version's `packages/core` (`./scripts/bench core-ab REV` exports it from
 * git). Each run loads a fresh state into each version (not timed) and folds the same stream —
 * recorded once with the reference fold, echoes included — alternating which version goes first;
 * both must make the same number of writes. The figure is the median of base/this CPU time over
 * the pairs: above 1, this version is faster.
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import {
  type Cluster,
  type Core,
  cluster,
  cpuSeconds,
  isWrite,
  load,
  median,
  record,
  type Stream,
} from "./fold-workload.ts";

const values = benchArgs(
  "fold-ab.bench.ts",
  "fold-ab.bench.ts --base DIR [--workload mixed|steady|small] [--events N] [--runs N] [--seed N]",
  {
    base: { type: "string" },
    workload: { type: "string", default: "mixed" },
    events: { type: "string", default: "100000" },
    runs: { type: "string", default: "6" },
    seed: { type: "string", default: "42" },
  },
  ["events", "runs"],
  { workload: ["mixed", "steady", "small"] },
);
if (values.base === undefined) {
  console.error("fold-ab.bench.ts: --base DIR is required (the other version's packages/core)");
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
const here: Core = await import("../src/index.ts");
const base: Core = await import(pathToFileURL(join(values.base, "src", "index.ts")).href);

/** One fold of the whole stream from a freshly loaded state: CPU seconds and writes asked for. */
function fold(core: Core, c: Cluster, stream: Stream): { cpu: number; writes: number } {
  let state = load(c, core).state;
  gc?.();
  let writes = 0;
  const start = process.cpuUsage();
  for (const event of stream.events) {
    const r = core.advance(state, event);
    state = r.state;
    for (const a of r.actions) if (isWrite(a)) writes++;
  }
  return { cpu: cpuSeconds(start), writes };
}

const workload = values.workload as "mixed" | "steady" | "small";
// The fold benchmark's clusters: 10k Services / 100k pods, or 100 Services / 1,000 pods.
const c = workload === "small" ? cluster(100, 10, 10) : cluster(10_000, 100, 10);
const stream = record(load(c), workload === "steady", Number(values.events), Number(values.seed));
const ratios: number[] = [];
for (let r = 0; r < Number(values.runs); r++) {
  const first = r % 2 === 0 ? base : here;
  const a = fold(first, c, stream);
  const b = fold(first === base ? here : base, c, stream);
  const [old, now] = first === base ? [a, b] : [b, a];
  if (old.writes !== now.writes)
    throw new Error(`the base made ${old.writes} writes, this version ${now.writes}`);
  ratios.push(old.cpu / now.cpu);
  console.log(`pair ${r + 1}: base ${old.cpu.toFixed(2)} CPU-s, this ${now.cpu.toFixed(2)} CPU-s`);
}
console.log(`events: ${stream.events.length} (${workload}, ${c.pods.length} pods)`);
console.log(
  `base / this: ${median(ratios).toFixed(3)} (median of ${ratios.length} pairs; above 1: this is faster)`,
);
