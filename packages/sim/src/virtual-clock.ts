/**
 * Virtual time for a run: an rxjs VirtualTimeScheduler whose frames are milliseconds from the
 * start of the run, seen by the core through a SchedulerLike whose `now()` is `epochMs + frame`
 * (the objects it reads carry absolute timestamps, so its clock must be absolute too). Everything
 * that happens later in a run — watch deliveries, write answers, retries, timeline changes and the
 * core's own wake-ups — is an action on this one scheduler, so a run is a pure function of its
 * input: actions at the same frame run in the order they were scheduled.
 */
import { type SchedulerLike, type Subscription, VirtualAction, VirtualTimeScheduler } from "rxjs";

/**
 * rxjs's VirtualAction re-sorts the scheduler's whole queue on every schedule; a replay schedules
 * a few actions per event while hundreds wait (the core's 30 s write-retry timers), so that sort
 * was a tenth of the run. This one inserts in place by binary search, in the very same order:
 * by due frame, then by creation (the newest action has the highest index).
 */
class OrderedAction<T> extends VirtualAction<T> {
  protected override requestAsyncId(scheduler: VirtualTimeScheduler, _id?: unknown, delay = 0): number {
    this.delay = scheduler.frame + delay;
    const actions = scheduler.actions as unknown as OrderedAction<unknown>[];
    let lo = 0;
    let hi = actions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = actions[mid] as OrderedAction<unknown>;
      if (other.delay < this.delay || (other.delay === this.delay && other.index < this.index)) lo = mid + 1;
      else hi = mid;
    }
    actions.splice(lo, 0, this as unknown as OrderedAction<unknown>);
    return 1;
  }
}

/** One run's virtual time (module comment), starting at `epochMs`. */
export class VirtualClock {
  readonly epochMs: number;
  readonly #virtual = new VirtualTimeScheduler(
    OrderedAction as unknown as ConstructorParameters<typeof VirtualTimeScheduler>[0],
    Number.POSITIVE_INFINITY,
  );
  /** What the core's operator is given: absolute time, virtual scheduling. */
  readonly scheduler: SchedulerLike;

  constructor(epochMs: number) {
    this.epochMs = epochMs;
    const virtual = this.#virtual;
    this.scheduler = {
      now: () => epochMs + virtual.frame,
      schedule: ((work: never, delay?: number, state?: unknown) =>
        virtual.schedule(work, delay, state)) as SchedulerLike["schedule"],
    };
  }

  /** Virtual ms since the start of the run. */
  get frame(): number {
    return this.#virtual.frame;
  }

  /** Epoch ms now (what object timestamps are written with). */
  get now(): number {
    return this.epochMs + this.#virtual.frame;
  }

  /** Runs `work` at virtual time `frame` (now, if that is in the past). */
  at(frame: number, work: () => void): Subscription {
    return this.#virtual.schedule(work, Math.max(0, frame - this.#virtual.frame));
  }

  /**
   * Runs every action due at or before `frame`, including those they schedule. Actions after it
   * stay queued: the run can be continued (streaming replays advance in steps) and a run ends by
   * simply not running past its end.
   */
  runUntil(frame: number): void {
    this.#virtual.maxFrames = frame;
    this.#virtual.flush();
  }
}
