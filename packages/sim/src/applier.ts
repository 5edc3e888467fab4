/**
 * The modelled write path of the controller process: the shell that performs the core's apply and
 * delete actions against the API. Modelled on controller-runtime's work queue, because that is
 * what a real shell does and what failover latency under API faults depends on:
 *
 * - one key (`Kind:namespace/name`) never has two writes in flight: a write for a busy key waits,
 *   and a newer action for the key replaces a waiting one (the core's latest plan wins);
 * - a write is answered `writeLatencyMs` after it is sent (the API model applies it then);
 * - a failed write is retried with per-key exponential backoff (100 ms doubling to 5 s), reset by
 *   a success. After a failure the key waits out its backoff before its next write, whichever
 *   action that is — the server asked it to slow down;
 * - only transient failures are retried (the injected 409/429/500s). A precondition refused by
 *   the API's own rules (409 AlreadyExists or uid mismatch, 404) is final for that request: the
 *   watch brings the change that explains it, and the core plans again from there.
 *
 * When the process dies (`stop`) queued and backed-off writes are lost; a write already sent still
 * reaches the API server, but its answer goes nowhere.
 */
import type { ApplyAction, DeleteAction } from "@zen-lead/core";
import type { WriteOutcome } from "./api-model.ts";
import type { VirtualClock } from "./virtual-clock.ts";

export type WriteAction = ApplyAction | DeleteAction;

export const BACKOFF_BASE_MS = 100;
export const BACKOFF_MAX_MS = 5_000;

/** The wait before the next write of a key after `failures` consecutive failures. */
export function backoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 16));
}

export function writeKey(action: WriteAction): string {
  return `${action.kind}:${action.namespace}/${action.name}`;
}

interface KeyState {
  inFlight: boolean;
  /** The next write for the key, waiting for the one in flight or for the backoff. */
  next: WriteAction | undefined;
  /** The backoff ends at this virtual time (undefined: no wait). */
  waitUntil: number | undefined;
  failures: number;
}

export interface ApplierOptions {
  readonly clock: VirtualClock;
  readonly writeLatencyMs: () => number;
  /** Performs the write against the API server (called when it arrives there). */
  readonly perform: (action: WriteAction) => WriteOutcome;
}

export class Applier {
  readonly #options: ApplierOptions;
  readonly #keys = new Map<string, KeyState>();
  #stopped = false;

  constructor(options: ApplierOptions) {
    this.#options = options;
  }

  /** Writes sent or waiting (a converged, healthy controller has none). */
  get busy(): boolean {
    for (const state of this.#keys.values()) if (state.inFlight || state.next !== undefined) return true;
    return false;
  }

  submit(action: WriteAction): void {
    if (this.#stopped) return;
    const key = writeKey(action);
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = { inFlight: false, next: undefined, waitUntil: undefined, failures: 0 };
      this.#keys.set(key, state);
    }
    if (state.inFlight || state.waitUntil !== undefined) {
      state.next = action;
      return;
    }
    this.#send(key, state, action);
  }

  /** The process died. */
  stop(): void {
    this.#stopped = true;
    this.#keys.clear();
  }

  #send(key: string, state: KeyState, action: WriteAction): void {
    const { clock } = this.#options;
    state.inFlight = true;
    clock.at(clock.frame + this.#options.writeLatencyMs(), () => {
      const outcome = this.#options.perform(action);
      if (this.#stopped) return;
      state.inFlight = false;
      if (outcome.status < 300) state.failures = 0;
      else if (outcome.injected) {
        state.failures++;
        // Retry this write after the backoff unless a newer one is already waiting.
        state.next ??= action;
        const until = clock.frame + backoffMs(state.failures);
        state.waitUntil = until;
        clock.at(until, () => {
          if (this.#stopped) return;
          state.waitUntil = undefined;
          this.#continue(key, state);
        });
        return;
      }
      this.#continue(key, state);
    });
  }

  #continue(key: string, state: KeyState): void {
    const next = state.next;
    if (next !== undefined) {
      state.next = undefined;
      this.#send(key, state, next);
    } else if (state.failures === 0) this.#keys.delete(key);
  }
}
