/**
 * Leader election among controller replicas with a coordination.k8s.io/v1 Lease, as client-go's
 * `leaderelection` does it, so only one replica writes.
 *
 * - A replica acquires the Lease when it is absent, released (empty holder), already its own, or
 *   expired: unchanged for `leaseDurationMs` *by this replica's clock since it last saw it change*
 *   (the remote `renewTime` is never compared with the local clock, so skew does not matter).
 * - The holder renews every `retryPeriodMs`. If no renewal has succeeded for `renewDeadlineMs`
 *   (counted from when the last successful renewal was sent), leadership is lost at once; a standby
 *   can only take over after `leaseDurationMs` > `renewDeadlineMs`, so the two never overlap.
 * - Reading the Lease held by someone else while leading (it was stolen) loses leadership at once.
 * - Writes are optimistic: updates carry the observed `resourceVersion`; a 409 is a lost race,
 *   retried at the next period.
 * - `release()` (on SIGTERM) drops leadership first, then writes an empty holder, so a standby
 *   acquires at its next retry (client-go's ReleaseOnCancel).
 *
 * Leadership is both a `BehaviorSubject`-like Observable (emits synchronously, only changes) and a
 * synchronous `isLeading()` that also checks the renew deadline against the clock, so a writer that
 * asks right before a write never writes on a lease that has lapsed while the event loop was busy.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { BehaviorSubject, distinctUntilChanged, type Observable } from "rxjs";
import { type CancelTimer, type Clock, systemClock } from "./clock.ts";
import { statusOf } from "./events.ts";

/** The Lease's spec as the election reads and writes it (times in ms since the epoch). */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number | undefined;
  readonly renewTime: number | undefined;
  readonly leaseTransitions: number;
}

export interface LeaseSnapshot {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/** The three calls the election makes; `kubeLeaseApi` is the real one, tests pass a fake. */
export interface LeaseApi {
  /** The Lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<LeaseSnapshot | undefined>;
  /** Creates the Lease; rejects with status 409 when it already exists. */
  create(namespace: string, name: string, record: LeaseRecord): Promise<LeaseSnapshot>;
  /** Replaces the Lease's spec if its resourceVersion still matches; else rejects with status 409. */
  update(
    namespace: string,
    name: string,
    record: LeaseRecord,
    resourceVersion: string,
  ): Promise<LeaseSnapshot>;
}

export interface LeaderElectionOptions {
  readonly api: LeaseApi;
  readonly namespace: string;
  readonly name: string;
  /** This replica's unique identity (its pod name, say). */
  readonly identity: string;
  /** Default 15 s. */
  readonly leaseDurationMs?: number;
  /** Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  /** In [0, 1); standbys wait retryPeriod × (1 + 0.2 × random()) between attempts. */
  readonly random?: () => number;
  /** Failed API calls (other than lost races); the election carries on. */
  readonly onError?: (error: unknown) => void;
}

export interface LeaderElector {
  /** Whether this replica leads: the current value on subscribe, then every change, synchronously. */
  readonly leading$: Observable<boolean>;
  /** Leads right now: false as soon as the renew deadline has passed, even before the timer runs. */
  isLeading(): boolean;
  /** Starts trying to acquire (then renew). */
  start(): void;
  /** Stops trying and drops leadership, leaving the Lease to expire. */
  stop(): void;
  /** Stops, drops leadership, and hands the Lease back so a standby takes it at its next retry. */
  release(): Promise<void>;
}

const JITTER = 0.2;

export function createLeaderElector(options: LeaderElectionOptions): LeaderElector {
  const { api, namespace, name, identity } = options;
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  if (identity === "") throw new Error("leader election: identity must not be empty");
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new Error("leader election: leaseDuration must exceed renewDeadline");
  if (!(renewDeadlineMs > retryPeriodMs * (1 + JITTER))) {
    throw new Error("leader election: renewDeadline must exceed 1.2 × retryPeriod");
  }

  const leading = new BehaviorSubject(false);
  let running = false;
  let nextTick: CancelTimer | undefined;
  let deadlineTimer: CancelTimer | undefined;
  let inFlight: Promise<void> | undefined;
  /** When the last successful acquire/renew was sent (the lease is ours from then on). */
  let renewedAt = Number.NEGATIVE_INFINITY;
  /** The last Lease seen (or written), and when this replica saw it change. */
  let observed: LeaseSnapshot | undefined;
  let observedKey = "";
  let observedAt = 0;

  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // A failing reporter must not stop the election.
    }
  };
  const setLeading = (value: boolean) => {
    if (leading.value !== value) leading.next(value);
  };
  const lose = () => {
    deadlineTimer?.();
    deadlineTimer = undefined;
    renewedAt = Number.NEGATIVE_INFINITY;
    setLeading(false);
  };
  const isLeading = () => leading.value && clock.now() - renewedAt < renewDeadlineMs;

  const observe = (snapshot: LeaseSnapshot, now: number) => {
    const r = snapshot.record;
    const key = JSON.stringify([
      r.holderIdentity,
      r.leaseDurationSeconds,
      r.acquireTime,
      r.renewTime,
      r.leaseTransitions,
    ]);
    observed = snapshot;
    if (key !== observedKey) {
      observedKey = key;
      observedAt = now;
    }
  };

  /** One attempt; true when the Lease is ours after it. */
  const tryAcquireOrRenew = async (now: number): Promise<boolean> => {
    const current = await api.get(namespace, name);
    const leaseSeconds = Math.ceil(leaseDurationMs / 1000);
    if (current === undefined) {
      const created = await api.create(namespace, name, {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      });
      observe(created, clock.now());
      return true;
    }
    observe(current, clock.now());
    const old = current.record;
    const ours = old.holderIdentity === identity;
    if (!ours && old.holderIdentity !== "") {
      // Someone else holds it: it is ours to take only once it has not changed for its duration.
      const durationMs = Math.max(old.leaseDurationSeconds * 1000, 0);
      if (observedAt + durationMs > clock.now()) {
        if (leading.value) lose();
        return false;
      }
    }
    const updated = await api.update(
      namespace,
      name,
      {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: ours ? old.acquireTime : now,
        renewTime: now,
        leaseTransitions: ours ? old.leaseTransitions : old.leaseTransitions + 1,
      },
      current.resourceVersion,
    );
    observe(updated, clock.now());
    return true;
  };

  const armDeadline = () => {
    deadlineTimer?.();
    deadlineTimer = clock.setTimer(
      () => {
        deadlineTimer = undefined;
        if (clock.now() - renewedAt >= renewDeadlineMs) lose();
      },
      renewedAt + renewDeadlineMs - clock.now(),
    );
  };

  const schedule = () => {
    if (!running) return;
    const wait = leading.value ? retryPeriodMs : retryPeriodMs * (1 + JITTER * random());
    nextTick = clock.setTimer(tick, wait);
  };

  const tick = () => {
    nextTick = undefined;
    if (!running) return;
    const sentAt = clock.now();
    let timedOut = false;
    let cancelTimeout: CancelTimer = () => undefined;
    const attempt = tryAcquireOrRenew(sentAt).then(
      (ok) => ({ ok }),
      (error: unknown) => {
        if (statusOf(error) !== 409) report(error);
        return { ok: false };
      },
    );
    // A hung request must not stall the loop: give up on it after the renew deadline.
    const timeout = new Promise<{ ok: boolean }>((resolve) => {
      cancelTimeout = clock.setTimer(() => {
        timedOut = true;
        resolve({ ok: false });
      }, renewDeadlineMs);
    });
    inFlight = Promise.race([attempt, timeout]).then(({ ok }) => {
      cancelTimeout();
      inFlight = undefined;
      if (!running) return;
      if (timedOut)
        report(new Error(`leader election: a Lease request took longer than ${renewDeadlineMs} ms`));
      if (ok) {
        renewedAt = sentAt;
        if (clock.now() - renewedAt < renewDeadlineMs) {
          armDeadline();
          setLeading(true);
        } else {
          lose();
        }
      } else if (leading.value && clock.now() - renewedAt >= renewDeadlineMs) {
        lose();
      }
      schedule();
    });
  };

  const stop = () => {
    running = false;
    nextTick?.();
    nextTick = undefined;
    lose();
  };

  return {
    leading$: leading.pipe(distinctUntilChanged()),
    isLeading,
    start() {
      if (running) return;
      running = true;
      tick();
    },
    stop,
    async release() {
      stop();
      // Let an in-flight renewal land first, so the release carries the latest resourceVersion.
      await inFlight;
      const last = observed;
      if (last === undefined || last.record.holderIdentity !== identity) return;
      const now = clock.now();
      try {
        const released = await api.update(
          namespace,
          name,
          {
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: last.record.leaseTransitions,
          },
          last.resourceVersion,
        );
        observe(released, clock.now());
      } catch (error) {
        // 409: someone else wrote the Lease since; it is not ours to release.
        if (statusOf(error) !== 409) report(error);
      }
    },
  };
}

const toMs = (value: unknown): number | undefined => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
};

function snapshotOf(lease: V1Lease): LeaseSnapshot {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: spec.holderIdentity ?? "",
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: toMs(spec.acquireTime),
      renewTime: toMs(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

function specOf(record: LeaseRecord): NonNullable<V1Lease["spec"]> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(record.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(record.acquireTime) }),
    ...(record.renewTime === undefined ? {} : { renewTime: new V1MicroTime(record.renewTime) }),
  };
}

/** The real Lease API: the typed coordination.k8s.io/v1 client, updates with resourceVersion. */
export function kubeLeaseApi(kc: KubeConfig): LeaseApi {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get(namespace, name) {
      try {
        return snapshotOf(await api.readNamespacedLease({ namespace, name }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async create(namespace, name, record) {
      const body: V1Lease = { metadata: { name, namespace }, spec: specOf(record) };
      return snapshotOf(await api.createNamespacedLease({ namespace, body }));
    },
    async update(namespace, name, record, resourceVersion) {
      const body: V1Lease = { metadata: { name, namespace, resourceVersion }, spec: specOf(record) };
      return snapshotOf(await api.replaceNamespacedLease({ namespace, name, body }));
    },
  };
}
