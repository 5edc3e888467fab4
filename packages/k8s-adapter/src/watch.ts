/**
 * A kind's objects as a never-ending Observable of core events: list, then watch from the list's
 * resourceVersion with bookmarks; recover from every failure by itself. The client's informer is not
 * used: it stops for good on most errors and never asks for bookmarks (DESIGN.md, "Facts that bite").
 *
 * The state machine of one watched collection (docs/adapter.md draws it):
 *
 *   LIST (pages of `limit`, `continue`) --ok--> emit resync --> WATCH from the list's resourceVersion
 *   WATCH: ADDED/MODIFIED/DELETED -> emit, remember resourceVersion; BOOKMARK -> remember it only
 *   WATCH: 410 Gone (ERROR event or HTTP 410) --backoff--> LIST (delivered as ONE atomic resync)
 *   WATCH: other error, stream closed, quiet for idleTimeoutMs --backoff--> WATCH from the last rv
 *   LIST failed --backoff--> LIST
 *
 * Backoff is jittered exponential (initialMs doubling to maxMs) and resets after any success (a
 * completed list, an event, a bookmark). Unsubscribing aborts the request in flight.
 */
import { type KubeConfig, Watch } from "@kubernetes/client-node";
import {
  type ClusterEvent,
  type Decoded,
  decode,
  fromWatch,
  type Kind,
  SLICE_MANAGED_BY,
  type WatchType,
} from "@zen-lead/core";
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from "rxjs";
import { type Query, request, statusOf } from "./http.ts";

/** zen-lead watches only its own EndpointSlices. */
export const SLICE_SELECTOR = `endpointslice.kubernetes.io/managed-by=${SLICE_MANAGED_BY}`;

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
  /** Starts a watch; resolves once connected with the controller that aborts it. */
  watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<AbortController>;
}

/** The real transport: raw JSON lists, client-node's `Watch` for the stream. */
export function kubeTransport(kc: KubeConfig, inactivityTimeoutMs = 330_000): WatchTransport {
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
    watch(path, query, onEvent, onDone) {
      const w = new Watch(kc);
      // The client aborts a stream silent for 30 s; bookmarks come about once a minute, so that
      // would restart every quiet watch. Our own idle deadline decides; this is only a backstop.
      (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = inactivityTimeoutMs;
      return w.watch(path, { ...query }, (type, object) => onEvent(type, object), onDone);
    },
  };
}

export type WatchDiagnosticKind = "relist" | "rewatch" | "listed";

export interface WatchDiagnostic {
  readonly kind: Kind;
  readonly namespace?: string;
  readonly what: WatchDiagnosticKind;
  readonly reason: string;
  /** Delay before the next attempt (relist/rewatch). */
  readonly delayMs?: number;
  /** Objects in a completed list. */
  readonly objects?: number;
}

export interface WatchOptions {
  /** Watch only these namespaces (one watch each, merged); all namespaces when absent or empty. */
  readonly namespaces?: readonly string[];
  /** Instead of the kind's own label selector (SLICE_SELECTOR for EndpointSlices); "" for none. */
  readonly labelSelector?: string;
  /** A field selector, e.g. `metadata.name=x` to follow one object. */
  readonly fieldSelector?: string;
  /** Items per list page. */
  readonly pageSize?: number;
  /** Give up on a list (all its pages) that takes longer than this, and list again. */
  readonly listTimeoutMs?: number;
  /** Restart a watch that delivered no event or bookmark for this long. */
  readonly idleTimeoutMs?: number;
  /** `timeoutSeconds` of the watch request: the server ends the stream after it (a clean restart). */
  readonly watchTimeoutSeconds?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Timers and the clock (default asyncScheduler). */
  readonly scheduler?: SchedulerLike;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** One line per restart, relist and completed list. */
  readonly onDiagnostic?: (line: string, detail: WatchDiagnostic) => void;
  /** Default: kubeTransport(kc). */
  readonly transport?: WatchTransport;
}

interface LoopSink {
  list(objects: Decoded[]): void;
  event(event: ClusterEvent): void;
}

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
  readonly idleTimeoutMs: number;
  readonly watchTimeoutSeconds: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly onDiagnostic: (line: string, detail: WatchDiagnostic) => void;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const WATCH_TYPES = new Set<string>(["ADDED", "MODIFIED", "DELETED"]);

/** Backoff before attempt number `failures` (0-based): equal jitter, so never less than half. */
export function backoffDelay(
  failures: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** One list/watch loop for one collection. Returns its stop function. */
function startLoop(cfg: LoopConfig, sink: LoopSink): () => void {
  const path = collectionPath(cfg.kind, cfg.namespace);
  const selectors = { labelSelector: cfg.labelSelector, fieldSelector: cfg.fieldSelector };
  const where = `${cfg.kind}${cfg.fieldSelector !== undefined ? ` ${cfg.fieldSelector}` : ""}${cfg.namespace !== undefined ? ` in ${cfg.namespace}` : ""}`;
  let stopped = false;
  // Every attempt (a list or a watch) gets a generation; callbacks of a superseded one are ignored.
  let generation = 0;
  let resourceVersion = "";
  let failures = 0;
  let current: AbortController | undefined;
  let wait: Subscription | undefined;
  let idle: Subscription | undefined;
  let lastActivity = 0;

  const supersede = () => {
    generation++;
    current?.abort();
    current = undefined;
    idle?.unsubscribe();
    idle = undefined;
  };

  const retry = (mode: "list" | "watch", why: string) => {
    if (stopped) return;
    supersede();
    const delayMs = backoffDelay(failures, cfg.backoffInitialMs, cfg.backoffMaxMs, cfg.random);
    failures++;
    const what = mode === "list" ? "relist" : "rewatch";
    const detail: WatchDiagnostic = {
      kind: cfg.kind,
      ...(cfg.namespace !== undefined ? { namespace: cfg.namespace } : {}),
      what,
      reason: why,
      delayMs,
    };
    cfg.onDiagnostic(`${what} ${where} in ${delayMs} ms: ${why}`, detail);
    wait?.unsubscribe();
    wait = cfg.scheduler.schedule(() => {
      wait = undefined;
      if (mode === "list") void list();
      else void watch();
    }, delayMs);
  };

  async function list(): Promise<void> {
    supersede();
    const gen = generation;
    const controller = new AbortController();
    current = controller;
    const objects: Decoded[] = [];
    let rv = "";
    let cont: string | undefined;
    // A half-open connection would hang a list forever: it gets a deadline, like the watch.
    const deadline = cfg.scheduler.schedule(() => {
      if (gen === generation) retry("list", `list took longer than ${cfg.listTimeoutMs} ms`);
    }, cfg.listTimeoutMs);
    try {
      do {
        const page = await cfg.transport.list(
          path,
          { limit: cfg.pageSize, continue: cont, ...selectors },
          controller.signal,
        );
        if (gen !== generation) return;
        // Decoded as they arrive: memory holds the small views, not the API objects.
        for (const item of page.items) objects.push(decode(cfg.kind, item));
        rv = page.resourceVersion;
        cont = page.continue;
      } while (cont !== undefined);
    } catch (error) {
      // An expired continue token (410) restarts the list from the first page, like any failure.
      if (gen === generation) retry("list", `list failed: ${describe(error)}`);
      return;
    } finally {
      deadline.unsubscribe();
    }
    if (gen !== generation || stopped) return;
    current = undefined;
    resourceVersion = rv;
    failures = 0;
    cfg.onDiagnostic(`listed ${objects.length} ${where} at resourceVersion ${rv}`, {
      kind: cfg.kind,
      ...(cfg.namespace !== undefined ? { namespace: cfg.namespace } : {}),
      what: "listed",
      reason: "list complete",
      objects: objects.length,
    });
    sink.list(objects);
    if (gen === generation && !stopped) void watch();
  }

  const checkIdle = (gen: number, delayMs: number) => {
    idle = cfg.scheduler.schedule(() => {
      if (gen !== generation) return;
      const quiet = cfg.scheduler.now() - lastActivity;
      if (quiet >= cfg.idleTimeoutMs) retry("watch", `no event or bookmark for ${quiet} ms`);
      else checkIdle(gen, cfg.idleTimeoutMs - quiet);
    }, delayMs);
  };

  async function watch(): Promise<void> {
    supersede();
    const gen = generation;
    lastActivity = cfg.scheduler.now();
    checkIdle(gen, cfg.idleTimeoutMs);
    const onEvent = (type: string, object: unknown) => {
      if (gen !== generation) return;
      lastActivity = cfg.scheduler.now();
      if (type === "ERROR") {
        const status = object as { code?: unknown; message?: unknown } | null;
        if (status?.code === 410) retry("list", "410 Gone: the resourceVersion is too old");
        else retry("watch", `watch ERROR ${String(status?.code)}: ${String(status?.message)}`);
        return;
      }
      const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
      if (typeof rv === "string" && rv !== "") resourceVersion = rv;
      failures = 0;
      if (WATCH_TYPES.has(type)) sink.event(fromWatch(cfg.kind, type as WatchType, object));
    };
    const onDone = (error: unknown) => {
      if (gen !== generation) return;
      if (statusOf(error) === 410) retry("list", "410 Gone: the resourceVersion is too old");
      else retry("watch", error ? `watch failed: ${describe(error)}` : "watch stream closed");
    };
    try {
      const controller = await cfg.transport.watch(
        path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: cfg.watchTimeoutSeconds,
          ...selectors,
        },
        onEvent,
        onDone,
      );
      if (gen !== generation) controller.abort();
      else current = controller;
    } catch (error) {
      onDone(error ?? new Error("watch failed"));
    }
  }

  void list();
  return () => {
    stopped = true;
    supersede();
    wait?.unsubscribe();
  };
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
    const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
    const labelSelector = options.labelSelector ?? RESOURCES[kind].labelSelector;
    const base = {
      kind,
      labelSelector: labelSelector === "" ? undefined : labelSelector,
      fieldSelector: options.fieldSelector,
      transport: options.transport ?? kubeTransport(kc, idleTimeoutMs + 30_000),
      scheduler: options.scheduler ?? asyncScheduler,
      random: options.random ?? Math.random,
      pageSize: options.pageSize ?? 500,
      listTimeoutMs: options.listTimeoutMs ?? 60_000,
      idleTimeoutMs,
      watchTimeoutSeconds:
        options.watchTimeoutSeconds ?? Math.max(1, Math.floor((idleTimeoutMs * 0.8) / 1000)),
      backoffInitialMs: options.backoffInitialMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      onDiagnostic: options.onDiagnostic ?? (() => {}),
    };
    const namespaces = [...new Set(options.namespaces ?? [])];
    if (!RESOURCES[kind].namespaced || namespaces.length === 0) {
      return startLoop(
        { ...base, namespace: undefined },
        {
          list: (objects) => subscriber.next({ type: "resync", kind, objects }),
          event: (event) => subscriber.next(event),
        },
      );
    }
    const stores = new Map<string, Map<string, Decoded>>();
    let unnamed = 0;
    const fallback = () => `\0unnamed-${unnamed++}`;
    const complete = () => stores.size === namespaces.length;
    const stops = namespaces.map((namespace) =>
      startLoop(
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
      for (const stop of stops) stop();
    };
  });
}
