/**
 * Replay throughput, end to end: a generated event log (default 1,000,000 records, 100 Services ×
 * 10 Pods) is written to a temp file, then read, parsed, decoded, run through the core on virtual
 * time against the API model, and reported (text and JSON). Prints `name: value unit` lines.
 *
 *   node --expose-gc packages/sim/bench/replay.bench.ts [--events N] [--services N]
 *       [--pods-per-service N] [--seed N] [--gzip] [--keep]
 *
 * For comparison in the same run, on the same file: the floor — reading it and `JSON.parse` of
 * every line, nothing else — and the event-log reader alone (parse + validate). Memory: peak RSS
 * and heap sampled after every batch, and the live heap after a forced GC at the end.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createGunzip } from "node:zlib";
import { openEventLog, syntheticLog, writeLogLines } from "../src/event-log/index.ts";
import { replayEventLog } from "../src/replay.ts";
import { renderJson } from "../src/report-json.ts";
import { renderText } from "../src/report-text.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    services: { type: "string", default: "100" },
    "pods-per-service": { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    gzip: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
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
  let started = performance.now();
  await writeLogLines(
    file,
    syntheticLog({ services: SERVICES, podsPerService: PODS, events: EVENTS, seed: Number(values.seed) }),
  );
  const size = (await stat(file)).size;
  print("log-records", EVENTS, "records");
  print("log-size", mb(size), "MB");
  print("log-write-time", ((performance.now() - started) / 1000).toFixed(2), "s");

  // The floor: read the file and JSON.parse every line, nothing else.
  gc?.();
  started = performance.now();
  let lines = 0;
  {
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
  }
  const floorSeconds = (performance.now() - started) / 1000;
  print("floor-json-parse", Math.round((lines - 1) / floorSeconds), "records/s");

  // The event-log reader alone: parse and validate every record.
  gc?.();
  started = performance.now();
  let read = 0;
  {
    const log = await openEventLog(file);
    for await (const batch of log.batches) read += batch.length;
  }
  const readSeconds = (performance.now() - started) / 1000;
  print("reader-only", Math.round(read / readSeconds), "records/s");

  // End to end: read + parse + decode + fold + report.
  gc?.();
  peakRss = 0;
  peakHeap = 0;
  started = performance.now();
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
  const seconds = (performance.now() - started) / 1000;
  print("replay-end-to-end", Math.round(records / seconds), "records/s");
  print("replay-time", seconds.toFixed(2), "s");
  print("replay-vs-floor", ((floorSeconds / seconds) * 100).toFixed(0), "% of JSON.parse-only speed");
  print("peak-rss", mb(peakRss), "MB");
  print("peak-heap", mb(peakHeap), "MB");
  gc?.();
  print("live-heap-after", mb(process.memoryUsage().heapUsed), "MB");
  print("report-json-size", mb(json.length), "MB");
  print("report-text-size", mb(text.length), "MB");
  print("sim-controller-events", report.stats.events, "events");
  print("sim-writes", report.stats.writes, "writes");
  print("sim-leader-changes", report.stats.failovers, "changes");
  print("sim-violations", report.violations.length + (report.omitted?.violations ?? 0), "violations");
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  else console.error(`kept ${file}`);
}
