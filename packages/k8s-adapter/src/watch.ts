/**
 * A kind's objects as a never-ending Observable of core events: list, then watch from the list's
 * resourceVersion with bookmarks; recover from every failure by itself. The client's informer is not
 * used: in client-node 2.0.1 it stops for good on most errors (403, 429, 5xx, ECONNRESET) and never
 * asks for bookmarks.
 *
 * The state machine of one watched collection (docs/adapter.md draws it):
 *
 *   LIST (pages of `limit`, `continue`) --ok--> emit resync --> WATCH from the list's resourceVersion
 *   WATCH: ADDED/MODIFIED/DELETED -> emit, remember resourceVersion; BOOKMARK -> remember it only
 *   WATCH: the server ends it (its timeoutSeconds) --at once--> WATCH from the last rv
 *   WATCH: 410 Gone (ERROR event or HTTP 410) --at once--> LIST (delivered as ONE atomic resync)
 *   WATCH: other error, network failure, not heard from for watchTimeoutMs --backoff--> WATCH
 *   LIST failed --backoff--> LIST
 *
 * Backoff follows the server's health: it is jittered exponential (initialMs doubling to maxMs)
 * and resets on any answer that shows the server up (a completed list, a watch that connects, a
 * 410). While a loop waits after a failure that says the server is unreachable (no answer, 5xx),
 * it is woken the moment any request sent after the failure gets an answer — the server health's
 * /readyz probe, a Lease renewal, another watch — instead of sleeping out its backoff.
 */

import type { KubeConfig } from "@kubernetes/client-node";
import {
  backoffDelay,
  type ClusterEvent,
  type Decoded,
  decode,
  fromWatch,
  type Kind,
  LABELS,
  MANAGED_BY,
  type WatchType,
} from "@zen-lead/core";
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from "rxjs";
import { ApiError, openStream, type Query, request, serverHealth, statusOf } from "./http.ts";
import type { WatchLiveness } from "./liveness.ts";
import type { ServerHealth } from "./server-health.ts";

/**
 * The EndpointSlices zen-lead watches: those labelled `app.kubernetes.io/managed-by: zen-lead` —
 * its own, and the stray slices the built-in controller makes for a leader Service someone gave a
 * selector (it copies the Service's labels onto them: core `strayFor`). Other slices (every
 * Service's in the cluster) are never listed.
 */
export const SLICE_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

interface Resource {
  readonly prefix: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly labelSelector?: string;
}

const RESOURCES: Readonly<Record<Kind, Resource>> = {
  Service: { prefix: "/api/v1", plural: "services", namespaced: true },
  Pod: { prefix: "/api/v1", plural: "pods", namespaced: true },
  EndpointSlice: {
    prefix: "/apis/discovery.k8s.io/v1",
    plural: "endpointslices",
    namespaced: true,
    labelSelector: SLICE_SELECTOR,
  },
  Node: { prefix: "/api/v1", plural: "nodes", namespaced: false },
};

/** The collection's URL path: all namespaces when `namespace` is undefined. */
export function collectionPath(kind: Kind, namespace?: string): string {
  const r = RESOURCES[kind];
  return namespace !== undefined && r.namespaced
    ? `${r.prefix}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`
    : `${r.prefix}/${r.plural}`;
}

export interface ListPage {
  readonly items: readonly unknown[];
  readonly resourceVersion: string;
  readonly continue?: string;
}

/** How the loop reaches the API server; replaceable (unit tests, fault injection). */
export interface WatchTransport {
  list(path: string, query: Query, signal: AbortSignal): Promise<ListPage>;
  /**
   * Starts a watch; resolves once connected with the controller that aborts it. `receivedAt`
   * (performance.now(), ms) is when the event's line arrived, before it was parsed.
   */
  watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: unknown, receivedAt?: number) => void,
    onDone: (error: unknown) => void,
  ): Promise<AbortController>;
}

/** Splits a watch body into lines, one JSON watch event each; `at` is when the line's last chunk came. */
async function readLines(
  body: AsyncIterable<Uint8Array>,
  onLine: (line: string, at: number) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body) {
    const at = performance.now();
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== "") onLine(line, at);
      newline = buffered.indexOf("\n");
    }
  }
}

/** The real transport: raw JSON lists and watch streams through the shared connection pool. */
export function kubeTransport(kc: KubeConfig): WatchTransport {
  return {
    async list(path, query, signal) {
      const body = (await request(kc, "GET", path, { query, signal })) as {
        items?: unknown;
        metadata?: { resourceVersion?: unknown; continue?: unknown };
      };
      const items = Array.isArray(body?.items) ? (body.items as unknown[]) : [];
      const rv = body?.metadata?.resourceVersion;
      const cont = body?.metadata?.continue;
      return {
        items,
        resourceVersion: typeof rv === "string" ? rv : "",
        ...(typeof cont === "string" && cont !== "" ? { continue: cont } : {}),
      };
    },
    async watch(path, query, onEvent, onDone) {
      const controller = new AbortController();
      const body = await openStream(kc, path, {
        query: { ...query, watch: true },
        signal: controller.signal,
      });
      readLines(body, (line, at) => {
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line) as { type?: unknown; object?: unknown };
        } catch {
          return; // not a watch event: nothing to act on
        }
        if (typeof event?.type === "string") onEvent(event.type, event.object, at);
      }).then(
        () => onDone(null),
        (error: unknown) => onDone(controller.signal.aborted ? null : new ApiError(0, describe(error))),
      );
      return controller;
    },
  };
}

export type WatchDiagnosticKind = "relist" | "rewatch" | "listed";

/**
 * When a watch event arrived, for the latency budget: `receivedAt` when its line came off the
 * connection, `decodedAt` once parsed and decoded into the core's event (performance.now(), ms).
 */
export interface Arrival {
  readonly receivedAt: number;
  readonly decodedAt: number;
}

export interface WatchDiagnostic {
  readonly kind: Kind;
  readonly namespace?: string;
  readonly what: WatchDiagnosticKind;
  readonly reason: string;
  /** Delay before the next attempt (relist/rewatch); it may be cut short when the server is back. */
  readonly delayMs?: number;
  /** Objects in a completed list. */
  readonly objects?: number;
}

/** Default of `watchTimeoutMs` (`--watch-timeout`). */
export const DEFAULT_WATCH_TIMEOUT_MS = 30_000;

export interface WatchOptions {
  /** Watch only these namespaces (one watch each, merged); all namespaces when absent or empty. */
  readonly namespaces?: readonly string[];
  /** Instead of the kind's own label selector (SLICE_SELECTOR for EndpointSlices); "" for none. */
  readonly labelSelector?: string;
  /** A field selector, e.g. `metadata.name=x` to follow one object. */
  readonly fieldSelector?: string;
  /** Items per list page. Default 500. */
  readonly pageSize?: number;
  /** Give up on a list (all its pages) that takes longer than this, ms, and list again. Default 60 000. */
  readonly listTimeoutMs?: number;
  /**
   * A watch not heard from (no event, no bookmark, no end of stream) for this long is dead and is
   * restarted. The server is asked to end each watch after half of it (`timeoutSeconds`), and it
   * sends a bookmark 2 s before that, so a live watch speaks at least that often. Default 30 s.
   */
  readonly watchTimeoutMs?: number;
  /** First backoff after a failure, ms (doubling, jittered: `backoffDelay`). Default 200. */
  readonly backoffInitialMs?: number;
  /** Longest backoff, ms. Default 30 000. */
  readonly backoffMaxMs?: number;
  /** Timers and the clock (default asyncScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** One line per restart, relist and completed list. */
  readonly onDiagnostic?: (line: string, detail: WatchDiagnostic) => void;
  /** Default: kubeTransport(kc). */
  readonly transport?: WatchTransport;
  /** Wakes loops waiting after an unreachable server (default: the KubeConfig's, from http.ts). */
  readonly health?: ServerHealth;
  /** Told whether each loop's watch is live (`Kind` or `Kind/namespace`). */
  readonly liveness?: WatchLiveness;
  /** Told when each watch event arrived, right before the event is emitted. */
  readonly onArrival?: (event: ClusterEvent, arrival: Arrival) => void;
}

/** Where one loop's results go. */
interface LoopSink {
  /** A complete list (all pages), decoded: the collection as it is now. */
  list(objects: Decoded[]): void;
  /** One watch event (upsert or delete), decoded; bookmarks and errors are the loop's own. */
  event(event: ClusterEvent): void;
}

/** One loop's settings: `WatchOptions` with every default filled in, plus its namespace. */
interface LoopConfig {
  readonly kind: Kind;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  readonly transport: WatchTransport;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly pageSize: number;
  readonly listTimeoutMs: number;
  readonly watchTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly onDiagnostic: (line: string, detail: WatchDiagnostic) => void;
  readonly health: ServerHealth | undefined;
  readonly liveness: WatchLiveness | undefined;
  readonly onArrival: ((event: ClusterEvent, arrival: Arrival) => void) | undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const WATCH_TYPES = new Set<string>(["ADDED", "MODIFIED", "DELETED"]);

/** A watch that ends within this of connecting, having delivered nothing, did not prove the server healthy. */
const PROVEN_AFTER_MS = 1_000;

/**
 * Why an attempt ended, which decides what comes next:
 * - `unreachable`: no answer, or a 5xx: back off, but wake as soon as the server answers again;
 * - `refused`: the server answered no (403, 400...): back off;
 * - `gone`: 410, the resourceVersion is too old: relist at once;
 * - `ended`: the server ended a watch that was working (its timeoutSeconds): watch again at once.
 */
type Cause = "unreachable" | "refused" | "gone" | "ended";

function causeOf(status: number): Cause {
  if (status === 410) return "gone";
  return status === 0 || status >= 500 ? "unreachable" : "refused";
}

/** The backoff state of one loop: failures in a row, and whether a wake was already spent on them. */
interface Streak {
  failures: number;
  woken: boolean;
}

/**
 * One list/watch loop for one collection (a kind, in one namespace or all): LIST (pages), hand the
 * objects to the sink, WATCH from the list's resourceVersion, and recover from whatever ends an
 * attempt (`Cause`): re-watch from the last resourceVersion, relist after 410, back off (jittered,
 * `backoffDelay`) when the server cannot be reached or refuses — woken early by the server's
 * health. Runs from construction until `stop()`; errors never escape (they become diagnostics and
 * retries). Times are the scheduler's (ms).
 */
class WatchLoop {
  readonly #cfg: LoopConfig;
  readonly #sink: LoopSink;
  /** The collection's path, e.g. `/api/v1/namespaces/ns/pods`. */
  readonly #path: string;
  readonly #selectors: {
    readonly labelSelector: string | undefined;
    readonly fieldSelector: string | undefined;
  };
  /** How diagnostics name the loop: `Pod in ns`, `Lease metadata.name=x in ns`. */
  readonly #where: string;
  /** The loop's key in the liveness tracker: `Kind`, `Kind/namespace` (plus a followed name). */
  readonly #liveKey: string;
  /** The server is asked to end each watch after this (half the watch timeout, whole seconds). */
  readonly #timeoutSeconds: number;
  #stopped = false;
  /** Every attempt (a list or a watch) gets a generation; callbacks of a superseded one are ignored. */
  #generation = 0;
  /** Where the next watch starts: the last list's, or the last event's or bookmark's. */
  #resourceVersion = "";
  /** Failures in a row (the backoff), and whether the server's health already woke this streak. */
  #streak: Streak = { failures: 0, woken: false };
  /** Aborts the attempt in flight (a list's requests or the open watch). */
  #current: AbortController | undefined;
  /** The backoff timer before the next attempt. */
  #wait: Subscription | undefined;
  /** Cancels the wake-up asked of the server's health while backing off. */
  #cancelWake: (() => void) | undefined;
  /** The watch's liveness check (fires when it has not been heard from for the watch timeout). */
  #idle: Subscription | undefined;
  /** When the open watch was last heard from (event, bookmark or end), ms. */
  #lastActivity = 0;

  constructor(cfg: LoopConfig, sink: LoopSink) {
    this.#cfg = cfg;
    this.#sink = sink;
    this.#path = collectionPath(cfg.kind, cfg.namespace);
    this.#selectors = { labelSelector: cfg.labelSelector, fieldSelector: cfg.fieldSelector };
    const followed = cfg.fieldSelector !== undefined ? ` ${cfg.fieldSelector}` : "";
    this.#where = `${cfg.kind}${followed}${cfg.namespace !== undefined ? ` in ${cfg.namespace}` : ""}`;
    this.#liveKey = `${cfg.kind}${cfg.namespace !== undefined ? `/${cfg.namespace}` : ""}${followed}`;
    this.#timeoutSeconds = Math.max(1, Math.round(cfg.watchTimeoutMs / 2000));
    this.#setLive(false);
    void this.#list();
  }

  /** Stops for good: the attempt in flight is aborted, no timer fires, the liveness key is removed. */
  stop(): void {
    this.#stopped = true;
    this.#supersede();
    this.#clearWait();
    this.#cfg.liveness?.remove(this.#liveKey);
  }

  #setLive(live: boolean): void {
    this.#cfg.liveness?.set(this.#liveKey, live);
  }

  #diagnose(line: string, detail: Omit<WatchDiagnostic, "kind" | "namespace">): void {
    const { kind, namespace } = this.#cfg;
    this.#cfg.onDiagnostic(line, { kind, ...(namespace !== undefined ? { namespace } : {}), ...detail });
  }

  /** Ends the current attempt: its callbacks are ignored from now on. */
  #supersede(): void {
    this.#generation++;
    this.#current?.abort();
    this.#current = undefined;
    this.#idle?.unsubscribe();
    this.#idle = undefined;
  }

  #clearWait(): void {
    this.#wait?.unsubscribe();
    this.#wait = undefined;
    this.#cancelWake?.();
    this.#cancelWake = undefined;
  }

  #next(mode: "list" | "watch"): void {
    this.#clearWait();
    if (this.#stopped) return;
    if (mode === "list") void this.#list();
    else void this.#watch();
  }

  #retry(mode: "list" | "watch", cause: Cause, why: string): void {
    if (this.#stopped) return;
    const cfg = this.#cfg;
    this.#supersede();
    this.#clearWait();
    if (cause !== "ended") this.#setLive(false);
    if (cause === "ended" || cause === "gone") {
      // The server answered: nothing to wait for.
      this.#streak = { failures: 0, woken: false };
      if (cause === "gone")
        this.#diagnose(`relist ${this.#where} now: ${why}`, { what: "relist", reason: why, delayMs: 0 });
      this.#next(mode);
      return;
    }
    const delayMs = backoffDelay(this.#streak.failures, cfg.backoffInitialMs, cfg.backoffMaxMs, cfg.random());
    this.#streak.failures++;
    const what = mode === "list" ? "relist" : "rewatch";
    this.#diagnose(`${what} ${this.#where} in ${delayMs} ms: ${why}`, { what, reason: why, delayMs });
    this.#wait = cfg.scheduler.schedule(() => this.#next(mode), delayMs);
    // Any answer wakes a loop once per streak; if it fails again after that, the failure may be
    // its own (a 5xx on this resource only) or the server may still be half broken (etcd down):
    // then only /readyz coming back wakes it, and otherwise it backs off like any other.
    if (cause === "unreachable" && cfg.health !== undefined) {
      this.#cancelWake = cfg.health.whenUp(
        () => {
          this.#cancelWake = undefined;
          this.#streak = { failures: 0, woken: true };
          this.#next(mode);
        },
        { readyOnly: this.#streak.woken },
      );
    }
  }

  async #list(): Promise<void> {
    const cfg = this.#cfg;
    this.#supersede();
    const gen = this.#generation;
    const controller = new AbortController();
    this.#current = controller;
    const objects: Decoded[] = [];
    let rv = "";
    let cont: string | undefined;
    // A half-open connection would hang a list forever: it gets a deadline, like the watch.
    const deadline = cfg.scheduler.schedule(() => {
      if (gen === this.#generation)
        this.#retry("list", "unreachable", `list took longer than ${cfg.listTimeoutMs} ms`);
    }, cfg.listTimeoutMs);
    try {
      do {
        const page = await cfg.transport.list(
          this.#path,
          { limit: cfg.pageSize, continue: cont, ...this.#selectors },
          controller.signal,
        );
        if (gen !== this.#generation) return;
        // Decoded as they arrive: memory holds the small views, not the API objects.
        for (const item of page.items) objects.push(decode(cfg.kind, item));
        rv = page.resourceVersion;
        cont = page.continue;
      } while (cont !== undefined);
    } catch (error) {
      // An expired continue token (410) restarts the list from the first page at once.
      if (gen === this.#generation)
        this.#retry("list", causeOf(statusOf(error)), `list failed: ${describe(error)}`);
      return;
    } finally {
      deadline.unsubscribe();
    }
    if (gen !== this.#generation || this.#stopped) return;
    this.#current = undefined;
    this.#resourceVersion = rv;
    this.#streak = { failures: 0, woken: false };
    this.#diagnose(`listed ${objects.length} ${this.#where} at resourceVersion ${rv}`, {
      what: "listed",
      reason: "list complete",
      objects: objects.length,
    });
    this.#sink.list(objects);
    if (gen === this.#generation && !this.#stopped) void this.#watch(true);
  }

  /** Restarts the watch of generation `gen` once it has not been heard from for the watch timeout. */
  #checkIdle(gen: number, delayMs: number): void {
    const cfg = this.#cfg;
    this.#idle = cfg.scheduler.schedule(() => {
      if (gen !== this.#generation) return;
      const quiet = cfg.scheduler.now() - this.#lastActivity;
      if (quiet >= cfg.watchTimeoutMs) {
        this.#retry(
          "watch",
          "unreachable",
          `not heard from for ${quiet} ms (watch timeout ${cfg.watchTimeoutMs} ms)`,
        );
      } else {
        this.#checkIdle(gen, cfg.watchTimeoutMs - quiet);
      }
    }, delayMs);
  }

  /** `fromList`: the resourceVersion is a list's, just now: a 410 on it is no reason to relist again. */
  async #watch(fromList = false): Promise<void> {
    const cfg = this.#cfg;
    this.#supersede();
    const gen = this.#generation;
    this.#lastActivity = cfg.scheduler.now();
    this.#checkIdle(gen, cfg.watchTimeoutMs);
    // This attempt's own state: when it connected, whether it delivered anything, and the streak
    // it interrupted (restored when the attempt proves nothing).
    let connectedAt: number | undefined;
    let delivered = false;
    let before: Streak = this.#streak;
    /** A watch that died at once, having delivered nothing, proved nothing: its streak goes on. */
    const unproven = () =>
      connectedAt !== undefined && !delivered && cfg.scheduler.now() - connectedAt < PROVEN_AFTER_MS;
    const fail = (cause: Cause, why: string) => {
      if (unproven()) this.#streak = before;
      const mode = cause === "gone" ? "list" : "watch";
      // A 410 on a list's own resourceVersion, before anything came: relisting at once could spin.
      this.#retry(mode, cause === "gone" && fromList && !delivered ? "refused" : cause, why);
    };
    const onEvent = (type: string, object: unknown, receivedAt?: number) => {
      if (gen !== this.#generation) return;
      this.#lastActivity = cfg.scheduler.now();
      if (type === "ERROR") {
        const status = object as { code?: unknown; message?: unknown } | null;
        const code = typeof status?.code === "number" ? status.code : 0;
        if (code === 410) fail("gone", "410 Gone: the resourceVersion is too old");
        else fail(causeOf(code), `watch ERROR ${String(status?.code)}: ${String(status?.message)}`);
        return;
      }
      delivered = true;
      const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
      if (typeof rv === "string" && rv !== "") this.#resourceVersion = rv;
      if (!WATCH_TYPES.has(type)) return;
      const event = fromWatch(cfg.kind, type as WatchType, object);
      if (cfg.onArrival !== undefined) {
        const decodedAt = performance.now();
        cfg.onArrival(event, { receivedAt: receivedAt ?? decodedAt, decodedAt });
      }
      this.#sink.event(event);
    };
    const onDone = (error: unknown) => {
      if (gen !== this.#generation) return;
      const status = statusOf(error);
      if (status === 410) fail("gone", "410 Gone: the resourceVersion is too old");
      else if (error) fail(causeOf(status), `watch failed: ${describe(error)}`);
      else if (connectedAt !== undefined && !unproven())
        this.#retry("watch", "ended", "the server ended the watch");
      else fail("refused", "the watch stream closed at once");
    };
    try {
      const controller = await cfg.transport.watch(
        this.#path,
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.#timeoutSeconds,
          ...this.#selectors,
        },
        onEvent,
        onDone,
      );
      if (gen !== this.#generation) {
        controller.abort();
        return;
      }
      this.#current = controller;
      // Connected: the server answered 200, so the backoff resets and the watch is live.
      connectedAt = cfg.scheduler.now();
      before = this.#streak;
      this.#streak = { failures: 0, woken: false };
      this.#setLive(true);
    } catch (error) {
      if (gen === this.#generation) onDone(error ?? new Error("watch failed"));
    }
  }
}

/** Keeps each namespace's objects so that a relist of one namespace is still a resync of the kind. */
function nameOf(d: Decoded, fallback: () => string): string {
  return d.name ?? fallback();
}

/**
 * Service, Pod, EndpointSlice (zen-lead's own, label-selected) or Node events, forever: one `resync`
 * per (re)list, then `upsert`/`delete` per watch event. With a namespace list, one loop per
 * namespace; the first resync comes when every namespace has listed, and a relist of any of them is
 * again one resync of all (objects are kept per namespace for that).
 */
export function watchKind(kc: KubeConfig, kind: Kind, options: WatchOptions = {}): Observable<ClusterEvent> {
  return new Observable<ClusterEvent>((subscriber) => {
    const labelSelector = options.labelSelector ?? RESOURCES[kind].labelSelector;
    const base = {
      kind,
      labelSelector: labelSelector === "" ? undefined : labelSelector,
      fieldSelector: options.fieldSelector,
      transport: options.transport ?? kubeTransport(kc),
      scheduler: options.scheduler ?? asyncScheduler,
      random: options.random ?? Math.random,
      pageSize: options.pageSize ?? 500,
      listTimeoutMs: options.listTimeoutMs ?? 60_000,
      watchTimeoutMs: options.watchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS,
      backoffInitialMs: options.backoffInitialMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      onDiagnostic: options.onDiagnostic ?? (() => {}),
      // Without a cluster (unit tests with a scripted transport) there is no server to wait for.
      health: options.health ?? (kc.getCurrentCluster() !== null ? serverHealth(kc) : undefined),
      liveness: options.liveness,
      onArrival: options.onArrival,
    };
    const namespaces = [...new Set(options.namespaces ?? [])];
    if (!RESOURCES[kind].namespaced || namespaces.length === 0) {
      const loop = new WatchLoop(
        { ...base, namespace: undefined },
        {
          list: (objects) => subscriber.next({ type: "resync", kind, objects }),
          event: (event) => subscriber.next(event),
        },
      );
      return () => loop.stop();
    }
    const stores = new Map<string, Map<string, Decoded>>();
    let unnamed = 0;
    const fallback = () => `\0unnamed-${unnamed++}`;
    const complete = () => stores.size === namespaces.length;
    const loops = namespaces.map(
      (namespace) =>
        new WatchLoop(
          { ...base, namespace },
          {
            list: (objects) => {
              stores.set(namespace, new Map(objects.map((o) => [nameOf(o, fallback), o])));
              if (complete()) {
                const all = [...stores.values()].flatMap((s) => [...s.values()]);
                subscriber.next({ type: "resync", kind, objects: all });
              }
            },
            event: (event) => {
              const store = stores.get(namespace);
              if (store === undefined) return;
              if (event.type === "upsert") store.set(nameOf(event.object, fallback), event.object);
              else if (event.type === "delete") store.delete(event.name);
              if (complete()) subscriber.next(event);
            },
          },
        ),
    );
    return () => {
      for (const loop of loops) loop.stop();
    };
  });
}
