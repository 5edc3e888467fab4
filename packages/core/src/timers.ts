/**
 * The timer table (`State.timers`, `State.nextTimerAt`): when each source must be decided again.
 * One rule sets it, and only this module writes it: a source's timer is the earliest time after
 * `now` among its decision's wake-up (`Decision.wakeAt`: min-ready damping, a grace running out)
 * and the retry time of its writes not yet observed (`Inflight.retryAt`, set by `advance`). `step`
 * applies the rule when it decides a source and fires what is due on a `tick`; `advance` applies it
 * again after it records writes. Because both compute the whole rule, neither can drop the other's
 * time (a decision without a wake-up no longer erases a pending write's retry).
 */
import { ownedKey } from "./ownership.ts";
import { mapEntries, mapGet, mapKeys, mapRemove, mapSet } from "./persistent-map.ts";
import type { Decision, State } from "./state.ts";

/** The two fields this module owns. */
export type TimerTable = Pick<State, "timers" | "nextTimerAt">;

/**
 * When `source` must be decided again (epoch ms), or undefined for never: the earliest of
 * `decision.wakeAt` and the `retryAt` of the in-flight writes of its desired and owned objects,
 * counting only times after `state.now`. Costs nothing beyond the wake-up while no write is in
 * flight (the usual case).
 */
export function timerFor(
  state: Pick<State, "now" | "inflight" | "owned">,
  source: string,
  decision: Decision | undefined,
): number | undefined {
  let at = decision?.wakeAt ?? Number.POSITIVE_INFINITY;
  if (state.inflight.size !== 0) {
    const retry = (key: string) => {
      const pending = mapGet(state.inflight, key);
      if (pending !== undefined && pending.retryAt > state.now) at = Math.min(at, pending.retryAt);
    };
    for (const d of decision?.desired ?? []) retry(ownedKey(d.kind, d.namespace, d.name));
    const owned = mapGet(state.owned, source);
    if (owned !== undefined) for (const key of mapKeys(owned)) retry(key);
  }
  return at === Number.POSITIVE_INFINITY ? undefined : at;
}

/**
 * The table with `source`'s timer at `at` (undefined: none). `nextTimerAt` only ever moves
 * earlier here: after a removal it may be early, never late (`takeDue` makes it exact again).
 */
export function withTimer(table: TimerTable, source: string, at: number | undefined): TimerTable {
  if (at === undefined) {
    return table.timers.size === 0 || mapGet(table.timers, source) === undefined
      ? table
      : { timers: mapRemove(table.timers, source), nextTimerAt: table.nextTimerAt };
  }
  if (mapGet(table.timers, source) === at) return table;
  return { timers: mapSet(table.timers, source, at), nextTimerAt: Math.min(table.nextTimerAt, at) };
}

/**
 * The sources whose timers are due at `now` (at or before it), and the table without them, with
 * an exact `nextTimerAt` (Infinity: none left). Scans nothing while `now < nextTimerAt`.
 */
export function takeDue(
  table: TimerTable,
  now: number,
): { readonly due: string[]; readonly table: TimerTable } {
  if (now < table.nextTimerAt) return { due: [], table };
  const due: string[] = [];
  let timers = table.timers;
  let nextTimerAt = Number.POSITIVE_INFINITY;
  for (const [source, at] of mapEntries(table.timers)) {
    if (at > now) nextTimerAt = Math.min(nextTimerAt, at);
    else {
      timers = mapRemove(timers, source);
      due.push(source);
    }
  }
  return { due, table: { timers, nextTimerAt } };
}
