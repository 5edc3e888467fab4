/**
 * Waits longer than a JavaScript timer holds (2^31−1 ms, about 24.8 days) are re-armed in steps:
 * the work runs at the asked time, and no single timer is ever asked for more than the maximum.
 */
import { type SchedulerAction, type SchedulerLike, VirtualTimeScheduler } from "rxjs";
import { describe, expect, it } from "vitest";
import { MAX_TIMER_MS, scheduleAfter } from "./schedule.ts";

/** A virtual-time scheduler that records the delay of every timer it is asked for. */
function recording() {
  const inner = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
  const delays: number[] = [];
  const scheduler: SchedulerLike = {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T) {
      delays.push(delay);
      return inner.schedule(
        function (this: SchedulerAction<T>, s?: T) {
          const proxy = Object.create(this) as SchedulerAction<T>;
          proxy.schedule = (next?: T, again = 0) => {
            delays.push(again);
            return this.schedule(next, again);
          };
          work.call(proxy, s);
        },
        delay,
        state,
      );
    },
  };
  return { inner, delays, scheduler };
}

describe("scheduleAfter", () => {
  it("runs a short wait as one timer", () => {
    const { inner, delays, scheduler } = recording();
    let at: number | undefined;
    scheduleAfter(scheduler, 5000, () => {
      at = inner.now();
    });
    inner.flush();
    expect(at).toBe(5000);
    expect(delays).toEqual([5000]);
  });

  it("runs a wait of 1000 h at its time, in timers of at most 2^31−1 ms", () => {
    const { inner, delays, scheduler } = recording();
    const wait = 1000 * 3_600_000; // 3.6e9 ms
    let at: number | undefined;
    scheduleAfter(scheduler, wait, () => {
      at = inner.now();
    });
    inner.flush();
    expect(at).toBe(wait);
    expect(delays.length).toBeGreaterThan(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it("is cancelled by its subscription, in whichever step it waits", () => {
    const { inner, scheduler } = recording();
    let ran = false;
    const subscription = scheduleAfter(scheduler, 3 * MAX_TIMER_MS, () => {
      ran = true;
    });
    inner.maxFrames = MAX_TIMER_MS + 1; // run the first step only
    inner.flush();
    subscription.unsubscribe();
    inner.maxFrames = Number.POSITIVE_INFINITY;
    inner.flush();
    expect(ran).toBe(false);
  });
});
