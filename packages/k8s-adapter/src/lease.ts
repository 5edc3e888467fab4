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
 * - Writes are optimistic: updates carry the observed `resourceVersion`; a 409 is read again at
 *   once (a rival's fresh write is then respected), and a second 409 waits for the next period.
 * - `release()` (on SIGTERM) drops leadership first, then writes an empty holder, so a standby
 *   acquires at its next retry (client-go's ReleaseOnCancel).
 *
 * - Only a replica that sees the cluster leads (`blindForMs`, from the watches' liveness): a holder
 *   that has not seen it for longer than `renewDeadlineMs` hands the Lease over (an empty holder,
 *   as on release) instead of holding it blind — its renewals may work on fresh connections while
 *   every watch is dead — and a blind standby does not acquire. `wake$` (the watches turning live
 *   again) makes a replica that is not leading, or whose last attempt failed, try at once instead
 *   of at its next retry, so leadership comes back within moments of the API server.
 *
 * Leadership is both a `BehaviorSubject`-like Observable (emits synchronously, only changes) and a
 * synchronous `isLeading()` that also checks the renew deadline against the clock, so a writer that
 * asks right before a write never writes on a lease that has lapsed while the event loop was busy.
 */
import type { KubeConfig } from "@kubernetes/client-node";
// The client's index loads every generated API model (~45 MiB): take MicroTime from its own module.
import { V1MicroTime } from "@kubernetes/client-node/dist/types.js";
import { BehaviorSubject, distinctUntilChanged, type Observable, type Subscription } from "rxjs";
import { type CancelTimer, type Clock, systemClock } from "./clock.ts";
import { statusOf } from "./events.ts";
import { request } from "./http.ts";

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
  /**
   * How long this replica has not seen the cluster (ms; 0: it sees it now). Default: always 0.
   * A holder blind for longer than the renew deadline hands the Lease over; a blind standby waits.
   */
  readonly blindForMs?: () => number;
  /**
   * Each emission (the watches came back): try now if not leading or if the last attempt failed,
   * and give up on an attempt still in flight (likely hung on a connection that died) to try again.
   */
  readonly wake$?: Observable<unknown>;
  /** The holder handed the Lease over because it was blind for `blindForMs`. */
  readonly onHandOver?: (blindForMs: number) => void;
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

  const blindForMs = options.blindForMs ?? (() => 0);
  const leading = new BehaviorSubject(false);
  let running = false;
  let lastAttemptFailed = false;
  let wakeSubscription: Subscription | undefined;
  /** Gives up on the attempt in flight (it counts as failed), when a wake says try again now. */
  let abandonAttempt: (() => void) | undefined;
  let wokenWhileBusy = false;
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
  const isLeading = () =>
    leading.value && clock.now() - renewedAt < renewDeadlineMs && blindForMs() <= renewDeadlineMs;

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

  /** Writes an empty holder over our own Lease (release, hand-over); a 409 means it is not ours. */
  const writeEmptyHolder = async () => {
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
  };

  const tick = () => {
    nextTick = undefined;
    if (!running) return;
    const blind = blindForMs();
    if (blind > renewDeadlineMs && leading.value) {
      // Holding the Lease blind would keep a replica that sees the cluster from taking over.
      lose();
      inFlight = writeEmptyHolder().then(() => {
        inFlight = undefined;
        options.onHandOver?.(blind);
        schedule();
      });
      return;
    }
    if (blind > 0 && !leading.value) {
      schedule(); // a blind standby does not take the Lease; the watches' return wakes it
      return;
    }
    const sentAt = clock.now();
    let timedOut = false;
    let cancelTimeout: CancelTimer = () => undefined;
    // A 409 means the Lease changed since it was read: read it again at once, once. A rival
    // replica's fresh write is then respected; a late write of our own (sent before the server
    // froze, applied when it thawed) is ours to renew — not a reason to wait a retry period.
    const attempt = tryAcquireOrRenew(sentAt)
      .catch((error: unknown) => {
        if (statusOf(error) === 409) return tryAcquireOrRenew(clock.now());
        throw error;
      })
      .then(
        (ok) => ({ ok }),
        (error: unknown) => {
          if (statusOf(error) !== 409) report(error);
          return { ok: false };
        },
      );
    // A hung request must not stall the loop: give up on it after the renew deadline, or when a
    // wake says the cluster is back (it was likely sent on a connection that died meanwhile).
    const timeout = new Promise<{ ok: boolean }>((resolve) => {
      cancelTimeout = clock.setTimer(() => {
        timedOut = true;
        resolve({ ok: false });
      }, renewDeadlineMs);
      abandonAttempt = () => resolve({ ok: false });
    });
    inFlight = Promise.race([attempt, timeout]).then(({ ok }) => {
      cancelTimeout();
      inFlight = undefined;
      abandonAttempt = undefined;
      if (!running) return;
      if (timedOut)
        report(new Error(`leader election: a Lease request took longer than ${renewDeadlineMs} ms`));
      lastAttemptFailed = !ok;
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
      const again = wokenWhileBusy && !ok;
      wokenWhileBusy = false;
      if (again) tick();
      else schedule();
    });
  };

  const stop = () => {
    running = false;
    nextTick?.();
    nextTick = undefined;
    wakeSubscription?.unsubscribe();
    wakeSubscription = undefined;
    lose();
  };

  const wake = () => {
    if (!running) return;
    if (inFlight !== undefined) {
      // Probably hung on a connection that died: drop it and try at once on a live one.
      wokenWhileBusy = true;
      abandonAttempt?.();
      return;
    }
    if (nextTick === undefined || (leading.value && !lastAttemptFailed)) return;
    nextTick();
    tick();
  };

  return {
    leading$: leading.pipe(distinctUntilChanged()),
    isLeading,
    start() {
      if (running) return;
      running = true;
      wakeSubscription = options.wake$?.subscribe(wake);
      tick();
    },
    stop,
    async release() {
      stop();
      // Let an in-flight renewal land first, so the release carries the latest resourceVersion.
      await inFlight;
      await writeEmptyHolder();
    },
  };
}

const toMs = (value: unknown): number | undefined => {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
};

interface LeaseJson {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly spec?: {
    readonly holderIdentity?: string;
    readonly leaseDurationSeconds?: number;
    readonly acquireTime?: string;
    readonly renewTime?: string;
    readonly leaseTransitions?: number;
  };
}

function snapshotOf(lease: unknown): LeaseSnapshot {
  const l = (lease ?? {}) as LeaseJson;
  const spec = l.spec ?? {};
  return {
    resourceVersion: l.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: spec.holderIdentity ?? "",
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: toMs(spec.acquireTime),
      renewTime: toMs(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

/** A Lease body; times are MicroTime (the API refuses fewer than 6 fractional digits). */
function leaseBody(namespace: string, name: string, record: LeaseRecord, resourceVersion?: string) {
  const micro = (ms: number) => new V1MicroTime(ms).toISOString();
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      leaseTransitions: record.leaseTransitions,
      ...(record.acquireTime === undefined ? {} : { acquireTime: micro(record.acquireTime) }),
      ...(record.renewTime === undefined ? {} : { renewTime: micro(record.renewTime) }),
    },
  };
}

const leasePath = (namespace: string, name?: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${
    name === undefined ? "" : `/${encodeURIComponent(name)}`
  }`;

/**
 * The real Lease API: raw requests through the KubeConfig's shared connection pool (http.ts), so a
 * renewal rides the same connection as the watches — when that connection dies, renewals notice
 * too. Updates are PUTs carrying the observed resourceVersion.
 */
export function kubeLeaseApi(kc: KubeConfig): LeaseApi {
  return {
    async get(namespace, name) {
      try {
        return snapshotOf(await request(kc, "GET", leasePath(namespace, name)));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async create(namespace, name, record) {
      return snapshotOf(
        await request(kc, "POST", leasePath(namespace), { body: leaseBody(namespace, name, record) }),
      );
    },
    async update(namespace, name, record, resourceVersion) {
      return snapshotOf(
        await request(kc, "PUT", leasePath(namespace, name), {
          body: leaseBody(namespace, name, record, resourceVersion),
        }),
      );
    },
  };
}
