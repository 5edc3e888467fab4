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
 */
import { type EventsV1Event, type KubeConfig, V1MicroTime } from "@kubernetes/client-node";
import type { EventAction } from "@zen-lead/core";
import { type CancelTimer, type Clock, systemClock } from "./clock.ts";
import { request } from "./http.ts";

export const REPORTING_CONTROLLER = "zen-lead.io/controller";
/** The API's limit on `note`, in bytes. */
export const NOTE_LIMIT_BYTES = 1024;

/** The two writes the recorder makes; `kubeEventSink` is the real one, tests pass a fake. */
export interface EventSink {
  create(namespace: string, event: EventsV1Event): Promise<void>;
  /** Merge-patches `series` of the named Event. A missing Event must reject with status 404. */
  patchSeries(
    namespace: string,
    name: string,
    series: { count: number; lastObservedTime: number },
  ): Promise<void>;
}

export type EventProblem =
  | { readonly kind: "rate-limited"; readonly action: EventAction }
  | { readonly kind: "api-error"; readonly action: EventAction; readonly error: unknown };

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
}

export interface EventRecorder {
  /** Records an occurrence; never throws, never waits. */
  record(action: EventAction): void;
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

  return {
    record(action) {
      if (closed) return;
      try {
        const now = clock.now();
        sweep(now);
        const src = action.source;
        const sourceKey = `${src.namespace}/${src.name}/${src.uid ?? ""}`;
        const note = truncateNote(action.note);
        const key = JSON.stringify([sourceKey, action.eventType, action.reason, note]);
        const existing = series.get(key);
        if (existing !== undefined && now - existing.lastObserved <= windowMs) {
          existing.count += 1;
          existing.lastObserved = now;
          existing.dirty = true;
          flush(existing);
          return;
        }
        if (!take(sourceKey, now)) {
          report({ kind: "rate-limited", action });
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
        };
        series.set(key, s);
        create(s, now);
      } catch (error) {
        report({ kind: "api-error", action, error });
      }
    },
    close() {
      closed = true;
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
