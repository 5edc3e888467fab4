/**
 * Whether this replica sees the cluster: every watch loop reports whether its watch is live (a
 * watch stream is open and the server has been heard from within the watch deadline), and this
 * tracks the whole. `/readyz` answers from `live()`; the Lease asks `blindForMs()` — a holder that
 * has not seen the cluster for longer than the renew deadline hands the Lease over instead of
 * holding it blind, and a blind standby does not take it.
 */
import {
  asyncScheduler,
  BehaviorSubject,
  distinctUntilChanged,
  type Observable,
  type TimestampProvider,
} from "rxjs";

/** The liveness of every watch loop of one replica (each a `Kind` or `Kind/namespace` key). */
export interface WatchLiveness {
  /** Registers or updates one watch loop (`Kind` or `Kind/namespace`). */
  set(watch: string, live: boolean): void;
  /** Forgets a watch loop (it stopped). */
  remove(watch: string): void;
  /** At least one watch is registered and every one is live. */
  live(): boolean;
  /**
   * 0 while live; else ms since the watches were last all live (or since this was created), and
   * at least 1: not live is never "0 ms blind".
   */
  blindForMs(): number;
  /** The watches that are not live, in registration order, for logs and the 503 body. */
  notLive(): string[];
  /** `live()`: the current value on subscribe, then every change. */
  readonly live$: Observable<boolean>;
}

/** Starts not live (nothing registered), blind since now; `clock` (ms) defaults to `asyncScheduler`. */
export function createWatchLiveness(clock: TimestampProvider = asyncScheduler): WatchLiveness {
  return new Liveness(clock);
}

class Liveness implements WatchLiveness {
  readonly live$: Observable<boolean>;
  readonly #clock: TimestampProvider;
  /** Each registered watch loop and whether its watch is live. */
  readonly #watches = new Map<string, boolean>();
  /** The whole: true exactly when at least one watch is registered and every one is live. */
  readonly #live = new BehaviorSubject(false);
  /** When the whole last turned not live (or was created), ms; meaningful while not live. */
  #blindSince: number;

  constructor(clock: TimestampProvider) {
    this.#clock = clock;
    this.#blindSince = clock.now();
    this.live$ = this.#live.pipe(distinctUntilChanged());
  }

  set(watch: string, live: boolean): void {
    this.#watches.set(watch, live);
    this.#update();
  }

  remove(watch: string): void {
    this.#watches.delete(watch);
    this.#update();
  }

  live(): boolean {
    return this.#live.value;
  }

  blindForMs(): number {
    return this.#live.value ? 0 : Math.max(1, this.#clock.now() - this.#blindSince);
  }

  notLive(): string[] {
    return [...this.#watches].flatMap(([watch, live]) => (live ? [] : [watch]));
  }

  #update(): void {
    const live = this.#watches.size > 0 && [...this.#watches.values()].every(Boolean);
    if (live === this.#live.value) return;
    if (!live) this.#blindSince = this.#clock.now();
    this.#live.next(live);
  }
}
