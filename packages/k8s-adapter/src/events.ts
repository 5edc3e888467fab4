/**
 * Kubernetes Events (events.k8s.io/v1) on the source Service, from the core's `EventAction`s.
 *
 * Repeats are aggregated into a series, as client-go's events recorder does: the first occurrence
 * of (regarding object, type, reason, note) creates an Event; repeats within `seriesWindowMs` of
 * the previous occurrence PATCH that Event's `series: {count, lastObservedTime}` instead of creating
 * new ones. `series.count` counts every occurrence, the first included (so 1 + 10 repeats -> 11).
 * Patches for one series never overlap: repeats that arrive while a write is in flight are merged
 * into the next patch.
 *
 * Every write (a create or a series patch) takes a token from a per-source bucket (client-go's spam
 * filter: burst 25, one token back every 5 minutes), so a flapping pod cannot flood the API. A new
 * Event without a token is dropped (reported); a series update without a token waits for the next
 * token and then writes the latest count. Nothing here throws to the caller: API failures and drops
 * go to `onError`.
 *
 * Read-back (`readBack`): after a restart, or on gaining the Lease, the Warnings zen-lead already
 * recorded stand in the cluster; the fold announces every standing warning once more. So the
 * recorder lists zen-lead's Events first (records arriving meanwhile wait) and adopts each as a
 * series: the first occurrence of a Warning the cluster already carries (same Service, reason and
 * note) is absorbed — no write, outcome `already-recorded`, not logged again. A later occurrence
 * (the warning went away and came back) is a repeat, as ever.
 */
import type { EventsV1Event, KubeConfig } from "@kubernetes/client-node";
// The client's index loads every generated API model (~45 MiB): take MicroTime from its own module.
import { V1MicroTime } from "@kubernetes/client-node/dist/types.js";
import { type EventAction, scheduleAfter } from "@zen-lead/core";
import { asyncScheduler, type SchedulerLike, type Subscription } from "rxjs";
import { request, statusOf } from "./http.ts";
import { SpamFilter } from "./spam-filter.ts";

/** `reportingController` of zen-lead's Events: how the read-back and `zen-lead status` find them. */
export const REPORTING_CONTROLLER = "zen-lead.io/controller";
/** The API's limit on `note`, in bytes. */
export const NOTE_LIMIT_BYTES = 1024;

/** An Event zen-lead recorded, as read back from the cluster. */
export interface RecordedEvent {
  /** The Event's own namespace and name (the namespace is also its source Service's). */
  readonly namespace: string;
  readonly name: string;
  /** The source Service it is about. */
  readonly regarding: { readonly name: string; readonly uid?: string };
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly note: string;
  /** series.count, or 1. */
  readonly count: number;
  /** series.lastObservedTime, else eventTime: epoch ms. */
  readonly lastObserved: number;
}

/**
 * The writes (and the read-back) the recorder makes; `kubeEventSink` is the real one, tests pass a
 * fake. Errors carry their HTTP status where `statusOf` finds it.
 */
export interface EventSink {
  /** Creates the Event in `namespace`. */
  create(namespace: string, event: EventsV1Event): Promise<void>;
  /** zen-lead's Events (reportingController REPORTING_CONTROLLER) in a namespace, or in all. */
  list(namespace: string | undefined): Promise<readonly RecordedEvent[]>;
  /** Merge-patches `series` of the named Event. A missing Event must reject with status 404. */
  patchSeries(
    namespace: string,
    name: string,
    series: { count: number; lastObservedTime: number },
  ): Promise<void>;
}

/**
 * Why an occurrence was not (fully) written, for a warn line: `rate-limited` — a new Event dropped
 * by the spam filter; `api-error` — a create or patch failed (after a failed create, the next occurrence creates anew);
 * `read-back-failed` — the list of zen-lead's Events failed (standing warnings may be repeated).
 */
export type EventProblem =
  | { readonly kind: "rate-limited"; readonly action: EventAction }
  | { readonly kind: "api-error"; readonly action: EventAction; readonly error: unknown }
  | { readonly kind: "read-back-failed"; readonly error: unknown };

/**
 * What `record` did with an occurrence: `created` a new Event, counted a `repeat` in a series,
 * found it `already-recorded` in the cluster (read back: nothing written), or dropped it
 * (`rate-limited`).
 */
export type RecordOutcome = "created" | "repeat" | "already-recorded" | "rate-limited";

/** Where and how to record; the defaults are client-go's events recorder's. */
export interface EventRecorderOptions {
  readonly sink: EventSink;
  /** `reportingInstance`: the pod name (or hostname) of this controller replica. */
  readonly instance: string;
  /** Timers and the clock. Default `asyncScheduler` (wall-clock ms). */
  readonly scheduler?: SchedulerLike;
  /** A repeat more than this long after the previous occurrence starts a new Event. Default 6 min. */
  readonly seriesWindowMs?: number;
  /** Writes a source Service may make at once. Default 25. */
  readonly burst?: number;
  /** One write token comes back per this interval, per source. Default 5 min. */
  readonly refillMs?: number;
  /** Each problem, when it happens; a reporter that throws is ignored. */
  readonly onError?: (problem: EventProblem) => void;
  /** Each occurrence's outcome, when it is decided (log it unless `already-recorded`). */
  readonly onOutcome?: (action: EventAction, outcome: RecordOutcome) => void;
}

/** Turns the core's `EventAction`s into Events (series, spam filter, read-back: module comment). */
export interface EventRecorder {
  /** Records an occurrence; never throws, never waits. After `close()`, does nothing. */
  record(action: EventAction): void;
  /**
   * Lists the Events zen-lead already recorded in these namespaces (all when empty) and adopts
   * them; occurrences recorded meanwhile wait for it. Never throws: a failed list is reported
   * (`read-back-failed`) and recording goes on without it. Resolves when done.
   */
  readBack(namespaces?: readonly string[]): Promise<void>;
  /** Cancels pending series updates (waiting for a token); in-flight writes finish on their own. */
  close(): void;
}

/** Truncates to at most `limit` UTF-8 bytes without splitting a character, marking the cut. */
export function truncateNote(note: string, limit = NOTE_LIMIT_BYTES): string {
  const encoder = new TextEncoder();
  if (encoder.encode(note).length <= limit) return note;
  const marker = "…";
  let budget = limit - encoder.encode(marker).length;
  let out = "";
  for (const char of note) {
    const size = encoder.encode(char).length;
    if (size > budget) break;
    budget -= size;
    out += char;
  }
  return out + marker;
}

/** The `action` field (what zen-lead did): electing a leader, or warning about something. */
export function actionOf(event: EventAction): string {
  if (event.reason === "LeaderChanged") return "Elect";
  return event.eventType === "Warning" ? "Warn" : "Reconcile";
}

/** One Event zen-lead writes and keeps counting: an occurrence and its repeats. */
interface Series {
  /** `seriesKey(source, type, reason, note)`: what makes two occurrences one series. */
  readonly key: string;
  /** The source Service (`namespace/name/uid`): whose spam-filter tokens its writes spend. */
  readonly sourceKey: string;
  readonly namespace: string;
  /** The first occurrence (what the Event says). */
  readonly action: EventAction;
  /** The Event's name; a new one when the Event has gone (404) and is created again. */
  name: string;
  /** Occurrences so far, the first included (`series.count`). */
  count: number;
  /** When the last occurrence was recorded, ms. */
  lastObserved: number;
  /** The Event exists on the server (the create succeeded, or it was read back). */
  created: boolean;
  /** A create or patch is in flight: at most one per series at a time. */
  inFlight: boolean;
  /** Occurrences not yet written (the next patch carries them). */
  dirty: boolean;
  /** The timer of a series update waiting for a spam-filter token. */
  waiting: Subscription | undefined;
  /** Read back from the cluster: its next occurrence is the standing one, already recorded. */
  adopted: boolean;
}

const seriesKey = (sourceKey: string, type: string, reason: string, note: string) =>
  JSON.stringify([sourceKey, type, reason, note]);

/**
 * Builds a recorder; nothing is requested before the first `record` or `readBack`. Defaults:
 * `scheduler` asyncScheduler, `seriesWindowMs` 6 min, `burst` 25, `refillMs` 5 min (client-go's).
 */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  return new SeriesEventRecorder(options);
}

class SeriesEventRecorder implements EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #scheduler: SchedulerLike;
  /** A repeat later than this after the previous occurrence starts a new Event, ms. */
  readonly #windowMs: number;
  /** Write tokens per source Service. */
  readonly #spam: SpamFilter;
  /** The series seen within the window (or with a write pending), by series key. */
  readonly #series = new Map<string, Series>();
  /** Makes Event names unique among those created in the same ms. */
  #sequence = 0;
  /** When finished series and full buckets were last forgotten, ms. */
  #lastSweep: number;
  /** `close()` was called: nothing more is recorded or written. */
  #closed = false;
  /** Occurrences recorded while a read-back runs, in order; undefined when none runs. */
  #heldForReadBack: EventAction[] | undefined;

  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#windowMs = options.seriesWindowMs ?? 6 * 60_000;
    this.#spam = new SpamFilter(options.burst ?? 25, options.refillMs ?? 5 * 60_000);
    this.#lastSweep = this.#scheduler.now();
  }

  record(action: EventAction): void {
    if (this.#closed) return;
    if (this.#heldForReadBack !== undefined) {
      this.#heldForReadBack.push(action);
      return;
    }
    try {
      this.#recordNow(action);
    } catch (error) {
      this.#report({ kind: "api-error", action, error });
    }
  }

  async readBack(namespaces: readonly string[] = []): Promise<void> {
    if (this.#heldForReadBack !== undefined) return;
    this.#heldForReadBack = [];
    try {
      const lists = await Promise.all(
        (namespaces.length === 0 ? [undefined] : namespaces).map((ns) => this.#options.sink.list(ns)),
      );
      for (const list of lists) for (const e of list) this.#adopt(e);
    } catch (error) {
      this.#report({ kind: "read-back-failed", error });
    }
    const held = this.#heldForReadBack;
    this.#heldForReadBack = undefined;
    for (const action of held) this.record(action);
  }

  close(): void {
    this.#closed = true;
    this.#heldForReadBack = undefined;
    for (const s of this.#series.values()) s.waiting?.unsubscribe();
  }

  #report(problem: EventProblem): void {
    try {
      this.#options.onError?.(problem);
    } catch {
      // A failing reporter must not break recording.
    }
  }

  #outcome(action: EventAction, what: RecordOutcome): void {
    try {
      this.#options.onOutcome?.(action, what);
    } catch {
      // A failing reporter must not break recording.
    }
  }

  /** Counts one occurrence: absorbed (adopted), a repeat of its series, or a new Event. */
  #recordNow(action: EventAction): void {
    const now = this.#scheduler.now();
    this.#sweep(now);
    const src = action.source;
    const sourceKey = `${src.namespace}/${src.name}/${src.uid ?? ""}`;
    const note = truncateNote(action.note);
    const key = seriesKey(sourceKey, action.eventType, action.reason, note);
    const existing = this.#series.get(key);
    if (existing?.adopted === true) {
      // The standing warning the cluster already carries: announced before, not again.
      existing.adopted = false;
      existing.lastObserved = Math.max(existing.lastObserved, now);
      this.#outcome(action, "already-recorded");
      return;
    }
    if (existing !== undefined && now - existing.lastObserved <= this.#windowMs) {
      existing.count += 1;
      existing.lastObserved = now;
      existing.dirty = true;
      this.#flush(existing);
      this.#outcome(action, "repeat");
      return;
    }
    if (!this.#spam.take(sourceKey, now)) {
      this.#report({ kind: "rate-limited", action });
      this.#outcome(action, "rate-limited");
      return;
    }
    existing?.waiting?.unsubscribe();
    const s: Series = {
      key,
      sourceKey,
      namespace: src.namespace,
      action,
      name: this.#eventName(src.name, now),
      count: 1,
      lastObserved: now,
      created: false,
      inFlight: false,
      dirty: false,
      waiting: undefined,
      adopted: false,
    };
    this.#series.set(key, s);
    this.#create(s, now);
    this.#outcome(action, "created");
  }

  /** Makes an Event read back from the cluster the series of its (source, type, reason, note). */
  #adopt(e: RecordedEvent): void {
    // Only Warnings stand: a leader change is announced once by whoever publishes it.
    if (e.type !== "Warning") return;
    const sourceKey = `${e.namespace}/${e.regarding.name}/${e.regarding.uid ?? ""}`;
    const key = seriesKey(sourceKey, e.type, e.reason, e.note);
    const known = this.#series.get(key);
    if (known !== undefined && (known.inFlight || known.lastObserved >= e.lastObserved)) {
      known.adopted = true;
      return;
    }
    known?.waiting?.unsubscribe();
    const action: EventAction = {
      type: "event",
      source: {
        namespace: e.namespace,
        name: e.regarding.name,
        ...(e.regarding.uid ? { uid: e.regarding.uid } : {}),
      },
      eventType: e.type,
      reason: e.reason as EventAction["reason"],
      note: e.note,
    };
    this.#series.set(key, {
      key,
      sourceKey,
      namespace: e.namespace,
      action,
      name: e.name,
      count: e.count,
      lastObserved: e.lastObserved,
      created: true,
      inFlight: false,
      dirty: false,
      waiting: undefined,
      adopted: true,
    });
  }

  /** Forgets finished series and full buckets (at most once a window), so memory follows recent activity. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const [key, s] of this.#series) {
      if (now - s.lastObserved > this.#windowMs && !s.inFlight && !s.dirty) this.#series.delete(key);
    }
    this.#spam.sweep(now);
  }

  /** `<source>.<hex of now in ns + sequence>`: unique, and sorted by time like client-go's. */
  #eventName(sourceName: string, now: number): string {
    return `${sourceName}.${(BigInt(now) * 1_000_000n + BigInt(this.#sequence++ % 1_000_000)).toString(16)}`;
  }

  /** The series' Event, first observed at `firstAt` (ms). */
  #body(s: Series, firstAt: number): EventsV1Event {
    const a = s.action;
    const event: EventsV1Event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: s.name, namespace: s.namespace },
      eventTime: new V1MicroTime(firstAt),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#options.instance,
      action: actionOf(a),
      type: a.eventType,
      reason: a.reason,
      note: truncateNote(a.note),
      regarding: {
        apiVersion: "v1",
        kind: "Service",
        namespace: a.source.namespace,
        name: a.source.name,
        ...(a.source.uid === undefined ? {} : { uid: a.source.uid }),
      },
    };
    const to = a.leaderChange?.to;
    if (to !== undefined) event.related = { apiVersion: "v1", kind: "Pod", namespace: s.namespace, name: to };
    if (s.count > 1) event.series = { count: s.count, lastObservedTime: new V1MicroTime(s.lastObserved) };
    return event;
  }

  /** Creates the series' Event (its token already taken); a failure forgets the series. */
  #create(s: Series, firstAt: number): void {
    s.inFlight = true;
    s.dirty = false;
    s.created = false;
    this.#options.sink.create(s.namespace, this.#body(s, firstAt)).then(
      () => {
        s.inFlight = false;
        s.created = true;
        this.#flush(s);
      },
      (error: unknown) => {
        s.inFlight = false;
        // The next occurrence starts over with a fresh Event.
        if (this.#series.get(s.key) === s) this.#series.delete(s.key);
        this.#report({ kind: "api-error", action: s.action, error });
      },
    );
  }

  /**
   * Writes the series' unwritten occurrences, one patch at a time, when its Event exists and a
   * token is there (else when the next one returns); an Event gone (404) is created again.
   */
  #flush(s: Series): void {
    if (this.#closed || !s.created || s.inFlight || !s.dirty || s.waiting !== undefined) return;
    const now = this.#scheduler.now();
    if (!this.#spam.take(s.sourceKey, now)) {
      s.waiting = scheduleAfter(this.#scheduler, this.#spam.nextTokenIn(s.sourceKey, now), () => {
        s.waiting = undefined;
        this.#flush(s);
      });
      return;
    }
    s.inFlight = true;
    s.dirty = false;
    const count = s.count;
    this.#options.sink.patchSeries(s.namespace, s.name, { count, lastObservedTime: s.lastObserved }).then(
      () => {
        s.inFlight = false;
        this.#flush(s);
      },
      (error: unknown) => {
        s.inFlight = false;
        if (statusOf(error) === 404) {
          // The Event expired or was deleted: write the series as a new Event.
          s.name = this.#eventName(s.action.source.name, now);
          this.#create(s, now);
          return;
        }
        this.#report({ kind: "api-error", action: s.action, error });
      },
    );
  }
}

const eventsPath = (namespace: string, name?: string) =>
  `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events${
    name === undefined ? "" : `/${encodeURIComponent(name)}`
  }`;

/**
 * The real sink: raw requests through the KubeConfig's shared connection pool (http.ts), merge
 * patches for series updates. MicroTimes serialize with 6 fractional digits (V1MicroTime's JSON).
 */
export function kubeEventSink(kc: KubeConfig): EventSink {
  return {
    async create(namespace, event) {
      await request(kc, "POST", eventsPath(namespace), {
        body: { ...event, apiVersion: "events.k8s.io/v1", kind: "Event" },
      });
    },
    async list(namespace) {
      const out: RecordedEvent[] = [];
      let cont: string | undefined;
      do {
        const page = (await request(
          kc,
          "GET",
          namespace === undefined ? "/apis/events.k8s.io/v1/events" : eventsPath(namespace),
          {
            query: {
              fieldSelector: `reportingController=${REPORTING_CONTROLLER}`,
              limit: 500,
              continue: cont,
            },
          },
        )) as { items?: unknown[]; metadata?: { continue?: string } } | undefined;
        for (const item of page?.items ?? []) {
          const e = recordedEvent(item);
          if (e !== undefined) out.push(e);
        }
        cont = page?.metadata?.continue || undefined;
      } while (cont !== undefined);
      return out;
    },
    async patchSeries(namespace, name, series) {
      await request(kc, "PATCH", eventsPath(namespace, name), {
        contentType: "application/merge-patch+json",
        body: {
          series: { count: series.count, lastObservedTime: new V1MicroTime(series.lastObservedTime) },
        },
      });
    },
  };
}

/** An events.k8s.io/v1 Event as the read-back needs it; undefined when it is not one of zen-lead's. */
function recordedEvent(raw: unknown): RecordedEvent | undefined {
  const e = raw as {
    metadata?: { name?: unknown; namespace?: unknown };
    regarding?: { name?: unknown; uid?: unknown };
    type?: unknown;
    reason?: unknown;
    note?: unknown;
    reportingController?: unknown;
    eventTime?: unknown;
    series?: { count?: unknown; lastObservedTime?: unknown };
  } | null;
  const name = e?.metadata?.name;
  const namespace = e?.metadata?.namespace;
  const regarding = e?.regarding?.name;
  const type = e?.type;
  if (typeof name !== "string" || typeof namespace !== "string" || typeof regarding !== "string")
    return undefined;
  if (e?.reportingController !== REPORTING_CONTROLLER || (type !== "Normal" && type !== "Warning"))
    return undefined;
  const time = Date.parse(String(e?.series?.lastObservedTime ?? e?.eventTime ?? ""));
  return {
    namespace,
    name,
    regarding: {
      name: regarding,
      ...(typeof e?.regarding?.uid === "string" ? { uid: e.regarding.uid } : {}),
    },
    type,
    reason: typeof e?.reason === "string" ? e.reason : "",
    note: typeof e?.note === "string" ? e.note : "",
    count: typeof e?.series?.count === "number" ? e.series.count : 1,
    lastObserved: Number.isNaN(time) ? 0 : time,
  };
}
