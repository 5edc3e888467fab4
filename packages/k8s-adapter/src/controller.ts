/**
 * The controller loop, wired: the four watches (Nodes, Services, Pods, zen-lead's EndpointSlices)
 * merged into one stream of core events, folded by the core's operator on real time, and its
 * writes handed to the applier. It decides nothing itself. Writes flow only while `leading$` says
 * this replica holds the lease (always, when no lease is given): losing it stops them at once.
 * Gaining it starts the fold again from fresh lists (a relist: milliseconds to seconds).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { type Action, type EventAction, type Kind, reconcileActions, type State } from "@zen-lead/core";
import { asyncScheduler, BehaviorSubject, merge, type SchedulerLike, type Subscription } from "rxjs";
import { createApplier, type WriteResult } from "./applier.ts";
import type { LeaderElector } from "./lease.ts";
import { createWatchLiveness, type WatchLiveness } from "./liveness.ts";
import { type WatchDiagnostic, watchKind } from "./watch.ts";

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
  /** Every batch of actions the core asks for, written or not. */
  readonly onActions?: (actions: readonly Action[]) => void;
  /** Events for the source Services (the EventRecorder's input). */
  readonly onEvent?: (event: EventAction) => void;
  readonly onWriteResult?: (result: WriteResult) => void;
  readonly onDiagnostic?: (line: string, detail: WatchDiagnostic) => void;
  /** A watch not heard from for this long is restarted (watch.ts; `--watch-timeout`). Default 30 s. */
  readonly watchTimeoutMs?: number;
  /**
   * Told whether each watch is live (for `/readyz`, and for the elector's `blindForMs`, which must
   * see the same tracker). Default: a tracker of the controller's own, exposed as `liveness`.
   */
  readonly liveness?: WatchLiveness;
}

export interface Controller {
  /** The core's latest state (for status and metrics). */
  readonly state: () => State | undefined;
  /** Whether every watch is live. */
  readonly liveness: WatchLiveness;
  /**
   * Stop watching and writing; resolves when writes in flight are done. With `release`, then hand
   * the lease over at once (SIGTERM: a standby takes over within about one retry period).
   */
  stop(options?: { readonly release?: boolean }): Promise<void>;
}

/** Nodes first: the core decides only once every kind is listed, and zones come from Nodes. */
const KINDS: readonly Kind[] = ["Node", "Service", "Pod", "EndpointSlice"];

export function startController(options: ControllerOptions): Controller {
  const scheduler = options.scheduler ?? asyncScheduler;
  const { elector } = options;
  const leading = new BehaviorSubject(true);
  const subscriptions: Subscription[] = [];
  if (elector !== undefined) subscriptions.push(elector.leading$.subscribe(leading));
  const applier = createApplier(options.kc, {
    scheduler,
    ...(elector !== undefined ? { mayWrite: () => elector.isLeading() } : {}),
    ...(options.onWriteResult !== undefined ? { onResult: options.onWriteResult } : {}),
  });
  let latest: State | undefined;
  const liveness = options.liveness ?? createWatchLiveness();
  const watchOptions = {
    scheduler,
    liveness,
    ...(options.watchTimeoutMs !== undefined ? { watchTimeoutMs: options.watchTimeoutMs } : {}),
    ...(options.namespaces !== undefined ? { namespaces: options.namespaces } : {}),
    ...(options.onDiagnostic !== undefined ? { onDiagnostic: options.onDiagnostic } : {}),
  };
  const run = () => {
    const events$ = merge(...KINDS.map((kind) => watchKind(options.kc, kind, watchOptions)));
    const actions$ = events$.pipe(
      reconcileActions({
        scheduler,
        onState: (state) => {
          latest = state;
        },
      }),
    );
    return actions$.subscribe((actions) => {
      options.onActions?.(actions);
      // A standby folds (its watches stay warm) but hands nothing on; the applier asks the lease
      // again right before each write, so a replica that lost it writes nothing more.
      if (!leading.value) return;
      for (const action of actions) {
        if (action.type === "event") options.onEvent?.(action);
        else applier.submit(action);
      }
    });
  };
  let loop = run();
  elector?.start();
  // On gaining the lease, start from fresh lists: a standby's fold holds writes it asked for but
  // never made (suppressed as in flight), which a new holder must make now, not 30 s later.
  let wasLeading = leading.value;
  subscriptions.push(
    leading.subscribe((now) => {
      if (now && !wasLeading) {
        loop.unsubscribe();
        loop = run();
      }
      wasLeading = now;
    }),
  );
  return {
    state: () => latest,
    liveness,
    async stop(stopOptions = {}) {
      for (const s of subscriptions) s.unsubscribe();
      loop.unsubscribe();
      applier.stop();
      await applier.idle();
      if (elector !== undefined) {
        if (stopOptions.release === true) await elector.release();
        elector.stop();
      }
    },
  };
}
