/**
 * Replay: an event log recorded from a real cluster (docs/event-log.md) becomes a Simulation — the
 * world the recorded cluster went through — and the simulated zen-lead runs against it. Rules:
 *
 * - Time: virtual 0 is the header's `recordedAt` (`epochMs`); a record at `t` happens at `t`.
 * - The leading block of lists (every RELIST_START … RELIST_END before the first watch event or
 *   bookmark, the first list of each kind) is the cluster at time 0: `initial`.
 * - ADDED/MODIFIED become `put`, DELETED `remove`, at the record's `t`. BOOKMARKs change nothing.
 * - A later RELIST_START … RELIST_END of a kind means "this is now the whole kind": at the
 *   RELIST_END's `t`, a `remove` for every object of the kind missing from the list, then a `put`
 *   of every listed object (a put of an unchanged object is a no-op in the API model).
 * - zen-lead's own objects in the log — Services labelled `app.kubernetes.io/managed-by: zen-lead`
 *   and EndpointSlices labelled `endpointslice.kubernetes.io/managed-by: controller.zen-lead.io` —
 *   are dropped: they are what the recorded zen-lead wrote, and the simulated zen-lead writes its
 *   own. (A replay therefore starts as a cluster without zen-lead's objects: the first decisions
 *   are elections, not restorations.)
 * - The run ends `settleMs` (30 s by default) after the last record, so the controller's last
 *   writes, retries and timers can finish.
 *
 * Memory: `simulationFromLog` builds the whole timeline (fine for small logs and tests);
 * `replayEventLog`/`replayRecords` stream instead — the compiler keeps only the keys of each
 * kind's current objects and the relist being read, and the run holds only the current cluster.
 */
import { LABELS, MANAGED_BY, objectKey, parseTimestamp, SLICE_MANAGED_BY } from "@zen-lead/core";
import { storedNamespace } from "./api-model.ts";
import { type RunOptions, type SimulationRun, type SimulationSetup, startSimulation } from "./engine.ts";
import type { LoggedKind, LogHeader, LogRecord } from "./event-log/index.ts";
import {
  type ApiBehaviour,
  type ApiObject,
  DEFAULT_API_BEHAVIOUR,
  type SimReport,
  type Simulation,
  type TimedChange,
} from "./model.ts";

/** How to replay a log; every option has a default. */
export interface ReplayOptions {
  /** The report's name (default: `replay of <cluster>`). */
  readonly name?: string;
  /** Seeds the API model's failure injection (default 1; without injected failures it is unused). */
  readonly seed?: number;
  /** How the simulated API server behaves (default DEFAULT_API_BEHAVIOUR). */
  readonly api?: Partial<ApiBehaviour>;
  /** Virtual time run after the last record (default 30 s). */
  readonly settleMs?: number;
}

/** Default of `ReplayOptions.settleMs`: the controller's retries and timers (30 s) can finish. */
export const REPLAY_SETTLE_MS = 30_000;

/** Is this logged object one zen-lead wrote (dropped: the simulated zen-lead writes its own)? */
export function isZenLeadObject(kind: LoggedKind, object: ApiObject): boolean {
  const labels = object.metadata.labels as Readonly<Record<string, unknown>> | null | undefined;
  if (labels === undefined || labels === null || typeof labels !== "object") return false;
  if (kind === "Service") return labels[LABELS.managedBy] === MANAGED_BY;
  if (kind === "EndpointSlice") return labels[LABELS.sliceManagedBy] === SLICE_MANAGED_BY;
  return false;
}

/** The object's key as the API model stores it (core `objectKey`). */
function keyOf(kind: LoggedKind, object: ApiObject): string {
  return objectKey(storedNamespace(kind, object.metadata), object.metadata.name);
}

/**
 * Turns log records, in order, into the initial cluster and timeline changes. Keeps the keys of
 * each kind's current objects (to know what a relist removes) and the list being read; nothing else.
 */
export class LogCompiler {
  readonly initial: { kind: LoggedKind; object: ApiObject }[] = [];
  /** zen-lead's own objects seen in the log and dropped. */
  droppedOwn = 0;
  #inInitial = true;
  #lastT = 0;
  readonly #listed = new Set<LoggedKind>();
  readonly #open = new Map<LoggedKind, ApiObject[]>();
  readonly #known = new Map<LoggedKind, Set<string>>();

  /** True once the leading block of lists is over (the initial cluster is complete). */
  get initialDone(): boolean {
    return !this.#inInitial;
  }

  /** The `t` of the last record fed. */
  get lastT(): number {
    return this.#lastT;
  }

  #keys(kind: LoggedKind): Set<string> {
    let keys = this.#known.get(kind);
    if (keys === undefined) {
      keys = new Set();
      this.#known.set(kind, keys);
    }
    return keys;
  }

  #own(kind: LoggedKind, object: ApiObject): boolean {
    if (!isZenLeadObject(kind, object)) return false;
    this.droppedOwn++;
    return true;
  }

  /** Feeds one record; appends the timeline changes it makes to `out`. */
  push(record: LogRecord, out: TimedChange[]): void {
    const { t, kind } = record;
    this.#lastT = t;
    switch (record.type) {
      case "RELIST_START":
        this.#open.set(kind, []);
        return;
      case "RELIST_END": {
        const listed = this.#open.get(kind) ?? [];
        this.#open.delete(kind);
        const keys = this.#keys(kind);
        if (this.#inInitial && !this.#listed.has(kind)) {
          this.#listed.add(kind);
          for (const object of listed) {
            keys.add(keyOf(kind, object));
            this.initial.push({ kind, object });
          }
          return;
        }
        this.#inInitial = false;
        this.#listed.add(kind);
        const listedKeys = listed.map((object) => keyOf(kind, object));
        const now = new Set(listedKeys);
        for (const key of keys) {
          if (now.has(key)) continue;
          const slash = key.indexOf("/");
          const namespace = slash === -1 ? "" : key.slice(0, slash);
          const name = slash === -1 ? key : key.slice(slash + 1);
          out.push({ at: t, change: { type: "remove", kind, namespace, name } });
        }
        listed.forEach((object, i) => {
          out.push({ at: t, change: { type: "put", kind, object, key: listedKeys[i] as string } });
        });
        this.#known.set(kind, now);
        return;
      }
      case "BOOKMARK":
        this.#inInitial = false;
        return;
      case "ADDED":
      case "MODIFIED": {
        const object = record.object as ApiObject;
        const open = this.#open.get(kind);
        if (record.type === "ADDED" && open !== undefined) {
          if (!this.#own(kind, object)) open.push(object);
          return;
        }
        this.#inInitial = false;
        if (this.#own(kind, object)) return;
        const key = keyOf(kind, object);
        this.#keys(kind).add(key);
        out.push({ at: t, change: { type: "put", kind, object, key } });
        return;
      }
      case "DELETED": {
        this.#inInitial = false;
        const object = record.object as ApiObject;
        if (this.#own(kind, object)) return;
        const namespace = storedNamespace(kind, object.metadata);
        const name = object.metadata.name;
        this.#keys(kind).delete(objectKey(namespace, name));
        out.push({ at: t, change: { type: "remove", kind, namespace, name } });
        return;
      }
    }
  }
}

function setup(header: LogHeader, initial: LogCompiler["initial"], options: ReplayOptions): SimulationSetup {
  const epochMs = parseTimestamp(header.recordedAt);
  if (epochMs === undefined) throw new RangeError(`replay: recordedAt ${header.recordedAt} is not RFC 3339`);
  return {
    name: options.name ?? `replay of ${header.source.cluster}`,
    source: "replay",
    seed: options.seed ?? 1,
    epochMs,
    api: { ...DEFAULT_API_BEHAVIOUR, ...options.api },
    initial,
  };
}

/** A whole log as a Simulation (the timeline in memory: for small logs, tests and scenarios built on logs). */
export function simulationFromLog(
  header: LogHeader,
  records: Iterable<LogRecord>,
  options: ReplayOptions = {},
): Simulation {
  const compiler = new LogCompiler();
  const timeline: TimedChange[] = [];
  for (const record of records) compiler.push(record, timeline);
  return {
    ...setup(header, compiler.initial, options),
    timeline,
    endAt: compiler.lastT + (options.settleMs ?? REPLAY_SETTLE_MS),
  };
}

/**
 * Streams records through a run: the run starts once the initial lists are in, and is advanced
 * after each batch up to just before the last change's time (changes of that instant may follow).
 * The report is the one `runSimulation(simulationFromLog(...))` gives, in memory flat in log length.
 */
class StreamingReplay {
  readonly #compiler = new LogCompiler();
  readonly #pending: TimedChange[] = [];
  readonly #header: LogHeader;
  readonly #options: ReplayOptions & RunOptions;
  #run: SimulationRun | undefined;
  #lastChangeAt: number | undefined;

  constructor(header: LogHeader, options: ReplayOptions & RunOptions) {
    this.#header = header;
    this.#options = options;
  }

  #start(): SimulationRun {
    this.#run ??= startSimulation(setup(this.#header, this.#compiler.initial, this.#options), this.#options);
    return this.#run;
  }

  feed(records: Iterable<LogRecord>): void {
    for (const record of records) this.#compiler.push(record, this.#pending);
    if (this.#run === undefined && !this.#compiler.initialDone) return;
    const run = this.#start();
    const last = this.#pending[this.#pending.length - 1];
    for (const change of this.#pending) run.push(change);
    this.#pending.length = 0;
    if (last !== undefined) this.#lastChangeAt = last.at;
    // Only up to just before the last change: each timeline change must be queued by the time the
    // one before it runs, exactly as when the whole timeline is pushed first (runSimulation).
    if (this.#lastChangeAt !== undefined) run.runUntil(this.#lastChangeAt - 1);
  }

  finish(): SimReport {
    const run = this.#start();
    for (const change of this.#pending) run.push(change);
    this.#pending.length = 0;
    return run.finish(this.#compiler.lastT + (this.#options.settleMs ?? REPLAY_SETTLE_MS));
  }
}

/** Replays records (e.g. `parseEventLog(lines).records`) as a stream; synchronous. */
export function replayRecords(
  header: LogHeader,
  records: Iterable<LogRecord>,
  options: ReplayOptions & RunOptions = {},
): SimReport {
  const replay = new StreamingReplay(header, options);
  const batch: LogRecord[] = [];
  for (const record of records) {
    batch.push(record);
    if (batch.length === 1024) {
      replay.feed(batch);
      batch.length = 0;
    }
  }
  replay.feed(batch);
  return replay.finish();
}

/** Replays an open log file (`openEventLog(path)` gives `header` and `batches`) as a stream. */
export async function replayEventLog(
  header: LogHeader,
  batches: AsyncIterable<readonly LogRecord[]>,
  options: ReplayOptions & RunOptions = {},
): Promise<SimReport> {
  const replay = new StreamingReplay(header, options);
  for await (const batch of batches) replay.feed(batch);
  return replay.finish();
}
