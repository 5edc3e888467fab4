/**
 * The controller's watches, modelled as one ordered stream: every change the API model accepts is
 * queued and reaches the controller `watchLatencyMs` later, never before an earlier one (a watch
 * is ordered, and a lowered latency must not let a later event overtake). Like a real watch started
 * from a list's resourceVersion, a change already contained in the last list of its kind (same or
 * lower resourceVersion) is not delivered again: a stale event after a relist would roll the
 * controller's view back.
 *
 * Watch gaps: while a kind's watch is down its events are dropped (and the earliest drop's time
 * kept, to say when what the relist reveals happened); the relist that ends the gap is the
 * engine's job.
 */
import type { Kind } from "@zen-lead/core";
import type { ApiChange } from "./api-model.ts";

/** A change on its way to the controller. */
export interface WatchItem {
  readonly change: ApiChange;
  /** The model's resourceVersion right after the change (orders it against lists). */
  readonly resourceVersion: number;
  /** Virtual time the API model accepted the change. */
  readonly acceptedAt: number;
  /** Virtual time it reaches the controller. */
  readonly deliverAt: number;
}

interface KindState {
  /** Changes up to this resourceVersion are in the controller's last list of the kind. */
  listed: number;
  /** Set while the kind's watch is down. */
  gap: { readonly until: number; firstDropped: number | undefined } | undefined;
}

/** The controller's watch events in delivery order (module comment); one per controller process. */
export class WatchStream {
  /** Consumed slots are cleared (undefined) and the array compacted now and then. */
  #queue: (WatchItem | undefined)[] = [];
  #head = 0;
  #lastDeliverAt = 0;
  readonly #kinds = new Map<Kind, KindState>();

  #kind(kind: Kind): KindState {
    let state = this.#kinds.get(kind);
    if (state === undefined) {
      state = { listed: 0, gap: undefined };
      this.#kinds.set(kind, state);
    }
    return state;
  }

  /** Queues a change; returns when it will be delivered. */
  push(change: ApiChange, resourceVersion: number, acceptedAt: number, latencyMs: number): number {
    const deliverAt = Math.max(acceptedAt + latencyMs, this.#lastDeliverAt);
    this.#lastDeliverAt = deliverAt;
    this.#queue.push({ change, resourceVersion, acceptedAt, deliverAt });
    return deliverAt;
  }

  /** When the next queued change is due, if any. */
  get nextDue(): number | undefined {
    return this.#queue[this.#head]?.deliverAt;
  }

  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * The next change due at or before `frame` that the controller should see, skipping (and
   * consuming) those dropped by a gap or already listed; undefined when none is due.
   */
  take(frame: number): WatchItem | undefined {
    for (;;) {
      const item = this.#queue[this.#head];
      if (item === undefined || item.deliverAt > frame) return undefined;
      this.#queue[this.#head] = undefined;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      const state = this.#kind(item.change.object.kind);
      if (state.gap !== undefined) {
        state.gap.firstDropped ??= item.acceptedAt;
        continue;
      }
      if (item.resourceVersion <= state.listed) continue;
      return item;
    }
  }

  /** The controller listed `kind` at this resourceVersion: earlier changes are not delivered again. */
  listed(kind: Kind, resourceVersion: number): void {
    this.#kind(kind).listed = resourceVersion;
  }

  /** The kind's watch goes down until `until` (a later gap of the same kind extends it). */
  startGap(kind: Kind, until: number): void {
    const state = this.#kind(kind);
    state.gap = { until: Math.max(until, state.gap?.until ?? until), firstDropped: state.gap?.firstDropped };
  }

  /** When the kind's current gap ends (undefined: no gap). */
  gapUntil(kind: Kind): number | undefined {
    return this.#kind(kind).gap?.until;
  }

  /** Ends the kind's gap; returns the virtual time of the first change it dropped, if any. */
  endGap(kind: Kind): { readonly firstDropped: number | undefined } {
    const state = this.#kind(kind);
    const firstDropped = state.gap?.firstDropped;
    state.gap = undefined;
    return { firstDropped };
  }

  /** The controller process died: its connections, and what was on the way, are gone. */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
  }
}
