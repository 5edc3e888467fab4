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
import type { EventAction } from "@zen-lead/core";
import { type CancelTimer, type Clock, systemClock } from "./clock.ts";
import { request } from "./http.ts";

export const REPORTING_CONTROLLER = "zen-lead.io/controller";
/** The API's limit on `note`, in bytes. */
export const NOTE_LIMIT_BYTES = 1024;

/** An Event zen-lead recorded, as read back from the cluster. */
export interface RecordedEvent {
  readonly namespace: string;
  readonly name: string;
  readonly regarding: { readonly name: string; readonly uid?: string };
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly note: string;
  /** series.count, or 1. */
  readonly count: number;
  /** series.lastObservedTime, else eventTime: epoch ms. */
  readonly lastObserved: number;
}

/** The writes (and the read-back) the recorder makes; `kubeEventSink` is the real one. */
export interface EventSink {
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

export interface EventRecorderOptions {
  readonly sink: EventSink;
  /** `reportingInstance`: the pod name (or hostname) of this controller replica. */
  readonly instance: string;
  readonly clock?: Clock;
  /** A repeat more than this long after the previous occurrence starts a new Event. Default 6 min. */
  readonly seriesWindowMs?: number;
  /** Writes a source Service may make at once. Default 25. */
  readonly burst?: number;
  /** One write token comes back per this interval, per source. Default 5 min. */
  readonly refillMs?: number;
  readonly onError?: (problem: EventProblem) => void;
  /** Each occurrence's outcome, when it is decided (log it unless `already-recorded`). */
  readonly onOutcome?: (action: EventAction, outcome: RecordOutcome) => void;
}

export interface EventRecorder {
  /** Records an occurrence; never throws, never waits. */
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

/** A token bucket on the injected clock: `take` answers at once, `nextAt` says when one returns. */
interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface Series {
  readonly key: string;
  readonly sourceKey: string;
  readonly namespace: string;
  readonly action: EventAction;
  name: string;
  count: number;
  lastObserved: number;
  /** The Event exists on the server (the create succeeded). */
  created: boolean;
  inFlight: boolean;
  /** Occurrences not yet written. */
  dirty: boolean;
  waiting: CancelTimer | undefined;
  /** Read back from the cluster: its next occurrence is the standing one, already recorded. */
  adopted: boolean;
}

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const clock = options.clock ?? systemClock;
  const windowMs = options.seriesWindowMs ?? 6 * 60_000;
  const burst = options.burst ?? 25;
  const refillMs = options.refillMs ?? 5 * 60_000;
  const report = (problem: EventProblem) => {
    try {
      options.onError?.(problem);
    } catch {
      // A failing reporter must not break recording.
    }
  };

  const series = new Map<string, Series>();
  const buckets = new Map<string, Bucket>();
  let sequence = 0;
  let lastSweep = clock.now();
  let closed = false;

  const bucketOf = (sourceKey: string, now: number): Bucket => {
    let bucket = buckets.get(sourceKey);
    if (bucket === undefined) {
      bucket = { tokens: burst, updatedAt: now };
      buckets.set(sourceKey, bucket);
    }
    const refills = Math.floor((now - bucket.updatedAt) / refillMs);
    if (refills > 0) {
      bucket.tokens = Math.min(burst, bucket.tokens + refills);
      bucket.updatedAt = bucket.tokens === burst ? now : bucket.updatedAt + refills * refillMs;
    }
    return bucket;
  };
  const take = (sourceKey: string, now: number): boolean => {
    const bucket = bucketOf(sourceKey, now);
    if (bucket.tokens <= 0) return false;
    if (bucket.tokens === burst) bucket.updatedAt = now;
    bucket.tokens -= 1;
    return true;
  };
  const nextTokenIn = (sourceKey: string, now: number): number => {
    const bucket = bucketOf(sourceKey, now);
    return bucket.tokens > 0 ? 0 : bucket.updatedAt + refillMs - now;
  };

  /** Forgets finished series and full buckets, so memory follows recent activity only. */
  const sweep = (now: number) => {
    if (now - lastSweep < windowMs) return;
    lastSweep = now;
    for (const [key, s] of series) {
      if (now - s.lastObserved > windowMs && !s.inFlight && !s.dirty) series.delete(key);
    }
    for (const [key] of buckets) {
      if (bucketOf(key, now).tokens === burst) buckets.delete(key);
    }
  };

  const eventName = (sourceName: string, now: number) =>
    `${sourceName}.${(BigInt(now) * 1_000_000n + BigInt(sequence++ % 1_000_000)).toString(16)}`;

  const body = (s: Series, firstAt: number): EventsV1Event => {
    const a = s.action;
    const event: EventsV1Event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: s.name, namespace: s.namespace },
      eventTime: new V1MicroTime(firstAt),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: options.instance,
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
  };

  const create = (s: Series, firstAt: number) => {
    s.inFlight = true;
    s.dirty = false;
    s.created = false;
    options.sink.create(s.namespace, body(s, firstAt)).then(
      () => {
        s.inFlight = false;
        s.created = true;
        flush(s);
      },
      (error: unknown) => {
        s.inFlight = false;
        // The next occurrence starts over with a fresh Event.
        if (series.get(s.key) === s) series.delete(s.key);
        report({ kind: "api-error", action: s.action, error });
      },
    );
  };

  const flush = (s: Series) => {
    if (closed || !s.created || s.inFlight || !s.dirty || s.waiting !== undefined) return;
    const now = clock.now();
    if (!take(s.sourceKey, now)) {
      s.waiting = clock.setTimer(
        () => {
          s.waiting = undefined;
          flush(s);
        },
        nextTokenIn(s.sourceKey, now),
      );
      return;
    }
    s.inFlight = true;
    s.dirty = false;
    const count = s.count;
    options.sink.patchSeries(s.namespace, s.name, { count, lastObservedTime: s.lastObserved }).then(
      () => {
        s.inFlight = false;
        flush(s);
      },
      (error: unknown) => {
        s.inFlight = false;
        if (statusOf(error) === 404) {
          // The Event expired or was deleted: write the series as a new Event.
          s.name = eventName(s.action.source.name, now);
          create(s, now);
          return;
        }
        report({ kind: "api-error", action: s.action, error });
      },
    );
  };

  const outcome = (action: EventAction, what: RecordOutcome) => {
    try {
      options.onOutcome?.(action, what);
    } catch {
      // A failing reporter must not break recording.
    }
  };

  const seriesKey = (sourceKey: string, type: string, reason: string, note: string) =>
    JSON.stringify([sourceKey, type, reason, note]);

  const recordNow = (action: EventAction) => {
    const now = clock.now();
    sweep(now);
    const src = action.source;
    const sourceKey = `${src.namespace}/${src.name}/${src.uid ?? ""}`;
    const note = truncateNote(action.note);
    const key = seriesKey(sourceKey, action.eventType, action.reason, note);
    const existing = series.get(key);
    if (existing?.adopted === true) {
      // The standing warning the cluster already carries: announced before, not again.
      existing.adopted = false;
      existing.lastObserved = Math.max(existing.lastObserved, now);
      outcome(action, "already-recorded");
      return;
    }
    if (existing !== undefined && now - existing.lastObserved <= windowMs) {
      existing.count += 1;
      existing.lastObserved = now;
      existing.dirty = true;
      flush(existing);
      outcome(action, "repeat");
      return;
    }
    if (!take(sourceKey, now)) {
      report({ kind: "rate-limited", action });
      outcome(action, "rate-limited");
      return;
    }
    if (existing !== undefined) existing.waiting?.();
    const s: Series = {
      key,
      sourceKey,
      namespace: src.namespace,
      action,
      name: eventName(src.name, now),
      count: 1,
      lastObserved: now,
      created: false,
      inFlight: false,
      dirty: false,
      waiting: undefined,
      adopted: false,
    };
    series.set(key, s);
    create(s, now);
    outcome(action, "created");
  };

  /** Makes an Event read back from the cluster the series of its (source, type, reason, note). */
  const adopt = (e: RecordedEvent) => {
    // Only Warnings stand: a leader change is announced once by whoever publishes it.
    if (e.type !== "Warning") return;
    const sourceKey = `${e.namespace}/${e.regarding.name}/${e.regarding.uid ?? ""}`;
    const key = seriesKey(sourceKey, e.type, e.reason, e.note);
    const known = series.get(key);
    if (known !== undefined && (known.inFlight || known.lastObserved >= e.lastObserved)) {
      known.adopted = true;
      return;
    }
    known?.waiting?.();
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
    series.set(key, {
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
  };

  /** Occurrences recorded while a read-back runs; undefined when none runs. */
  let waitingForReadBack: EventAction[] | undefined;

  return {
    record(action) {
      if (closed) return;
      if (waitingForReadBack !== undefined) {
        waitingForReadBack.push(action);
        return;
      }
      try {
        recordNow(action);
      } catch (error) {
        report({ kind: "api-error", action, error });
      }
    },
    async readBack(namespaces = []) {
      if (waitingForReadBack !== undefined) return;
      waitingForReadBack = [];
      try {
        const lists = await Promise.all(
          (namespaces.length === 0 ? [undefined] : namespaces).map((ns) => options.sink.list(ns)),
        );
        for (const list of lists) for (const e of list) adopt(e);
      } catch (error) {
        report({ kind: "read-back-failed", error });
      }
      const waiting = waitingForReadBack;
      waitingForReadBack = undefined;
      for (const action of waiting) this.record(action);
    },
    close() {
      closed = true;
      waitingForReadBack = undefined;
      for (const s of series.values()) s.waiting?.();
    },
  };
}

/** The HTTP status of a client error (`ApiException.code`, or `statusCode`), else 0. */
export function statusOf(error: unknown): number {
  const e = error as { code?: unknown; statusCode?: unknown; status?: unknown } | null;
  for (const value of [e?.code, e?.statusCode, e?.status]) if (typeof value === "number") return value;
  return 0;
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
