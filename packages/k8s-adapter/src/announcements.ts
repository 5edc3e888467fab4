/**
 * A leader change is announced — its Event, its log line, the leader-change metric — when zen-lead
 * has published it: once every slice the change was written to, and the leader Service when the
 * change creates it, has been written, by that write or a later one of the same object. So a change
 * whose leader Service the API server refuses to create (an admission policy) is not announced while
 * it is refused — a slice without its Service reaches no one —, while a change whose slice landed
 * behind an existing leader Service is announced even if the Service's update (its annotations
 * only) is refused: clients already follow the slice. One whose
 * writes were dropped (the Lease was lost before they went out) is never announced by this replica;
 * the next holder announces it against what the cluster shows, once. A change that needs no write
 * is announced at once; warnings are never held. A slice created while its leader Service does not
 * exist holds the change for the Service too: the core creates that Service only once the slice is
 * observed (core/plan.ts), in a later batch, and a slice without its Service publishes nothing.
 */
import { type Action, type EventAction, LABELS, mapGet, type State } from "@zen-lead/core";
import { keyOf, type WriteAction, type WriteResult, type WriteStatus } from "./applier.ts";

/** Outcomes after which the object says what zen-lead wrote (drifted: written, not converged; a delete: gone). */
const PUBLISHED: ReadonlySet<WriteStatus> = new Set([
  "created",
  "applied",
  "replaced",
  "drifted",
  "deleted",
  "gone",
]);

interface Held {
  readonly event: EventAction;
  readonly batch: number;
  /** Keys (`keyOf`) of the objects the change is written to that have not yet been written. */
  readonly waiting: Set<string>;
}

export class Announcements {
  /** source (`namespace/name`) -> its leader change waiting for publication, its batch and objects. */
  private readonly held = new Map<string, Held>();
  /** The batch each write was asked for in (writes are the core's action objects, passed as is). */
  private readonly batchOf = new WeakMap<WriteAction, number>();
  private batch = 0;

  /** Records one announcement (Event recorder, log, metrics). */
  private readonly announce: (event: EventAction) => void;

  constructor(announce: (event: EventAction) => void) {
    this.announce = announce;
  }

  /**
   * A batch of the core's actions on its way to the applier, and the state they were decided on:
   * announces or holds its Events.
   */
  onBatch(actions: readonly Action[], state: State | undefined): void {
    const batch = ++this.batch;
    /** source -> the keys this batch writes for it. */
    const writing = new Map<string, Set<string>>();
    for (const a of actions) {
      if (a.type !== "apply" && a.type !== "delete") continue;
      this.batchOf.set(a, batch);
      const keys = writing.get(a.source) ?? new Set<string>();
      // An existing leader Service's update carries annotations only: traffic follows the slice.
      if (a.kind === "EndpointSlice" || a.type === "delete" || a.create) keys.add(keyOf(a));
      writing.set(a.source, keys);
    }
    for (const a of actions) {
      if (a.type !== "apply" || !a.create || a.kind !== "EndpointSlice") continue;
      // The leader Service this slice belongs to, still to be created after it (core/plan.ts).
      const labels = (a.manifest as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata
        ?.labels;
      const service = labels?.[LABELS.serviceName];
      const key = `Service:${a.namespace}/${service}`;
      const keys = writing.get(a.source);
      if (service === undefined || keys === undefined || keys.has(key)) continue;
      if (state !== undefined && mapGet(state.services, `${a.namespace}/${service}`) !== undefined) continue;
      keys.add(key);
    }
    for (const a of actions) {
      if (a.type !== "event") continue;
      const source = `${a.source.namespace}/${a.source.name}`;
      const waiting = writing.get(source);
      // A newer change of the same source replaces one not yet published.
      if (a.leaderChange !== undefined && waiting !== undefined)
        this.held.set(source, { event: a, batch, waiting });
      else this.announce(a);
    }
  }

  /** A write's outcome: the last of a held change's objects written publishes it. */
  onWritten(result: WriteResult): void {
    if (!PUBLISHED.has(result.status)) return;
    const source = result.action.source;
    const held = this.held.get(source);
    const batch = this.batchOf.get(result.action);
    if (held === undefined || batch === undefined || batch < held.batch) return;
    held.waiting.delete(result.key);
    if (held.waiting.size > 0) return;
    this.held.delete(source);
    this.announce(held.event);
  }

  /** The Lease is lost: changes not yet published are not this replica's to announce. */
  drop(): void {
    this.held.clear();
  }
}
