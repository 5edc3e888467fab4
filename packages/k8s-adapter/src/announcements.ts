/**
 * A leader change is announced — its Event, its log line, the leader-change metric — when zen-lead
 * publishes it: once the first write of that source, asked for with the change or after it, has
 * landed. So a change whose writes were dropped (the Lease was lost before they went out) is never
 * announced by this replica; the next holder announces it against what the cluster shows, once.
 * A change that needs no write is announced at once; warnings are never held.
 */
import type { Action, EventAction } from "@zen-lead/core";
import type { WriteAction, WriteResult, WriteStatus } from "./applier.ts";

/** Outcomes after which the object says what zen-lead wrote (drifted: written, not converged). */
const PUBLISHED: ReadonlySet<WriteStatus> = new Set(["created", "applied", "replaced", "drifted"]);

export class Announcements {
  /** source (`namespace/name`) -> its leader change waiting for publication, and its batch. */
  private readonly held = new Map<string, { readonly event: EventAction; readonly batch: number }>();
  /** The batch each write was asked for in (writes are the core's action objects, passed as is). */
  private readonly batchOf = new WeakMap<WriteAction, number>();
  private batch = 0;

  /** Records one announcement (Event recorder, log, metrics). */
  private readonly announce: (event: EventAction) => void;

  constructor(announce: (event: EventAction) => void) {
    this.announce = announce;
  }

  /** A batch of the core's actions on its way to the applier: announces or holds its Events. */
  onBatch(actions: readonly Action[]): void {
    const batch = ++this.batch;
    const writing = new Set<string>();
    for (const a of actions) {
      if (a.type !== "apply" && a.type !== "delete") continue;
      this.batchOf.set(a, batch);
      writing.add(a.source);
    }
    for (const a of actions) {
      if (a.type !== "event") continue;
      const source = `${a.source.namespace}/${a.source.name}`;
      // A newer change of the same source replaces one not yet published.
      if (a.leaderChange !== undefined && writing.has(source)) this.held.set(source, { event: a, batch });
      else this.announce(a);
    }
  }

  /** A write's outcome: a landed write publishes its source's held change. */
  onWritten(result: WriteResult): void {
    if (!PUBLISHED.has(result.status)) return;
    const source = result.action.source;
    const held = this.held.get(source);
    const batch = this.batchOf.get(result.action);
    if (held === undefined || batch === undefined || batch < held.batch) return;
    this.held.delete(source);
    this.announce(held.event);
  }

  /** The Lease is lost: changes not yet published are not this replica's to announce. */
  drop(): void {
    this.held.clear();
  }
}
