/**
 * The write path of the simulated controller process: the core's WriteQueue — the very state
 * machine `zen-lead run`'s applier drives (per-key merge, one write of a key at a time, jittered
 * backoff, the rate limit; packages/core/src/write-queue.ts) — driven on virtual time against the
 * in-memory API. So the failover latencies a run reports under API faults are the real shell's:
 *
 * - a write is answered `writeLatencyMs` after it is sent (the API model applies it then);
 * - an answer is classified as the real applier classifies the API server's: 429, 5xx and no
 *   answer are transient (retried after the backoff), anything else is final for the request — a
 *   conflict or a refused precondition (an injected 409 too): the watch brings what explains it,
 *   and the core plans again;
 * - the jitter of the backoff comes from the run's seeded PRNG.
 *
 * When the process dies (`stop`) queued and backed-off writes are lost; a write already sent still
 * reaches the API server, but its answer goes nowhere.
 */
import {
  type ApplyAction,
  type DeleteAction,
  type Dispatch,
  isTransient,
  WriteQueue,
  type WriteQueueOptions,
} from "@zen-lead/core";
import type { WriteOutcome } from "./api-model.ts";
import type { VirtualClock } from "./virtual-clock.ts";

/** The core's actions that write. */
export type WriteAction = ApplyAction | DeleteAction;

/** The write queue's key of an action: `Kind:namespace/name` (the adapter's `keyOf`). */
export function writeKey(action: WriteAction): string {
  return `${action.kind}:${action.namespace}/${action.name}`;
}

/** What the simulated write path runs on. */
export interface ApplierOptions {
  /** The run's virtual time: sends, answers and the queue's wake-ups are actions on it. */
  readonly clock: VirtualClock;
  /** From a write's send to its arrival (and answer) at the API server, ms; asked per write. */
  readonly writeLatencyMs: () => number;
  /** Performs the write against the API server (called when it arrives there). */
  readonly perform: (action: WriteAction) => WriteOutcome;
  /** Jitter draws in [0, 1), from the run's seed. */
  readonly random: () => number;
  /** The queue's tuning; the controller's defaults when absent. */
  readonly queue?: WriteQueueOptions;
}

/** The simulated controller's write path (module comment); one per controller process. */
export class Applier {
  readonly #options: ApplierOptions;
  readonly #queue: WriteQueue<WriteAction>;
  /** The wake-up the queue last asked for (virtual frame), so it is scheduled once. */
  #wakeAt = Number.POSITIVE_INFINITY;
  #stopped = false;

  constructor(options: ApplierOptions) {
    this.#options = options;
    this.#queue = new WriteQueue(options.queue ?? {}, options.clock.now);
  }

  /** Writes sent or waiting (a converged, healthy controller has none). */
  get busy(): boolean {
    return !this.#queue.idle;
  }

  /** Queues a write (it replaces one waiting for the same key); after `stop`, ignored. */
  submit(action: WriteAction): void {
    if (this.#stopped) return;
    this.#dispatch(this.#queue.submit(writeKey(action), action, this.#options.clock.now));
  }

  /** The process died: waiting writes are dropped, answers to those in flight are ignored. */
  stop(): void {
    this.#stopped = true;
    this.#queue.dropWaiting();
  }

  #dispatch(d: Dispatch<WriteAction>): void {
    const { clock } = this.#options;
    for (const { key, write } of d.sends) {
      clock.at(clock.frame + this.#options.writeLatencyMs(), () => {
        const outcome = this.#options.perform(write);
        if (this.#stopped) return;
        const transient = outcome.status >= 300 && isTransient(outcome.status);
        const answer = transient
          ? ({ final: false, throttled: outcome.status === 429 } as const)
          : ({ final: true } as const);
        this.#dispatch(this.#queue.answer(key, write, answer, clock.now, this.#options.random()).dispatch);
      });
    }
    const at = d.wakeAt === undefined ? undefined : d.wakeAt - clock.epochMs;
    if (at === undefined || at >= this.#wakeAt) return;
    this.#wakeAt = at;
    clock.at(at, () => {
      if (this.#wakeAt !== at) return; // superseded by an earlier one, which asked again
      this.#wakeAt = Number.POSITIVE_INFINITY;
      if (!this.#stopped) this.#dispatch(this.#queue.tick(clock.now));
    });
  }
}
