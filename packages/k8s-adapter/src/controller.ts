/**
 * The controller loop, wired: the four watches (Nodes, Services, Pods, zen-lead's EndpointSlices)
 * merged into one stream of core events, folded by the core's operator on real time, and its
 * writes handed to the applier. It decides nothing itself. Writes flow only while `leading$` says
 * this replica holds the lease (always, when no lease is given): losing it stops them at once.
 * A standby keeps folding (a warm standby); gaining the lease is a `leadership` event in the same
 * fold — no relist — after which the core writes and announces what the cluster needs.
 */

import type { KubeConfig } from "@kubernetes/client-node";
import {
  type Action,
  type ClusterEvent,
  type EventAction,
  initialState,
  type Kind,
  reconcileActions,
  type State,
} from "@zen-lead/core";
import {
  asyncScheduler,
  BehaviorSubject,
  distinctUntilChanged,
  map,
  merge,
  type Observable,
  type SchedulerLike,
  type Subscription,
  skip,
  tap,
} from "rxjs";
import { Announcements } from "./announcements.ts";
import { createApplier, type WriteCause, type WriteResult } from "./applier.ts";
import type { LeaderElector } from "./lease.ts";
import { createWatchLiveness, type WatchLiveness } from "./liveness.ts";
import { watchSlices } from "./slice-watch.ts";
import { type Arrival, type WatchDiagnostic, type WatchOptions, watchKind } from "./watch.ts";

export interface ControllerOptions {
  readonly kc: KubeConfig;
  /** Watch only these namespaces; all when absent or empty. */
  readonly namespaces?: readonly string[];
  /**
   * The lease among controller replicas (createLeaderElector); without one this replica always
   * writes. The controller starts it, and asks it right before every write.
   */
  readonly elector?: LeaderElector;
  readonly scheduler?: SchedulerLike;
  /** Every cluster event (watch event, list, tick, leadership) right before the fold takes it. */
  readonly onClusterEvent?: (event: ClusterEvent) => void;
  /** Every batch of actions the core asks for, written or not. */
  readonly onActions?: (actions: readonly Action[]) => void;
  /**
   * Events for the source Services (the EventRecorder's input): warnings as decided, a leader
   * change once a write publishing it has landed (announcements.ts).
   */
  readonly onEvent?: (event: EventAction) => void;
  readonly onWriteResult?: (result: WriteResult) => void;
  readonly onDiagnostic?: (line: string, detail: WatchDiagnostic) => void;
  /**
   * Called synchronously right before the fold learns that this replica leads (at start without a
   * lease): the moment to start reading back the Events the cluster already carries.
   */
  readonly beforeLeading?: () => void;
  /** A watch not heard from for this long is restarted (watch.ts; `--watch-timeout`). Default 30 s. */
  readonly watchTimeoutMs?: number;
  /**
   * Told whether each watch is live (for `/readyz`, and for the elector's `blindForMs`, which must
   * see the same tracker). Default: a tracker of the controller's own, exposed as `liveness`.
   */
  readonly liveness?: WatchLiveness;
  /**
   * The client-side limit on writes (the applier's token bucket: sustained writes per second, and
   * the burst after a quiet period; `--kube-api-qps`, `--kube-api-burst`). Defaults: the applier's.
   */
  readonly qps?: number;
  readonly burst?: number;
  /** Watch options for tests (a transport that injects faults, shorter backoff). */
  readonly watch?: Pick<WatchOptions, "transport" | "backoffInitialMs" | "backoffMaxMs">;
}

export interface Controller {
  /** The core's latest state (for status and metrics). */
  readonly state: () => State | undefined;
  /** Whether every watch is live. */
  readonly liveness: WatchLiveness;
  /** The applier's queue now: writes waiting (backing off included) and in flight. */
  readonly writeQueue: () => { readonly pending: number; readonly inFlight: number };
  /**
   * Stop watching and writing; resolves when writes in flight are done. With `release`, then hand
   * the lease over at once (SIGTERM: a standby takes over within about one retry period).
   */
  stop(options?: { readonly release?: boolean }): Promise<void>;
}

/** Nodes first: the core decides only once every kind is listed, and zones come from Nodes. */
const KINDS: readonly Kind[] = ["Node", "Service", "Pod"];

export function startController(options: ControllerOptions): Controller {
  const scheduler = options.scheduler ?? asyncScheduler;
  const { elector } = options;
  const leading = new BehaviorSubject(elector === undefined);
  const subscriptions: Subscription[] = [];
  if (elector !== undefined) subscriptions.push(elector.leading$.subscribe(leading));
  const announcements = new Announcements((event) => options.onEvent?.(event));
  const liveness = options.liveness ?? createWatchLiveness();
  // The latency budget: when each watch event arrived, so that the writes its fold asks for carry
  // it (WriteResult.trace). Weak: an event is forgotten once folded.
  const arrivals = new WeakMap<ClusterEvent, Arrival>();
  const watchOptions: WatchOptions = {
    scheduler,
    liveness,
    onArrival: (event, arrival) => arrivals.set(event, arrival),
    ...options.watch,
    ...(options.watchTimeoutMs !== undefined ? { watchTimeoutMs: options.watchTimeoutMs } : {}),
    ...(options.namespaces !== undefined ? { namespaces: options.namespaces } : {}),
    ...(options.onDiagnostic !== undefined ? { onDiagnostic: options.onDiagnostic } : {}),
  };
  const slices = watchSlices(options.kc, watchOptions);
  const applier = createApplier(options.kc, {
    scheduler,
    ...(options.qps !== undefined ? { qps: options.qps } : {}),
    ...(options.burst !== undefined ? { burst: options.burst } : {}),
    ...(elector !== undefined ? { mayWrite: () => elector.isLeading() } : {}),
    onResult: (result) => {
      const { action, error } = result;
      // A slice name held by something zen-lead's own watch does not see: follow that one name.
      if (
        result.status === "conflict" &&
        action.type === "apply" &&
        action.create &&
        action.kind === "EndpointSlice" &&
        (error as { reason?: unknown } | undefined)?.reason === "AlreadyExists"
      ) {
        slices.follow(action.namespace, action.name);
      }
      options.onWriteResult?.(result);
      announcements.onWritten(result);
    },
  });
  let latest: State | undefined;
  // The fold is synchronous: the event tapped right before it is the one whose state and actions
  // come out next (a wake-up's tick is not tapped, so its writes carry no cause).
  let arrived: Arrival | undefined;
  let cause: WriteCause | undefined;

  // The fold learns of the lease as events; a lost lease drops what was not yet published.
  const leadership$: Observable<ClusterEvent> = leading.pipe(
    distinctUntilChanged(),
    skip(1), // the initial value is the fold's initial state
    map((now): ClusterEvent => {
      if (now) options.beforeLeading?.();
      else announcements.drop();
      return { type: "leadership", leading: now };
    }),
  );
  if (leading.value) options.beforeLeading?.();
  const events$ = merge(
    ...KINDS.map((kind) => watchKind(options.kc, kind, watchOptions)),
    slices.events$,
    leadership$,
  );
  const loop = events$
    .pipe(
      tap((event) => {
        arrived = arrivals.get(event);
        options.onClusterEvent?.(event);
      }),
      reconcileActions({
        scheduler,
        initial: { ...initialState(scheduler.now()), leading: leading.value },
        onState: (state) => {
          latest = state;
          cause = arrived && { ...arrived, foldedAt: performance.now() };
          arrived = undefined;
        },
      }),
    )
    .subscribe((actions) => {
      options.onActions?.(actions);
      // The core of a standby asks for nothing; this guards the moment the lease is lost, and the
      // applier asks the lease again right before each write.
      if (!leading.value) return;
      announcements.onBatch(actions, latest);
      for (const action of actions)
        if (action.type === "apply" || action.type === "delete") applier.submit(action, cause);
    });
  elector?.start();
  return {
    state: () => latest,
    liveness,
    writeQueue: () => applier.size,
    async stop(stopOptions = {}) {
      loop.unsubscribe();
      for (const s of subscriptions) s.unsubscribe();
      applier.stop();
      await applier.idle();
      if (elector !== undefined) {
        if (stopOptions.release === true) await elector.release();
        elector.stop();
      }
    },
  };
}
