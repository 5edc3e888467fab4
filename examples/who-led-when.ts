/**
 * Who led when, and why: folds an event log recorded with `zen-lead record` (docs/event-log.md)
 * through @zen-lead/core and prints every leader change the core decides, with its time and reason.
 *
 *   node who-led-when.ts [LOG]     (default: leader-failover.jsonl.gz, next to this file)
 *
 * The log's records become the core's events (the table "Replaying a log through the core" in
 * docs/event-log.md): a RELIST_START … RELIST_END block is one `resync`, ADDED / MODIFIED / DELETED
 * go through `fromWatch`, and the clock is `recordedAt + t`, given to the core as a `tick` before
 * each record. `advance` folds them; its `LeaderChanged` Events carry who led and why.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import {
  advance,
  type ClusterEvent,
  type Decoded,
  decode,
  fromWatch,
  initialState,
  type Kind,
  type State,
} from "@zen-lead/core";

interface LogRecord {
  readonly t: number;
  readonly kind: Kind;
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "RELIST_START" | "RELIST_END" | "BOOKMARK";
  readonly object?: unknown;
}

const path = process.argv[2] ?? new URL("leader-failover.jsonl.gz", import.meta.url).pathname;
const bytes = readFileSync(path);
// Recorded logs may be gzip-compressed: readers go by the magic number, not the name.
const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
const [headerLine = "", ...lines] = text.split("\n").filter((line) => line !== "");
const header = JSON.parse(headerLine) as { format: string; version: number; recordedAt: string };
if (header.format !== "zen-lead/event-log" || header.version !== 1) {
  throw new Error(`${path}: not a zen-lead event log, version 1`);
}
const recordedAt = Date.parse(header.recordedAt);

let state: State = initialState(recordedAt);
/** Relists in progress, by kind: the objects listed so far. */
const relists = new Map<Kind, Decoded[]>();

function fold(event: ClusterEvent): void {
  const { state: next, actions } = advance(state, event);
  state = next;
  for (const action of actions) {
    if (action.type !== "event" || action.leaderChange === undefined) continue;
    const { from = "(none)", to = "(none)", cause } = action.leaderChange;
    const when = new Date(state.now).toISOString();
    console.log(`${when}  ${action.source.namespace}/${action.source.name}  ${from} -> ${to}  (${cause})`);
  }
}

for (const line of lines) {
  const record = JSON.parse(line) as LogRecord;
  fold({ type: "tick", now: recordedAt + record.t });
  switch (record.type) {
    case "RELIST_START":
      relists.set(record.kind, []);
      break;
    case "RELIST_END":
      fold({ type: "resync", kind: record.kind, objects: relists.get(record.kind) ?? [] });
      relists.delete(record.kind);
      break;
    case "ADDED":
    case "MODIFIED":
    case "DELETED": {
      const listed = relists.get(record.kind);
      if (listed !== undefined) listed.push(decode(record.kind, record.object));
      else fold(fromWatch(record.kind, record.type, record.object));
      break;
    }
    case "BOOKMARK":
      break;
  }
}
