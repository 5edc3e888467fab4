/**
 * Virtual time for the adapter's unit tests: an RxJS `SchedulerLike` that moves only when a test
 * calls `advance`, and lets promise callbacks settle after each timer it fires. The timed parts
 * under test (the Lease, the Event recorder) await an API answer between one timer and the next;
 * rxjs's own `VirtualTimeScheduler` runs every due action in one synchronous flush, so an answer
 * would land only after time had already moved past the timers it arms.
 */
import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

/**
 * Resolves once every promise callback queued now, and those they queue, has run (on the next
 * macrotask: `setImmediate`, which runs after the microtask queue is empty).
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One scheduled piece of work; `schedule` inside the work re-arms it (as rxjs's actions do). */
class ManualAction<T> extends Subscription implements SchedulerAction<T> {
  /** When it runs, in the scheduler's ms; undefined while not armed (before, after it ran). */
  dueAt: number | undefined;
  /** Arming order: among actions due at the same ms, the one armed first runs first. */
  armedAs = 0;
  /** What the work is called with (the `state` of `schedule`). */
  state: T | undefined;
  readonly #work: (this: SchedulerAction<T>, state?: T) => void;
  readonly #arm: (action: ManualAction<T>, delayMs: number) => void;

  constructor(
    work: (this: SchedulerAction<T>, state?: T) => void,
    arm: (action: ManualAction<T>, delayMs: number) => void,
    disarm: (action: ManualAction<T>) => void,
  ) {
    super();
    this.#work = work;
    this.#arm = arm;
    this.add(() => disarm(this));
  }

  /** Arms the work `delay` ms from now (negative: now) with `state`; a closed action stays closed. */
  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.#arm(this, delay);
    return this;
  }

  /** Runs the work once (it may re-arm itself). */
  run(): void {
    this.dueAt = undefined;
    this.#work.call(this, this.state);
  }
}

/**
 * A `SchedulerLike` whose `now()` (ms; start it at an epoch ms for code that writes timestamps)
 * moves only in `advance`. Work runs only inside `advance`, never synchronously in `schedule`,
 * even with delay 0 — as with a real timer.
 */
export class ManualScheduler implements SchedulerLike {
  /** The current time, ms. Only `advance` moves it, never backwards. */
  #now: number;
  /** The actions armed and not yet run (each has a `dueAt`). */
  readonly #armed = new Set<ManualAction<unknown>>();
  /** Counts armings, to order actions due at the same ms. */
  #armings = 0;

  /** `startMs`: what `now()` answers before the first `advance`. Default 0. */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /**
   * Runs `work` (with `this` its action, and `state`) `delay` ms from now (default 0; negative:
   * now), inside a later `advance`. The subscription cancels it, re-armed or not.
   */
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const action = new ManualAction<T>(
      work,
      (a, delayMs) => this.#arm(a as ManualAction<unknown>, delayMs),
      (a) => this.#armed.delete(a as ManualAction<unknown>),
    );
    return action.schedule(state, delay);
  }

  /**
   * Moves time forward by `ms`, running every action that falls due on the way — at its own time,
   * in due order (ties: arming order), those armed meanwhile included — and letting promise
   * callbacks settle before the first and after each one. Resolves at `now() + ms`.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (let due = this.#nextDue(target); due !== undefined; due = this.#nextDue(target)) {
      this.#armed.delete(due);
      this.#now = Math.max(this.#now, due.dueAt ?? this.#now);
      due.run();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }

  #arm(action: ManualAction<unknown>, delayMs: number): void {
    action.dueAt = this.#now + Math.max(0, delayMs);
    action.armedAs = this.#armings++;
    this.#armed.add(action);
  }

  /** The armed action that runs next, if it is due at or before `limit`. */
  #nextDue(limit: number): ManualAction<unknown> | undefined {
    let best: ManualAction<unknown> | undefined;
    for (const action of this.#armed) {
      const at = action.dueAt ?? Number.POSITIVE_INFINITY;
      if (at > limit) continue;
      const bestAt = best?.dueAt ?? Number.POSITIVE_INFINITY;
      if (best === undefined || at < bestAt || (at === bestAt && action.armedAs < best.armedAs))
        best = action;
    }
    return best;
  }
}
