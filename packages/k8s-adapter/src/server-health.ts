/**
 * Whether the API server answers, as seen by every request to it: the watch loops wait on this
 * instead of sleeping out their backoff, so that they resume the moment the server is back.
 *
 * Every request is stamped when sent (`sent()`, a sequence number: no clock). An answer that shows
 * the server up — any HTTP status below 500 except 429: a 2xx, a 404, a 409, a 410 Gone — is
 * reported with that stamp (`answered(seq)`). `whenUp(wake)` calls `wake` once a request sent
 * *after* it was called gets such an answer, so an answer that left the server before it failed
 * never counts. While anyone waits, a `probe` (GET /readyz) starts every `probeIntervalMs`: one
 * cheap request finds the server back for all waiters, at most `probeIntervalMs` after its /readyz
 * turns 200. Probes overlap (up to `MAX_PROBES_IN_FLIGHT`, each abandoned after `probeTimeoutMs`):
 * one hanging on a frozen server answers the moment it thaws, while the next ones keep trying.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from "rxjs";

/** Probes waiting for an answer at once, at most. */
export const MAX_PROBES_IN_FLIGHT = 3;

export interface ServerHealth {
  /** The stamp of a request being sent now. */
  sent(): number;
  /** The request stamped `seq` got an answer showing the server up (status < 500, not 429). */
  answered(seq: number): void;
  /**
   * Calls `wake` once, when a request sent after this call is answered (probing meanwhile).
   * Returns the cancel function; calling it after the wake does nothing.
   */
  whenUp(wake: () => void): () => void;
}

export interface ServerHealthOptions {
  /** One probe request (GET /readyz) sent through the same health, so its answer is reported. */
  readonly probe: (signal: AbortSignal) => Promise<unknown>;
  /** A probe starts this often while someone waits. Default 250 ms. */
  readonly probeIntervalMs?: number;
  /** A probe unanswered after this is aborted. Default 10 s. */
  readonly probeTimeoutMs?: number;
  /** Timers (default asyncScheduler). */
  readonly scheduler?: SchedulerLike;
}

/** True when an HTTP status shows the server up and serving (not overloaded: 429 asks to back off). */
export function showsServerUp(status: number): boolean {
  return status > 0 && status < 500 && status !== 429;
}

export function createServerHealth(options: ServerHealthOptions): ServerHealth {
  const scheduler = options.scheduler ?? asyncScheduler;
  const intervalMs = options.probeIntervalMs ?? 250;
  const timeoutMs = options.probeTimeoutMs ?? 10_000;
  let seq = 0;
  const waiters = new Map<number, { readonly after: number; readonly wake: () => void }>();
  let nextWaiter = 0;
  let probesInFlight = 0;
  /** The probe ticker: running exactly while someone waits. */
  let ticker: Subscription | undefined;

  const stopTicker = () => {
    ticker?.unsubscribe();
    ticker = undefined;
  };

  const probe = () => {
    if (waiters.size === 0 || probesInFlight >= MAX_PROBES_IN_FLIGHT) return;
    probesInFlight++;
    const controller = new AbortController();
    const timeout = scheduler.schedule(() => controller.abort(), timeoutMs);
    // Failures are expected (the server is down): the answer, if any, is reported by the request.
    void options
      .probe(controller.signal)
      .catch(() => undefined)
      .finally(() => {
        timeout.unsubscribe();
        probesInFlight--;
      });
  };

  const startTicker = () => {
    if (ticker !== undefined) return;
    probe();
    ticker = scheduler.schedule(function (this: SchedulerAction<unknown>) {
      probe();
      this.schedule(undefined, intervalMs);
    }, intervalMs);
  };

  return {
    sent: () => ++seq,
    answered(answeredSeq) {
      for (const [id, waiter] of waiters) {
        if (answeredSeq <= waiter.after) continue;
        waiters.delete(id);
        waiter.wake();
      }
      if (waiters.size === 0) stopTicker();
    },
    whenUp(wake) {
      const id = nextWaiter++;
      waiters.set(id, { after: seq, wake });
      startTicker();
      return () => {
        waiters.delete(id);
        if (waiters.size === 0) stopTicker();
      };
    },
  };
}
