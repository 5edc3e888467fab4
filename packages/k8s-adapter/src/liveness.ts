/**
 * Whether this replica sees the cluster: every watch loop reports whether its watch is live (a
 * watch stream is open and the server has been heard from within the watch deadline), and this
 * tracks the whole. `/readyz` answers from `live()`; the Lease asks `blindForMs()` — a holder that
 * has not seen the cluster for longer than the renew deadline hands the Lease over instead of
 * holding it blind, and a blind standby does not take it.
 */
import { BehaviorSubject, distinctUntilChanged, type Observable } from "rxjs";
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";

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
  /** The watches that are not live, for logs and the 503 body. */
  notLive(): string[];
  /** `live()`: the current value on subscribe, then every change. */
  readonly live$: Observable<boolean>;
}

export function createWatchLiveness(clock: Pick<Clock, "now"> = systemClock): WatchLiveness {
  const watches = new Map<string, boolean>();
  const subject = new BehaviorSubject(false);
  let blindSince = clock.now();

  const update = () => {
    const live = watches.size > 0 && [...watches.values()].every(Boolean);
    if (live === subject.value) return;
    if (!live) blindSince = clock.now();
    subject.next(live);
  };

  return {
    set(watch, live) {
      watches.set(watch, live);
      update();
    },
    remove(watch) {
      watches.delete(watch);
      update();
    },
    live: () => subject.value,
    blindForMs: () => (subject.value ? 0 : Math.max(1, clock.now() - blindSince)),
    notLive: () => [...watches].flatMap(([watch, live]) => (live ? [] : [watch])),
    live$: subject.pipe(distinctUntilChanged()),
  };
}
