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
 * - A refusal nothing but the operator can fix (401, 403: RBAC does not allow this Lease) makes a
 *   replica that does not lead wait longer before each next attempt: the retry period doubling up
 *   to `PERMANENT_REFUSAL_MAX_BACKOFF_MS` (30 s), so that a fix is picked up within 30 s and the
 *   API server is not asked every 2 s forever. Any other outcome resets it.
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
import { scheduleAfter } from "@zen-lead/core";
import {
  asyncScheduler,
  BehaviorSubject,
  distinctUntilChanged,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from "rxjs";
import { request, statusOf } from "./http.ts";

/**
 * The Lease's spec as the election reads and writes it (coordination.k8s.io/v1 LeaseSpec). Times
 * are ms since the epoch, undefined when the field is absent; a missing holder reads as "" (free).
 */
export interface LeaseRecord {
  /** Who holds it; "" when released (or never held). */
  readonly holderIdentity: string;
  /** How long a standby must see it unchanged before taking it, s. */
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number | undefined;
  readonly renewTime: number | undefined;
  /** How many times the holder changed. */
  readonly leaseTransitions: number;
}

/** A Lease as read or written: its spec and the `metadata.resourceVersion` to update it from. */
export interface LeaseSnapshot {
  readonly record: LeaseRecord;
  readonly resourceVersion: string;
}

/**
 * The three calls the election makes on one Lease (`namespace`/`name`); `kubeLeaseApi` is the real
 * one, tests pass a fake. Errors carry their HTTP status where `statusOf` finds it.
 */
export interface LeaseApi {
  /** The Lease, or undefined when it does not exist (404). */
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

/** How to elect: the Lease, this replica, the timings (controller-runtime's defaults), the hooks. */
export interface LeaderElectionOptions {
  readonly api: LeaseApi;
  /** The Lease's namespace and name (`zen-lead run --lease-namespace`, `--lease-name`). */
  readonly namespace: string;
  readonly name: string;
  /** This replica's unique identity (its pod name, say); must not be empty. */
  readonly identity: string;
  /** How long a Lease must stay unchanged before a standby takes it, ms. Default 15 000. */
  readonly leaseDurationMs?: number;
  /** The holder stops leading when no renewal has succeeded for this long, ms. Default 10 000. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts, ms. Default 2 000. */
  readonly retryPeriodMs?: number;
  /** Timers and the clock. Default `asyncScheduler` (wall-clock ms). */
  readonly scheduler?: SchedulerLike;
  /** In [0, 1); standbys wait retryPeriod × (1 + 0.2 × random()) between attempts. Default Math.random. */
  readonly random?: () => number;
  /** Failed API calls (other than lost races) and requests hung past the renew deadline; the election carries on. */
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
  /** The holder handed the Lease over because it was blind for `blindForMs` ms. */
  readonly onHandOver?: (blindForMs: number) => void;
}

/** One replica's side of the election; leadership is what the applier gates writes on. */
export interface LeaderElector {
  /** Whether this replica leads: the current value on subscribe, then every change, synchronously. */
  readonly leading$: Observable<boolean>;
  /**
   * Leads right now: false as soon as the renew deadline has passed (even before the timer that
   * announces it runs) or the replica has been blind for longer than it.
   */
  isLeading(): boolean;
  /** Starts trying to acquire (then renew); a second call does nothing. */
  start(): void;
  /** Stops trying and drops leadership, leaving the Lease to expire. */
  stop(): void;
  /**
   * Stops, drops leadership (synchronously), lets a request in flight finish, then writes an empty
   * holder so a standby takes the Lease at its next retry. A failed write goes to `onError` (a
   * 409 — the Lease is no longer ours — is not reported).
   */
  release(): Promise<void>;
}

/** Standbys wait up to this fraction of a retry period longer between attempts (client-go's 1.2). */
const JITTER = 0.2;

/** The longest wait between attempts refused for good (401, 403), ms: the write queue's backoff ceiling. */
export const PERMANENT_REFUSAL_MAX_BACKOFF_MS = 30_000;

/** 401 and 403: the credentials or RBAC refuse the request; only the operator can change that. */
export function isPermanentRefusal(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403;
}

/**
 * Builds an elector (nothing is requested before `start()`). Throws when `identity` is empty, or
 * when the timings could let two replicas lead at once: `leaseDurationMs <= renewDeadlineMs`, or
 * `renewDeadlineMs <= 1.2 × retryPeriodMs` (client-go's checks).
 */
export function createLeaderElector(options: LeaderElectionOptions): LeaderElector {
  return new LeaseElector(options);
}

/** The last Lease this replica read or wrote, and since when it has looked like that. */
interface Observation {
  readonly snapshot: LeaseSnapshot;
  /** The record's fields, serialized: any change of them is a change of the Lease. */
  readonly key: string;
  /** When this replica first saw the record as it is (ms, scheduler time): expiry counts from here. */
  readonly since: number;
}

/** What an attempt found: whether the Lease is ours after it, and whether it hung past the deadline. */
interface AttemptResult {
  readonly ok: boolean;
  readonly timedOut: boolean;
}

class LeaseElector implements LeaderElector {
  readonly leading$: Observable<boolean>;

  readonly #options: LeaderElectionOptions;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #random: () => number;
  readonly #blindForMs: () => number;

  /** Leadership as announced: true from a successful acquire/renew until it is lost (`#lose`). */
  readonly #leading = new BehaviorSubject(false);
  /** Between `start()` and `stop()`: attempts are scheduled. */
  #running = false;
  /**
   * When the last successful acquire/renew was *sent* (ms, scheduler time): the Lease is ours
   * until `renewDeadlineMs` after it. −∞ while not leading.
   */
  #renewedAt = Number.NEGATIVE_INFINITY;
  /** The last Lease seen; undefined before the first read. */
  #observed: Observation | undefined;
  /** The timer of the next attempt; undefined while one is in flight, and while stopped. */
  #nextAttempt: Subscription | undefined;
  /** Fires at `#renewedAt + renewDeadlineMs` to announce the loss; armed only while leading. */
  #deadline: Subscription | undefined;
  /** The attempt (or hand-over) in flight; `abandon` gives up on an attempt, as failed. */
  #inFlight: { readonly done: Promise<void>; readonly abandon?: () => void } | undefined;
  /** The last attempt did not end with the Lease ours: a wake tries again at once. */
  #lastAttemptFailed = false;
  /** A wake came while an attempt was in flight: if it fails, the next one starts at once. */
  #wokenWhileBusy = false;
  /** The subscription to `wake$`, while running. */
  #wakes: Subscription | undefined;
  /** Attempts in a row refused for good (401, 403): the next waits longer (`#scheduleNext`). */
  #refusedInARow = 0;

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#random = options.random ?? Math.random;
    this.#blindForMs = options.blindForMs ?? (() => 0);
    if (options.identity === "") throw new Error("leader election: identity must not be empty");
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs))
      throw new Error("leader election: leaseDuration must exceed renewDeadline");
    if (!(this.#renewDeadlineMs > this.#retryPeriodMs * (1 + JITTER))) {
      throw new Error("leader election: renewDeadline must exceed 1.2 × retryPeriod");
    }
    this.leading$ = this.#leading.pipe(distinctUntilChanged());
  }

  isLeading(): boolean {
    return (
      this.#leading.value &&
      this.#scheduler.now() - this.#renewedAt < this.#renewDeadlineMs &&
      this.#blindForMs() <= this.#renewDeadlineMs
    );
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#wakes = this.#options.wake$?.subscribe(() => this.#wake());
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    this.#nextAttempt?.unsubscribe();
    this.#nextAttempt = undefined;
    this.#wakes?.unsubscribe();
    this.#wakes = undefined;
    this.#lose();
  }

  async release(): Promise<void> {
    this.stop();
    // Let an in-flight renewal land first, so the release carries the latest resourceVersion.
    await this.#inFlight?.done;
    await this.#writeEmptyHolder();
  }

  #report(error: unknown): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A failing reporter must not stop the election.
    }
  }

  #setLeading(value: boolean): void {
    if (this.#leading.value !== value) this.#leading.next(value);
  }

  #lose(): void {
    this.#deadline?.unsubscribe();
    this.#deadline = undefined;
    this.#renewedAt = Number.NEGATIVE_INFINITY;
    this.#setLeading(false);
  }

  #observe(snapshot: LeaseSnapshot): void {
    const r = snapshot.record;
    const key = JSON.stringify([
      r.holderIdentity,
      r.leaseDurationSeconds,
      r.acquireTime,
      r.renewTime,
      r.leaseTransitions,
    ]);
    const previous = this.#observed;
    const since = previous?.key === key ? previous.since : this.#scheduler.now();
    this.#observed = { snapshot, key, since };
  }

  /**
   * The next attempt after a retry period (standbys: plus up to 20 % jitter); after attempts
   * refused for good, a standby's period doubles with each, up to PERMANENT_REFUSAL_MAX_BACKOFF_MS.
   */
  #scheduleNext(): void {
    if (!this.#running) return;
    const jitter = this.#leading.value ? 0 : JITTER * this.#random();
    const backoff =
      this.#leading.value || this.#refusedInARow === 0
        ? this.#retryPeriodMs
        : Math.min(this.#retryPeriodMs * 2 ** (this.#refusedInARow - 1), PERMANENT_REFUSAL_MAX_BACKOFF_MS);
    this.#nextAttempt = scheduleAfter(this.#scheduler, backoff * (1 + jitter), () => this.#tick());
  }

  /** A due attempt: hand the Lease over if blind too long, wait if a blind standby, else try. */
  #tick(): void {
    this.#nextAttempt = undefined;
    if (!this.#running) return;
    const blind = this.#blindForMs();
    if (blind > this.#renewDeadlineMs && this.#leading.value) this.#handOver(blind);
    else if (blind > 0 && !this.#leading.value)
      this.#scheduleNext(); // a blind standby does not take the Lease; the watches' return wakes it
    else this.#attempt();
  }

  /** Holding the Lease blind would keep a replica that sees the cluster from taking over. */
  #handOver(blindForMs: number): void {
    this.#lose();
    const done = this.#writeEmptyHolder().then(() => {
      this.#inFlight = undefined;
      this.#options.onHandOver?.(blindForMs);
      this.#scheduleNext();
    });
    this.#inFlight = { done };
  }

  /**
   * One acquire-or-renew, raced against the renew deadline and against a wake (either gives up on
   * it: a hung request must not stall the loop, and after a wake it was likely sent on a
   * connection that died meanwhile).
   */
  #attempt(): void {
    const sentAt = this.#scheduler.now();
    // A 409 means the Lease changed since it was read: read it again at once, once. A rival
    // replica's fresh write is then respected; a late write of our own (sent before the server
    // froze, applied when it thawed) is ours to renew — not a reason to wait a retry period.
    const attempt = this.#tryAcquireOrRenew(sentAt)
      .catch((error: unknown) => {
        if (statusOf(error) === 409) return this.#tryAcquireOrRenew(this.#scheduler.now());
        throw error;
      })
      .then(
        (ok): AttemptResult => {
          this.#refusedInARow = 0;
          return { ok, timedOut: false };
        },
        (error: unknown): AttemptResult => {
          this.#refusedInARow = isPermanentRefusal(error) ? this.#refusedInARow + 1 : 0;
          if (statusOf(error) !== 409) this.#report(error);
          return { ok: false, timedOut: false };
        },
      );
    let timeout: Subscription | undefined;
    let abandon: () => void = () => undefined;
    const givenUp = new Promise<AttemptResult>((resolve) => {
      timeout = scheduleAfter(this.#scheduler, this.#renewDeadlineMs, () =>
        resolve({ ok: false, timedOut: true }),
      );
      abandon = () => resolve({ ok: false, timedOut: false });
    });
    const done = Promise.race([attempt, givenUp]).then((result) => {
      timeout?.unsubscribe();
      this.#inFlight = undefined;
      this.#attempted(result, sentAt);
    });
    this.#inFlight = { done, abandon };
  }

  /** An attempt sent at `sentAt` ended: lead, or lose past the deadline; then the next one. */
  #attempted({ ok, timedOut }: AttemptResult, sentAt: number): void {
    if (!this.#running) return;
    if (timedOut)
      this.#report(
        new Error(`leader election: a Lease request took longer than ${this.#renewDeadlineMs} ms`),
      );
    this.#lastAttemptFailed = !ok;
    const now = this.#scheduler.now();
    if (ok) {
      this.#renewedAt = sentAt;
      if (now - this.#renewedAt < this.#renewDeadlineMs) {
        this.#armDeadline();
        this.#setLeading(true);
      } else {
        this.#lose();
      }
    } else if (this.#leading.value && now - this.#renewedAt >= this.#renewDeadlineMs) {
      this.#lose();
    }
    const again = this.#wokenWhileBusy && !ok;
    this.#wokenWhileBusy = false;
    if (again) this.#tick();
    else this.#scheduleNext();
  }

  /** One read and, when the Lease is free or ours, one write; true when the Lease is ours after it. */
  async #tryAcquireOrRenew(now: number): Promise<boolean> {
    const { api, namespace, name, identity } = this.#options;
    const current = await api.get(namespace, name);
    const leaseSeconds = Math.ceil(this.#leaseDurationMs / 1000);
    if (current === undefined) {
      const created = await api.create(namespace, name, {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      });
      this.#observe(created);
      return true;
    }
    this.#observe(current);
    const old = current.record;
    const ours = old.holderIdentity === identity;
    if (!ours && old.holderIdentity !== "") {
      // Someone else holds it: it is ours to take only once it has not changed for its duration.
      const durationMs = Math.max(old.leaseDurationSeconds * 1000, 0);
      if ((this.#observed?.since ?? now) + durationMs > this.#scheduler.now()) {
        if (this.#leading.value) this.#lose();
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
    this.#observe(updated);
    return true;
  }

  #armDeadline(): void {
    this.#deadline?.unsubscribe();
    const left = this.#renewedAt + this.#renewDeadlineMs - this.#scheduler.now();
    this.#deadline = scheduleAfter(this.#scheduler, left, () => {
      this.#deadline = undefined;
      if (this.#scheduler.now() - this.#renewedAt >= this.#renewDeadlineMs) this.#lose();
    });
  }

  /** Writes an empty holder over our own Lease (release, hand-over); a 409 means it is not ours. */
  async #writeEmptyHolder(): Promise<void> {
    const { api, namespace, name, identity } = this.#options;
    const last = this.#observed?.snapshot;
    if (last === undefined || last.record.holderIdentity !== identity) return;
    const now = this.#scheduler.now();
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
      this.#observe(released);
    } catch (error) {
      // 409: someone else wrote the Lease since; it is not ours to release.
      if (statusOf(error) !== 409) this.#report(error);
    }
  }

  /** The watches are back: try now if not leading or if the last attempt failed. */
  #wake(): void {
    if (!this.#running) return;
    if (this.#inFlight !== undefined) {
      // Probably hung on a connection that died: drop it and try at once on a live one.
      this.#wokenWhileBusy = true;
      this.#inFlight.abandon?.();
      return;
    }
    if (this.#nextAttempt === undefined || (this.#leading.value && !this.#lastAttemptFailed)) return;
    this.#nextAttempt.unsubscribe();
    this.#tick();
  }
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
 * too. Updates are PUTs carrying the observed resourceVersion. Failures reject with the request's
 * `ApiError` (its status via `statusOf`); a 404 on `get` resolves to undefined.
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
