/**
 * The RxJS operator: cluster events in, batches of actions out. It folds `advance` over the
 * events, stamps each with the scheduler's time, and turns wake actions into ticks scheduled on
 * that same scheduler — so the simulator runs it on virtual time and the controller on real time,
 * through the same code. It keeps no state outside the subscription, and cancels its pending
 * wake-ups when the subscription ends.
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

export interface OperatorOptions extends Partial<ReconcileOptions> {
  readonly scheduler: SchedulerLike;
  /** Start from this state instead of an empty one (tests, resumed simulations). */
  readonly initial?: State;
  /** Called with every new state (the simulator's reports and the CLI's status read it). */
  readonly onState?: (state: State) => void;
}

export function reconcileActions(
  options: OperatorOptions,
): OperatorFunction<ClusterEvent, readonly Action[]> {
  const { scheduler } = options;
  const reconcile: ReconcileOptions = { ...DEFAULT_OPTIONS, ...options };
  return (events$) =>
    defer(() => {
      const wakes$ = new Subject<ClusterEvent>();
      // Pending wake-ups by time; cancelled when the subscription ends, so nothing outlives it.
      const scheduled = new Map<number, Subscription>();
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
      const start: Advance = { state: options.initial ?? initialState(scheduler.now()), actions: [] };
      return merge(input$, wakes$.pipe(takeUntil(ended$))).pipe(
        scan((acc: Advance, event: ClusterEvent): Advance => {
          const now = scheduler.now();
          if (event.type === "tick" || now === acc.state.now) return advance(acc.state, event, reconcile);
          // Time passed since the last event: let it pass in the state first (timers may fire).
          const ticked = advance(acc.state, { type: "tick", now }, reconcile);
          const result = advance(ticked.state, event, reconcile);
          if (ticked.actions.length === 0) return result;
          return { state: result.state, actions: [...ticked.actions, ...result.actions] };
        }, start),
        map((result) => {
          options.onState?.(result.state);
          for (const action of result.actions) {
            if (action.type !== "wake" || scheduled.has(action.at)) continue;
            const at = action.at;
            scheduled.set(
              at,
              scheduleAfter(scheduler, at - scheduler.now(), () => {
                scheduled.delete(at);
                wakes$.next({ type: "tick", now: scheduler.now() });
              }),
            );
          }
          return result.actions;
        }),
        filter((actions) => actions.length > 0),
        finalize(() => {
          for (const timer of scheduled.values()) timer.unsubscribe();
          scheduled.clear();
        }),
      );
    });
}
