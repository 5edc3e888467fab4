/**
 * When each pod stopped serving, for `zen_lead_failover_latency_seconds`: a failover's latency runs
 * from the moment its old leader stopped serving to the new slice's write, not from when this
 * process got round to deciding (after taking over the Lease, or after a restart, that can be many
 * seconds later).
 *
 * The moment is the earlier of what this process saw and what the cluster recorded:
 * - a live watch event (not a list) showing the pod terminating, not Running, NotReady, without an
 *   IP, or deleted: its arrival (ms since the epoch, this process's clock) — a standby sees these
 *   too, so the replica that takes over knows them;
 * - the pod's `deletionTimestamp`, which the API server records in whole seconds: the end of that
 *   second, so the figure never overstates (the server's and this process's clocks assumed in step).
 * A pod seen stopped only in a list and with no deletionTimestamp (NotReady, or deleted, while no
 * replica watched) has no known moment: `stoppedAt` says undefined, and the failover is counted in
 * `zen_lead_failovers_unmeasured_total` instead of sampled (docs/cli.md).
 */
import { type ClusterEvent, disqualification, isFailure, objectKey, type PodView } from "@zen-lead/core";

/** How long a deleted pod's moment is kept for a failover that has not yet been written. */
export const GONE_TTL_MS = 15 * 60_000;

interface Stopped {
  /** Arrival of the live watch event that first showed it stopped; undefined when only listed. */
  readonly seenAt?: number;
  /** Its deletionTimestamp, epoch ms (whole seconds). */
  readonly deletedAt?: number;
}

/** Which pods stopped serving, and since when (see the module comment). */
export class FailoverClock {
  /** `namespace/name` -> when it stopped; only pods not serving now, or deleted within the TTL. */
  readonly #stopped = new Map<string, Stopped>();
  /** Deleted pods in the order they went, with when: to forget them after GONE_TTL_MS. */
  readonly #gone = new Map<string, number>();

  /** A cluster event, as it reaches the fold; `now`: its arrival, epoch ms. */
  see(event: ClusterEvent, now: number): void {
    if (event.type === "upsert" && !isFailure(event.object) && event.object.kind === "Pod") {
      this.#pod(event.object, now);
    } else if (event.type === "resync" && event.kind === "Pod") {
      for (const o of event.objects) if (!isFailure(o) && o.kind === "Pod") this.#pod(o, undefined);
    } else if (event.type === "delete" && event.kind === "Pod") {
      const key = objectKey(event.namespace, event.name);
      if (!this.#stopped.has(key)) this.#stopped.set(key, { seenAt: now });
      this.#gone.delete(key);
      this.#gone.set(key, now);
      for (const [old, at] of this.#gone) {
        if (now - at <= GONE_TTL_MS) break;
        this.#gone.delete(old);
        this.#stopped.delete(old);
      }
    }
  }

  #pod(pod: PodView, seenAt: number | undefined): void {
    const key = objectKey(pod.namespace, pod.name);
    if (disqualification(pod) === undefined) {
      this.#stopped.delete(key);
      return;
    }
    const was = this.#stopped.get(key);
    const first = was?.seenAt ?? seenAt;
    this.#stopped.set(key, {
      ...(first !== undefined ? { seenAt: first } : {}),
      ...(pod.deletedAt !== undefined ? { deletedAt: pod.deletedAt } : {}),
    });
  }

  /**
   * When `namespace/pod` stopped serving (epoch ms, at most `now`); undefined when it is not known
   * to have stopped, or stopped at a moment nobody recorded.
   */
  stoppedAt(namespace: string, pod: string, now: number): number | undefined {
    const s = this.#stopped.get(objectKey(namespace, pod));
    if (s === undefined) return undefined;
    const recorded = s.deletedAt === undefined ? undefined : s.deletedAt + 999;
    const at = Math.min(s.seenAt ?? Number.POSITIVE_INFINITY, recorded ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(at) ? Math.min(at, now) : undefined;
  }
}
