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
 *
 * Some answers mislead: with etcd down, the API server still answers some requests (from its
 * cache, or a 404) while /readyz says 500. A waiter that was already woken once and failed again
 * waits `readyOnly`: only /readyz turning 200 after a failed probe wakes it — a real recovery, not
 * one more answer from a server that is still broken, and never a loop around a failure of its own.
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
   * Calls `wake` once, when a request sent after this call is answered (probing meanwhile); with
   * `readyOnly`, only when a probe succeeds after one failed. Returns the cancel function; calling
   * it after the wake does nothing.
   */
  whenUp(wake: () => void, options?: { readonly readyOnly?: boolean }): () => void;
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
  const waiters = new Map<
    number,
    { readonly after: number; readonly wake: () => void; readonly readyOnly: boolean }
  >();
  let nextWaiter = 0;
  let probesInFlight = 0;
  /** Whether a probe failed since the probes started (or since the last success). */
  let probeFailed = false;

  const wakeAll = (which: (waiter: { after: number; readyOnly: boolean }) => boolean) => {
    for (const [id, waiter] of waiters) {
      if (!which(waiter)) continue;
      waiters.delete(id);
      waiter.wake();
    }
    if (waiters.size === 0) stopTicker();
  };
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
      .then(
        () => {
          // /readyz is 200. After a failed probe, that is the server coming back: everyone goes.
          if (probeFailed) wakeAll(() => true);
          probeFailed = false;
        },
        () => {
          probeFailed = true;
        },
      )
      .finally(() => {
        timeout.unsubscribe();
        probesInFlight--;
      });
  };

  const startTicker = () => {
    if (ticker !== undefined) return;
    probeFailed = false;
    probe();
    ticker = scheduler.schedule(function (this: SchedulerAction<unknown>) {
      probe();
      this.schedule(undefined, intervalMs);
    }, intervalMs);
  };

  return {
    sent: () => ++seq,
    answered(answeredSeq) {
      wakeAll((waiter) => !waiter.readyOnly && answeredSeq > waiter.after);
    },
    whenUp(wake, whenUpOptions = {}) {
      const id = nextWaiter++;
      waiters.set(id, { after: seq, wake, readyOnly: whenUpOptions.readyOnly === true });
      startTicker();
      return () => {
        waiters.delete(id);
        if (waiters.size === 0) stopTicker();
      };
    },
  };
}
