/**
 * The RxJS operator: cluster events in, batches of actions out. It folds `advance` over the
 * events, stamps each with the scheduler's time, and keeps one tick scheduled on that same
 * scheduler for the state's `nextTimerAt` — so the simulator runs it on virtual time and the
 * controller on real time, through the same code. It keeps no state outside the subscription, and
 * cancels its pending tick when the subscription ends.
 */
import {
  defer,
  merge,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  type Subscription,
} from "rxjs";
import { filter, finalize, map, scan, takeUntil } from "rxjs/operators";
import type { Action } from "./actions.ts";
import type { ClusterEvent } from "./events.ts";
import { type Advance, advance, DEFAULT_OPTIONS, type ReconcileOptions } from "./reconcile.ts";
import { scheduleAfter } from "./schedule.ts";
import { initialState, type State } from "./state.ts";
import type { DecisionChange } from "./step.ts";

export interface OperatorOptions extends Partial<ReconcileOptions> {
  readonly scheduler: SchedulerLike;
  /** Start from this state instead of an empty one (tests, resumed simulations). */
  readonly initial?: State;
  /**
   * Called with every new state and the sources decided on the way to it (those the event touched,
   * and those whose timers fired just before it): the simulator's trace and the CLI's status read it.
   */
  readonly onState?: (state: State, changes: readonly DecisionChange[]) => void;
}

/**
 * An RxJS operator folding cluster events into batches of actions (`advance` per event; a batch
 * is never empty). Each event is folded at `options.scheduler.now()` (epoch ms): when time passed
 * since the last event, a `tick` is folded first, so timers due meanwhile fire before it. Errors
 * of the input pass through; completing the input completes the output and cancels the tick.
 */
export function reconcileActions(
  options: OperatorOptions,
): OperatorFunction<ClusterEvent, readonly Action[]> {
  const { scheduler } = options;
  const reconcile: ReconcileOptions = { ...DEFAULT_OPTIONS, ...options };
  return (events$) =>
    defer(() => {
      const ticks$ = new Subject<ClusterEvent>();
      // The one pending tick, for the earliest timer; cancelled when the subscription ends.
      let pending: { readonly at: number; readonly timer: Subscription } | undefined;
      const ended$ = new Subject<void>();
      const input$ = new Observable<ClusterEvent>((subscriber) =>
        events$.subscribe({
          next: (e) => subscriber.next(e),
          error: (err) => subscriber.error(err),
          complete: () => {
            ended$.next();
            subscriber.complete();
          },
        }),
      );
      const start: Advance = {
        state: options.initial ?? initialState(scheduler.now()),
        actions: [],
        changes: [],
      };
      return merge(input$, ticks$.pipe(takeUntil(ended$))).pipe(
        scan((acc: Advance, event: ClusterEvent): Advance => {
          const now = scheduler.now();
          if (event.type === "tick" || now === acc.state.now) return advance(acc.state, event, reconcile);
          // Time passed since the last event: let it pass in the state first (timers may fire).
          const ticked = advance(acc.state, { type: "tick", now }, reconcile);
          const result = advance(ticked.state, event, reconcile);
          if (ticked.changes.length === 0 && ticked.actions.length === 0) return result;
          return {
            state: result.state,
            actions: [...ticked.actions, ...result.actions],
            changes: [...ticked.changes, ...result.changes],
          };
        }, start),
        map((result) => {
          options.onState?.(result.state, result.changes);
          const at = result.state.nextTimerAt;
          // Only ever moved earlier: a tick that finds nothing due still costs nothing.
          if (at !== Number.POSITIVE_INFINITY && (pending === undefined || at < pending.at)) {
            pending?.timer.unsubscribe();
            pending = {
              at,
              timer: scheduleAfter(scheduler, at - scheduler.now(), () => {
                pending = undefined;
                ticks$.next({ type: "tick", now: scheduler.now() });
              }),
            };
          }
          return result.actions;
        }),
        filter((actions) => actions.length > 0),
        finalize(() => {
          pending?.timer.unsubscribe();
          pending = undefined;
        }),
      );
    });
}
