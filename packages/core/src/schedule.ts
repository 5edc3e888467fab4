/**
 * Waits of any length on an RxJS scheduler. JavaScript timers hold at most 2^31−1 ms (about 24.8
 * days): a longer delay fires after 1 ms, with a warning on stderr. A min-ready duration, a
 * Retry-After or a flag may ask for more, so long waits are re-armed in steps of at most that.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";

/** The longest delay one JavaScript timer holds, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `work` once, `delayMs` after now (negative: at once), on `scheduler`'s clock. The
 * subscription cancels it, whichever step it is waiting in.
 */
export function scheduleAfter(scheduler: SchedulerLike, delayMs: number, work: () => void): Subscription {
  const at = scheduler.now() + Math.max(0, delayMs);
  return scheduler.schedule(
    function hop(this: SchedulerAction<undefined>) {
      const left = at - scheduler.now();
      if (left > 0) this.schedule(undefined, Math.min(left, MAX_TIMER_MS));
      else work();
    },
    Math.min(Math.max(0, delayMs), MAX_TIMER_MS),
  );
}
