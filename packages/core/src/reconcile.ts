/**
 * advance(state, event) -> { state, actions }: step, then for each touched source the Events,
 * timers and writes its new decision calls for. A write already asked for and not yet observed is
 * not asked for again while it is the same write against the same observation (for a window that
 * grows with each repeat), so a burst of events before a write's echo costs one write, a steady
 * cluster costs none, and another writer's edit is answered at once.
 */
import type { Action, ApplyAction, DeleteAction, EventAction, ReportAction } from "./actions.ts";
import { observedOwned, publishedLeader } from "./decide.ts";
import type { LeaderRecord } from "./elect.ts";
import { deepEqual } from "./equal.ts";
import type { ClusterEvent } from "./events.ts";
import { ownedKey } from "./ownership.ts";
import { mapGet, mapHas, mapRemove, mapSet } from "./persistent-map.ts";
import { type OwnedView, plan } from "./plan.ts";
import { type LeaderReason, lossText, type Warning } from "./reasons.ts";
import { type Decision, failureOf, type Inflight, type State } from "./state.ts";
import { type DecisionChange, stepWithChanges } from "./step.ts";
import { timerFor, withTimer } from "./timers.ts";
import { type DecodeFailure, isFailure, objectKey } from "./views.ts";
import { WRITE_QUEUE_DEFAULTS } from "./write-queue.ts";

export interface ReconcileOptions {
  /**
   * How long an unobserved write suppresses an identical one (ms), the first time. Each time the
   * same write is asked for again against the same observation, the window doubles (up to 16×),
   * capped at `inflightMaxMs`: a write the cluster keeps refusing is never retried in a loop.
   */
  readonly inflightTtlMs: number;
  /**
   * The longest suppression window (ms). Default: the write queue's backoff ceiling (30 s), so a
   * write refused until its cause is removed (an admission policy) lands within 30 s of that,
   * never minutes later (docs/semantics.md).
   */
  readonly inflightMaxMs?: number;
}

export const DEFAULT_OPTIONS: ReconcileOptions = {
  inflightTtlMs: 30_000,
  inflightMaxMs: WRITE_QUEUE_DEFAULTS.backoffMaxMs,
};

/** The suppression window grows as 2^repeats, up to 2^MAX_DOUBLINGS, and `inflightMaxMs`. */
const MAX_DOUBLINGS = 4;

/** The result of one `advance`: the new state, what the shell should do, and what was decided. */
export interface Advance {
  readonly state: State;
  /** In order: a `report` first (if the event could not be decoded), then per source its Events and writes. */
  readonly actions: readonly Action[];
  /**
   * Every source the event (or a timer it fired) made the core decide again, with its decision
   * before and after (the same object when nothing changed). Empty before the initial lists.
   */
  readonly changes: readonly DecisionChange[];
}

function sameWarning(a: Warning, b: Warning) {
  return a.reason === b.reason && a.message === b.message;
}

/**
 * The note of a `LeaderChanged` Event: who leads now, and what happened to the previous leader
 * (`lossText`) — "no leader: web-0 no longer matches the Service's selector (LeaderNoLongerSelected)".
 */
function changeNote(
  from: LeaderRecord | undefined,
  to: LeaderRecord | undefined,
  cause: LeaderReason,
): string {
  if (to === undefined)
    return `no leader: ${lossText(cause, from?.podName ?? "the leader") ?? cause} (${cause})`;
  if (from === undefined) return `leader is ${to.podName} (${to.reason})`;
  const loss = lossText(to.reason, from.podName);
  return `leader moved from ${from.podName} to ${to.podName}${loss === undefined ? "" : `: ${loss}`} (${to.reason})`;
}

/**
 * The Events that announce a decision: a `LeaderChanged` when its leader is another pod than
 * `from` (the leader going into it), and each warning not among `known`. Pure; `advance` calls it
 * with the previous decision's leader and warnings, or — on taking over — with the leader the
 * cluster shows and no warnings (the shell reads back which are already recorded).
 */
export function eventsFor(
  from: LeaderRecord | undefined,
  known: readonly Warning[],
  after: Decision | undefined,
): EventAction[] {
  if (after === undefined) return [];
  const to = after.leader;
  // Nothing to announce (most decisions: only the candidate count moved): no allocation.
  if ((after.desired === undefined || from?.podUid === to?.podUid) && after.warnings === known) return [];
  const out: EventAction[] = [];
  const source = { namespace: after.source.namespace, name: after.source.name, uid: after.source.uid };
  if (after.desired !== undefined && from?.podUid !== to?.podUid) {
    const cause = to?.reason ?? after.lost ?? "LeaderDeleted";
    out.push({
      type: "event",
      source,
      eventType: "Normal",
      reason: "LeaderChanged",
      note: changeNote(from, to, cause),
      leaderChange: {
        ...(from !== undefined ? { from: from.podName } : {}),
        ...(to !== undefined ? { to: to.podName } : {}),
        cause: cause,
      },
    });
  }
  for (const w of after.warnings) {
    if (known.some((b) => sameWarning(b, w))) continue;
    out.push({ type: "event", source, eventType: "Warning", reason: w.reason, note: w.message });
  }
  return out;
}

/**
 * Nothing to plan: the same desired objects as before (reused by decide), the same observed owned
 * objects, and no write of this source in flight — so the last plan, which wrote nothing, stands.
 * This keeps a pod flap that changes no leader at a few comparisons: when the step changed no
 * Service, slice or owned index at all (a pod event), nothing is looked up.
 */
function settled(
  prev: State,
  next: State,
  source: string,
  before: Decision | undefined,
  after: Decision | undefined,
  inflight: State["inflight"],
): boolean {
  if (after === undefined || before === undefined || after.desired !== before.desired) return false;
  const desired = after.desired ?? [];
  const owned = mapGet(next.owned, source);
  if (next.owned !== prev.owned && owned !== mapGet(prev.owned, source)) return false;
  const objectsSame = next.services === prev.services && next.slices === prev.slices;
  if (inflight.size !== 0 || !objectsSame) {
    for (const d of desired) {
      if (inflight.size !== 0 && mapHas(inflight, ownedKey(d.kind, d.namespace, d.name))) return false;
      if (objectsSame) continue;
      const objKey = objectKey(d.namespace, d.name);
      const same =
        d.kind === "Service"
          ? mapGet(next.services, objKey) === mapGet(prev.services, objKey)
          : mapGet(next.slices, objKey) === mapGet(prev.slices, objKey);
      if (!same) return false;
    }
  }
  return owned === undefined ? desired.length === 0 : owned.size === desired.length;
}

/** What a write does, without its content: two writes are the same if this and their content agree. */
function requestOf(action: ApplyAction | DeleteAction): string {
  if (action.type === "delete") return `delete:${action.uid}`;
  return action.create ? "create" : `update:${action.expectedUid}`;
}

/** Is `action` the write remembered as in flight (the same request, the same content)? */
function sameWrite(pending: Inflight, action: ApplyAction | DeleteAction): boolean {
  if (pending.request !== requestOf(action)) return false;
  const desired = action.type === "apply" ? action.desired : undefined;
  return (
    pending.desired === desired ||
    (pending.desired !== undefined && desired !== undefined && deepEqual(pending.desired, desired))
  );
}

/**
 * How long a write asked for suppresses the same write (ms) after `repeats` earlier asks of it
 * against the same observation (0: the first ask): `inflightTtlMs·2^repeats`, up to 16×, and no
 * longer than `inflightMaxMs` — when `advance` asks for it again if it still has not been observed.
 */
export function suppressionMs(options: ReconcileOptions, repeats: number): number {
  const grown = options.inflightTtlMs * 2 ** Math.min(repeats, MAX_DOUBLINGS);
  return Math.min(grown, options.inflightMaxMs ?? Number.POSITIVE_INFINITY);
}

function report(o: DecodeFailure): ReportAction {
  const object = `${o.kind} ${o.name === undefined ? "(unnamed)" : objectKey(o.namespace ?? "", o.name)}`;
  return { type: "report", reason: "DecodeFailed", object, message: o.reason };
}

/**
 * The `report`s an event calls for: an object other than a Service (whose failure is a Warning on
 * it) that arrives undecodable — in a watch event each time, in a list (the initial one, a relist)
 * only when it was not already known to fail for the same reason, so a relist repeats nothing.
 */
function reportsFor(state: State, event: ClusterEvent): Action[] {
  if (event.type === "upsert") {
    const o = event.object;
    return isFailure(o) && o.kind !== "Service" ? [report(o)] : [];
  }
  if (event.type !== "resync" || event.kind === "Service") return [];
  const out: Action[] = [];
  for (const o of event.objects) {
    if (!isFailure(o)) continue;
    const known =
      o.name === undefined ? undefined : failureOf(state, o.kind, objectKey(o.namespace ?? "", o.name));
    if (known?.reason !== o.reason) out.push(report(o));
  }
  return out;
}

/**
 * step, then for each touched source the Events, timers and writes its new decision calls for.
 * A write already asked for is not asked for again while it is the same write against the same
 * observation of its object and younger than its suppression window: a burst of events before a
 * write's echo costs one write, while anything new observed of the object (another writer's
 * edit) is answered at once. A standby (not leading) decides and keeps its timers, nothing else.
 */
export function advance(
  state: State,
  event: ClusterEvent,
  options: ReconcileOptions = DEFAULT_OPTIONS,
): Advance {
  const stepped = stepWithChanges(state, event);
  let next = stepped.state;
  const actions: Action[] = reportsFor(state, event);
  if (stepped.changes.length === 0) return { state: next, actions, changes: stepped.changes };

  // Taking over: announce against what the cluster shows, not against decisions made as a standby.
  const takeover = next.leading && !state.leading;
  let inflight = next.inflight;
  let timers = next.timers;
  let nextTimerAt = next.nextTimerAt;
  for (const { source, before, after } of stepped.changes) {
    const uid = after?.source.uid ?? before?.source.uid ?? "";
    const inflightBefore = inflight;
    // Read only when needed: most touched sources are settled and plan nothing.
    let observed: OwnedView[] | undefined;
    if (next.leading) {
      if (takeover) {
        observed = observedOwned(next, source, uid, after?.desired);
        actions.push(...eventsFor(publishedLeader(next, observed), [], after));
      } else if (after !== before) {
        const events = eventsFor(after?.previousLeader, before?.warnings ?? [], after);
        if (events.length !== 0) actions.push(...events);
      }
    }
    if (!next.leading) continue; // a standby writes nothing
    if (after !== undefined && after.desired === undefined) continue; // frozen: no writes
    if (!takeover && settled(state, next, source, before, after, inflight)) continue;
    observed ??= observedOwned(next, source, uid, after?.desired);
    const writes = plan(after?.desired ?? [], observed, source);
    let written: Set<string> | undefined;
    for (const w of writes) {
      if (w.type !== "apply" && w.type !== "delete") continue;
      const key = ownedKey(w.kind, w.namespace, w.name);
      written ??= new Set();
      written.add(key);
      const basis = observed.find((o) => o.kind === w.kind && o.name === w.name);
      const pending = inflight.size === 0 ? undefined : mapGet(inflight, key);
      const again = pending !== undefined && pending.basis === basis && sameWrite(pending, w);
      if (again && next.now < pending.retryAt) continue;
      const repeats = again ? pending.repeats + 1 : 0;
      inflight = mapSet(inflight, key, {
        request: requestOf(w),
        desired: w.type === "apply" ? w.desired : undefined,
        at: next.now,
        retryAt: next.now + suppressionMs(options, repeats),
        basis,
        repeats,
      });
      actions.push(w);
    }
    // What needs no write now has been observed as wanted: nothing is pending for it any more.
    if (inflight.size !== 0) {
      for (const d of after?.desired ?? []) {
        const key = ownedKey(d.kind, d.namespace, d.name);
        if (written?.has(key) !== true) inflight = mapRemove(inflight, key);
      }
    }
    if (inflight !== inflightBefore) {
      // The source's timer again, now with the retry times of the writes just recorded.
      const facts = { now: next.now, inflight, owned: next.owned };
      const table = withTimer({ timers, nextTimerAt }, source, timerFor(facts, source, after));
      timers = table.timers;
      nextTimerAt = table.nextTimerAt;
    }
  }
  if (inflight !== next.inflight || timers !== next.timers) {
    next = { ...next, inflight, timers, nextTimerAt };
  }
  return { state: next, actions, changes: stepped.changes };
}
