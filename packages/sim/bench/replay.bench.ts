/**
 * Replay throughput, end to end: a generated event log (default 1,000,000 records, 100 Services ×
 * 10 Pods) is written to a temp file, then read, parsed, decoded, run through the core on virtual
 * time against the API model, and reported (text and JSON). Prints `name: value unit` lines.
 *
 *   node --expose-gc packages/sim/bench/replay.bench.ts [--events N] [--services N]
 *       [--pods-per-service N] [--seed N] [--gzip] [--keep] [--runs N]
 *
 * For comparison in the same run, on the same file: the floor — reading it and `JSON.parse` of
 * every line, nothing else — and the event-log reader alone (parse + validate). Floor and replay
 * alternate `--runs` times; throughput is per CPU second of the process (user + system), since
 * on a shared machine wall time also counts the other processes' turns. Memory: peak RSS
 * and heap sampled after every batch, and the live heap after a forced GC at the end.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { openEventLog, syntheticLog, writeLogLines } from "../src/event-log/index.ts";
import { replayEventLog } from "../src/replay.ts";
import { renderJson } from "../src/report-json.ts";
import { renderText } from "../src/report-text.ts";

const values = benchArgs(
  "replay.bench.ts",
  "replay.bench.ts [--events N] [--services N] [--pods-per-service N] [--seed N] [--gzip] [--keep] [--runs N]",
  {
    events: { type: "string", default: "1000000" },
    services: { type: "string", default: "100" },
    "pods-per-service": { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    gzip: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    runs: { type: "string", default: "1" },
  },
  ["events", "services", "pods-per-service", "runs"],
);
const RUNS = Number(values.runs);
const EVENTS = Number(values.events);
const SERVICES = Number(values.services);
const PODS = Number(values["pods-per-service"]);

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const print = (name: string, value: string | number, unit: string) =>
  console.log(`${name}: ${value} ${unit}`);

let peakRss = 0;
let peakHeap = 0;
function sample() {
  const m = process.memoryUsage();
  if (m.rss > peakRss) peakRss = m.rss;
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
}

const dir = await mkdtemp(join(tmpdir(), "zen-lead-replay-bench-"));
const file = join(dir, values.gzip ? "events.jsonl.gz" : "events.jsonl");
try {
  const started = performance.now();
  await writeLogLines(
    file,
    syntheticLog({ services: SERVICES, podsPerService: PODS, events: EVENTS, seed: Number(values.seed) }),
  );
  const size = (await stat(file)).size;
  print("log-records", EVENTS, "records");
  print("log-size", mb(size), "MB");
  print("log-write-time", ((performance.now() - started) / 1000).toFixed(2), "s");

  /** CPU seconds of this process since `from` (user + system): what a run costs on a shared machine. */
  const cpuSince = (from: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(from);
    return (used.user + used.system) / 1e6;
  };

  // The floor: read the file and JSON.parse every line, nothing else.
  async function floor() {
    gc?.();
    const wall = performance.now();
    const cpu = process.cpuUsage();
    let lines = 0;
    const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
    const text = values.gzip ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
    text.setEncoding("utf8");
    let partial = "";
    for await (const chunk of text as AsyncIterable<string>) {
      let start = 0;
      let nl = chunk.indexOf("\n");
      while (nl !== -1) {
        const line = start === 0 ? partial + chunk.slice(0, nl) : chunk.slice(start, nl);
        JSON.parse(line);
        lines++;
        start = nl + 1;
        nl = chunk.indexOf("\n", start);
      }
      partial = start === 0 ? partial + chunk : chunk.slice(start);
    }
    if (partial !== "") {
      JSON.parse(partial);
      lines++;
    }
    return { records: lines - 1, cpu: cpuSince(cpu), wall: (performance.now() - wall) / 1000 };
  }

  // The event-log reader alone: parse and validate every record.
  gc?.();
  const readCpu = process.cpuUsage();
  let read = 0;
  {
    const log = await openEventLog(file);
    for await (const batch of log.batches) read += batch.length;
  }
  print("reader-only", Math.round(read / cpuSince(readCpu)), "records/CPU-s");

  // End to end: read + parse + decode + fold + report.
  async function replay() {
    gc?.();
    peakRss = 0;
    peakHeap = 0;
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const log = await openEventLog(file);
    let records = 0;
    async function* counted() {
      for await (const batch of log.batches) {
        records += batch.length;
        sample();
        yield batch;
      }
    }
    const report = await replayEventLog(log.header, counted(), { name: "bench" });
    const json = renderJson(report);
    const text = renderText(report);
    sample();
    return { records, cpu: cpuSince(cpu), wall: (performance.now() - wall) / 1000, report, json, text };
  }

  // Floor and replay alternate, so both meet the same machine load; CPU time is what they cost.
  // Only the figures of each run are kept (and the last report), so runs do not hold each other's.
  const floors: { cpu: number }[] = [];
  const replays: { cpu: number; wall: number }[] = [];
  let last: Awaited<ReturnType<typeof replay>> | undefined;
  for (let r = 0; r < RUNS; r++) {
    floors.push({ cpu: (await floor()).cpu });
    last = undefined;
    last = await replay();
    replays.push({ cpu: last.cpu, wall: last.wall });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const floorCpu = median(floors.map((f) => f.cpu));
  const replayCpu = median(replays.map((x) => x.cpu));
  const ratio = median(replays.map((x, i) => x.cpu / (floors[i] as { cpu: number }).cpu));
  if (last === undefined) throw new Error("--runs must be at least 1");
  const { report, json, text, records } = last;
  print("floor-json-parse", Math.round(records / floorCpu), "records/CPU-s");
  print("replay-end-to-end", Math.round(records / replayCpu), "records/CPU-s");
  print(
    "replay-time",
    `${replayCpu.toFixed(2)} CPU-s, ${median(replays.map((x) => x.wall)).toFixed(2)}`,
    "s wall",
  );
  print(
    "replay-vs-floor",
    ratio.toFixed(2),
    `x the CPU time of JSON.parse alone (median of ${RUNS}; goal <= 4: ${ratio <= 4 ? "met" : "NOT met"})`,
  );
  print("peak-rss", mb(peakRss), "MB");
  print("peak-heap", mb(peakHeap), "MB");
  gc?.();
  print("live-heap-after", mb(process.memoryUsage().heapUsed), "MB");
  print("report-json-size", mb(json.length), "MB");
  print("report-text-size", mb(text.length), "MB");
  print("sim-controller-events", report.stats.events, "events");
  print("sim-writes", report.stats.writes, "writes");
  print("sim-leader-changes", report.stats.leaderChanges, "changes");
  print("sim-failovers", report.stats.failovers, "failovers");
  print("sim-violations", report.violations.length + (report.omitted?.violations ?? 0), "violations");
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  else console.error(`kept ${file}`);
}
