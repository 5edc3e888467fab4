/**
 * Who led when, and why: folds an event log recorded with `zen-lead record` (docs/event-log.md)
 * through @zen-lead/core and prints every leader change the core decides, with its time and reason.
 *
 *   node who-led-when.ts [LOG]     (default: leader-failover.jsonl.gz, next to this file)
 *
 * @zen-lead/sim reads the log (`openEventLog`: plain or gzip, header and every record checked); the
 * core decides. The log's records become the core's events (the table "Replaying a log through the
 * core" in docs/event-log.md): a RELIST_START … RELIST_END block is one `resync`, ADDED / MODIFIED /
 * DELETED go through `fromWatch`, and the clock is `recordedAt + t`, given to the core as a `tick`
 * before each record. `advance` folds them; its `LeaderChanged` Events carry who led and why.
 *
 * A log that cannot be read or is malformed is the user's input, not a crash: its one-line reason
 * (`FILE:LINE: reason`, the library's EventLogError) on stderr and exit code 2, as `zen-lead replay`.
 */
import {
  advance,
  type ClusterEvent,
  type Decoded,
  decode,
  fromWatch,
  initialState,
  type State,
} from "@zen-lead/core";
import { EventLogError, type LoggedKind, openEventLog } from "@zen-lead/sim";

const path = process.argv[2] ?? new URL("leader-failover.jsonl.gz", import.meta.url).pathname;

/** Prints the leader changes of the log at `path`; rejects with EventLogError on a bad log. */
async function whoLedWhen(path: string): Promise<void> {
  const log = await openEventLog(path);
  const recordedAt = Date.parse(log.header.recordedAt);
  let state: State = initialState(recordedAt);
  /** Relists in progress, by kind: the objects listed so far. */
  const relists = new Map<LoggedKind, Decoded[]>();

  const fold = (event: ClusterEvent): void => {
    const { state: next, actions } = advance(state, event);
    state = next;
    for (const action of actions) {
      if (action.type !== "event" || action.leaderChange === undefined) continue;
      const { from = "(none)", to = "(none)", cause } = action.leaderChange;
      const when = new Date(state.now).toISOString();
      console.log(`${when}  ${action.source.namespace}/${action.source.name}  ${from} -> ${to}  (${cause})`);
    }
  };

  // Iteration throws EventLogError at the first bad line (and closes the file).
  for await (const record of log.records) {
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
}

try {
  await whoLedWhen(path);
} catch (error) {
  if (!(error instanceof EventLogError)) throw error; // a bug, not bad input: the stack trace helps
  console.error(`who-led-when: ${error.message}`);
  process.exitCode = 2;
}
