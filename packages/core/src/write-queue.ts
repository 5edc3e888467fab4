/**
 * The write queue between the core's plan and the API server: how zen-lead's shell performs writes,
 * as one state machine driven by the controller's applier (real I/O, real time) and by the
 * simulator (an in-memory API, virtual time), so that what the simulator says about failover under
 * API faults is what the real shell does. Modelled on controller-runtime's work queue:
 *
 * - one key (`Kind:namespace/name`) never has two writes in flight; a request for a key that is
 *   already waiting replaces it (the core's latest plan wins) and keeps its place (fairness);
 * - a transient failure (429, 5xx, no answer) is retried for that key with jittered exponential
 *   backoff (`backoffDelay`: initial doubling to max, reset by any final answer; a 429 waits at least
 *   its Retry-After) unless a newer request replaced it; other keys keep flowing meanwhile;
 * - a *new* request for a backing-off key goes at once (it carries new intent: a failover must not
 *   wait out an old backoff), except after a 429, whose wait everything for the key honours; the
 *   failure count stays, so a new failure waits the next, longer step;
 * - any other answer is final for the request (success, conflict, refusal): the core plans again
 *   from what the watch shows;
 * - backoff follows the server's health, as the watch loops' does (docs/reliability.md): a final
 *   answer to a request sent after a key's last transient failure shows the server answering
 *   again, so that key is retried at once (its failure count kept; after a 429 not before its
 *   Retry-After). A failover's slice write that failed through an API outage then lands when the
 *   server is back, not a backoff of up to 30 s later; a key whose own write keeps failing is
 *   retried once per such answer, not in a loop;
 * - a global token bucket bounds the write rate (`qps`, `burst`).
 *
 * Deterministic and side-effect free: no I/O, no clock, no randomness — time (`now`, epoch ms) and
 * the jitter draw come in as inputs, and each transition returns what to send and when to call
 * `tick` next. It mutates only itself (transitions are O(1) per key: a start-up queues thousands).
 */

/**
 * Tuning of the queue; the defaults are the controller's (`--kube-api-qps`, `--kube-api-burst`).
 * client-go's rate limit is 5/10, and controller-runtime leaves it off for API Priority and
 * Fairness to do the limiting: 200/400 lets a first adoption of 2,000 Services (4,000 writes)
 * finish in ~20 s — within the core's 30 s in-flight window, so no create is asked for twice —
 * while the server's own limits (429 with Retry-After) still rule (docs/benchmarks.md, "At scale").
 */
export interface WriteQueueOptions {
  /** Sustained writes per second (token refill). Default 200. */
  readonly qps?: number;
  /** Writes allowed at once after a quiet period (bucket size). Default 400. */
  readonly burst?: number;
  /** First backoff after a transient failure, ms. Default 200. */
  readonly backoffInitialMs?: number;
  /** Longest backoff, ms. Default 30 000. */
  readonly backoffMaxMs?: number;
}

export const WRITE_QUEUE_DEFAULTS: Required<WriteQueueOptions> = {
  qps: 200,
  burst: 400,
  backoffInitialMs: 200,
  backoffMaxMs: 30_000,
};

/** How the API server answered a write, as far as the queue is concerned. */
export type WriteAnswer =
  /** Done, whatever the outcome (success, conflict, refusal): not retried here. */
  | { readonly final: true }
  /** A transient failure: 429 (`throttled`), a 5xx, or no answer at all. Retried after a backoff. */
  | { readonly final: false; readonly throttled: boolean; readonly retryAfterMs?: number };

/** Is an HTTP status (0: no answer) a transient failure, worth retrying the same write? */
export function isTransient(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** What a transition asks the driver to do. */
export interface Dispatch<W> {
  /** Send these writes now (each key at most once). */
  readonly sends: readonly { readonly key: string; readonly write: W }[];
  /** Call `tick` at this time (epoch ms); undefined: nothing waits on time. */
  readonly wakeAt: number | undefined;
}

/**
 * The longest backoff after `failures` earlier consecutive transient failures of a key (0: after
 * its first), ms: `min(maxMs, initialMs·2^failures)` — `backoffDelay`'s value with the largest
 * jitter. A 429's Retry-After, when longer, waits instead.
 */
export function backoffCeiling(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(failures, 30));
}

/**
 * Backoff before attempt number `failures` (0-based): `backoffCeiling` with equal jitter — between
 * half and all of it — from `draw` in [0, 1).
 */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, draw: number): number {
  const ceiling = backoffCeiling(failures, initialMs, maxMs);
  return Math.round(ceiling / 2 + (draw * ceiling) / 2);
}

interface KeyState {
  inFlight: boolean;
  /** Consecutive transient failures. */
  failures: number;
  /** No write of the key before this time (a backoff), 0: none. */
  notBefore: number;
  /** The wait was asked for by the server (429): new requests honour it too. */
  throttled: boolean;
  /** When its write in flight was sent (epoch ms). */
  sentAt: number;
  /** When its last transient failure was answered (epoch ms), 0: none. */
  failedAt: number;
  /** The end of the server's Retry-After for it (epoch ms), 0: none: a wake-up never comes sooner. */
  retryAfterEnd: number;
}

function idleKey(): KeyState {
  return {
    inFlight: false,
    failures: 0,
    notBefore: 0,
    throttled: false,
    sentAt: 0,
    failedAt: 0,
    retryAfterEnd: 0,
  };
}

export class WriteQueue<W> {
  readonly #options: Required<WriteQueueOptions>;
  /** Requests not yet sent, by key; insertion order is the order they are served in. */
  readonly #waiting = new Map<string, W>();
  /** Keys in flight or backing off (dropped once neither). */
  readonly #keys = new Map<string, KeyState>();
  #tokens: number;
  /** When `#tokens` was last brought up to date, epoch ms. */
  #tokensAt: number;

  constructor(options: WriteQueueOptions = {}, now = 0) {
    this.#options = { ...WRITE_QUEUE_DEFAULTS, ...options };
    this.#tokens = this.#options.burst;
    this.#tokensAt = now;
  }

  /** Requests waiting (backing off included) and writes in flight. */
  get size(): { readonly waiting: number; readonly inFlight: number } {
    let inFlight = 0;
    for (const state of this.#keys.values()) if (state.inFlight) inFlight++;
    return { waiting: this.#waiting.size, inFlight };
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.#waiting.size === 0 && this.size.inFlight === 0;
  }

  /** A new request for `key`: it replaces one waiting for the key, and goes as soon as it may. */
  submit(key: string, write: W, now: number): Dispatch<W> {
    const state = this.#keys.get(key);
    if (state !== undefined && !state.throttled) state.notBefore = 0;
    this.#waiting.set(key, write);
    return this.#pump(now);
  }

  /**
   * The answer to the write in flight for `key`. A transient failure re-queues that write (unless a
   * newer one waits) after `retryInMs`, drawn with `draw` in [0, 1).
   */
  answer(
    key: string,
    write: W,
    answer: WriteAnswer,
    now: number,
    draw: number,
  ): { readonly dispatch: Dispatch<W>; readonly retryInMs?: number } {
    const state = this.#keys.get(key) ?? idleKey();
    state.inFlight = false;
    let retryInMs: number | undefined;
    if (answer.final) {
      state.failures = 0;
      state.notBefore = 0;
      state.throttled = false;
      state.failedAt = 0;
      state.retryAfterEnd = 0;
      this.#wakeAfter(key, state.sentAt, now);
    } else {
      const { backoffInitialMs, backoffMaxMs } = this.#options;
      retryInMs = Math.max(
        answer.retryAfterMs ?? 0,
        backoffDelay(state.failures, backoffInitialMs, backoffMaxMs, draw),
      );
      state.failures++;
      state.notBefore = now + retryInMs;
      state.throttled = answer.throttled;
      state.failedAt = now;
      state.retryAfterEnd = now + (answer.retryAfterMs ?? 0);
      if (!this.#waiting.has(key)) this.#waiting.set(key, write);
    }
    this.#keys.set(key, state);
    this.#forget(key, state, now);
    const dispatch = this.#pump(now);
    return retryInMs === undefined ? { dispatch } : { dispatch, retryInMs };
  }

  /** Time passed (a wake-up asked for by an earlier transition). */
  tick(now: number): Dispatch<W> {
    return this.#pump(now);
  }

  /**
   * Drops every request not yet sent, and the backoff of keys not in flight (the Lease is lost: a
   * new holder starts afresh); writes in flight still get answers.
   */
  dropWaiting(): void {
    this.#waiting.clear();
    for (const [key, state] of this.#keys) if (!state.inFlight) this.#keys.delete(key);
  }

  /**
   * The server answered a request of `answered` sent at `sentAt`: every other key backing off from
   * a transient failure answered no later than that send may go now (not before its Retry-After).
   */
  #wakeAfter(answered: string, sentAt: number, now: number): void {
    for (const [key, state] of this.#keys) {
      if (key === answered || state.inFlight || state.notBefore <= now || state.failedAt > sentAt) continue;
      state.notBefore = Math.max(now, state.retryAfterEnd);
    }
  }

  /** A key neither in flight nor backing off is forgotten: memory follows the queue. */
  #forget(key: string, state: KeyState, now: number): void {
    if (!state.inFlight && state.failures === 0 && state.notBefore <= now) this.#keys.delete(key);
  }

  #takeToken(now: number): number {
    const { qps, burst } = this.#options;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#tokensAt) * qps) / 1000);
    this.#tokensAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / qps);
  }

  #pump(now: number): Dispatch<W> {
    const sends: { key: string; write: W }[] = [];
    let wakeAt: number | undefined;
    const wake = (at: number) => {
      wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
    };
    for (const [key, write] of this.#waiting) {
      const state = this.#keys.get(key);
      if (state?.inFlight === true) continue;
      if (state !== undefined && state.notBefore > now) {
        wake(state.notBefore);
        continue;
      }
      const wait = this.#takeToken(now);
      if (wait > 0) {
        wake(now + wait);
        break;
      }
      this.#waiting.delete(key);
      this.#keys.set(key, { ...idleKey(), inFlight: true, failures: state?.failures ?? 0, sentAt: now });
      sends.push({ key, write });
    }
    return { sends, wakeAt };
  }
}
