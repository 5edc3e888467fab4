/**
 * Performs the core's writes (apply and delete actions) on the API server. It decides nothing about
 * *what* to write; it guarantees *how*:
 *
 * - Creates are server-side applies that must find no object: their body carries a resourceVersion
 *   no object can have (`NO_OBJECT_RESOURCE_VERSION`), so when anything is at the name the server
 *   refuses (409, reported as AlreadyExists) and never touches it (outcome `conflict`); otherwise
 *   the object is created, owned by zen-lead's apply from birth — one request.
 * - Updates are server-side applies (field manager `zen-lead`, `force: true`, content type
 *   `application/apply-patch+yaml` set explicitly) whose body carries `metadata.uid` = the observed
 *   uid: the server refuses (409) if the object at that name is another one. An update without an
 *   expected uid is refused locally (outcome `rejected`): no write without a precondition.
 * - Every answer is compared with what was asked for (the core's `driftOf`). Apply never removes a
 *   field another field manager owns (a selector added by `kubectl edit`): when the answer still
 *   differs, the object is replaced (PUT of `replacementOf`, conditional on its uid and
 *   resourceVersion) and that answer compared again — outcome `replaced`, naming the fields and
 *   the managers they were taken from; if even that does not converge (an admission webhook),
 *   outcome `drifted`, for a Warning Event (`DriftNotCorrected`), a warn log line and a metric.
 * - Deletes carry `preconditions.uid`: a wrong uid gets 409 (outcome `conflict`), the object is kept.
 * - One queue keyed by object (`Kind:namespace/name`): a request for a key already waiting replaces
 *   it (latest wins); one key never has two writes in flight; a key failing transiently (429, 5xx,
 *   network) backs off exponentially with jitter (reset on success; 429 waits at least Retry-After)
 *   while other keys keep flowing; a new request for a backing-off key goes at once (new intent),
 *   except after a 429; a global token bucket bounds the write rate (qps, burst).
 * - Other refusals (409, 400, 403, 404 on update, 422) are not retried here: the core asks for an
 *   unobserved write again after its in-flight TTL, and re-plans from what the watch shows.
 *
 * Every outcome is reported through `onResult` (for Events, logs and metrics), with the write's
 * timeline (`WriteTrace`): from the watch event that caused it to the server's answer.
 */

import type { KubeConfig } from "@kubernetes/client-node";
import {
  type Action,
  type ApplyAction,
  type DeleteAction,
  decode,
  driftOf,
  isFailure,
  type Manifest,
  replacementOf,
  scheduleAfter,
} from "@zen-lead/core";
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import { ApiError, request, statusOf } from "./http.ts";
import { backoffDelay, collectionPath } from "./watch.ts";

export const FIELD_MANAGER = "zen-lead";
export const APPLY_PATCH_CONTENT_TYPE = "application/apply-patch+yaml";

export type WriteAction = ApplyAction | DeleteAction;

/**
 * - `created`, `applied`, `deleted`: done.
 * - `replaced`: done, but only by replacing the object: another writer's fields (`drift`) had to go.
 * - `drifted`: written, yet the object still differs from what zen-lead wants (`drift`): another
 *   writer (an admission webhook) keeps it so. Not retried here; worth a Warning Event.
 * - `gone`: a delete found nothing to delete (404): the wanted state holds.
 * - `conflict`: 409 — a create met an existing (foreign or not yet observed) object, or the uid
 *   precondition of an update/delete did not match. Nothing was written. Not retried: the watch
 *   brings the object and the core decides (e.g. `NameCollision` and a Warning Event).
 * - `retrying`: a transient failure (429, 5xx, network); the same write is retried after `retryInMs`
 *   unless a newer one for the key replaces it.
 * - `rejected`: any other refusal; not retried here.
 */
export type WriteStatus =
  | "created"
  | "applied"
  | "replaced"
  | "drifted"
  | "deleted"
  | "gone"
  | "conflict"
  | "retrying"
  | "rejected";

/** Where a written object differed from the desired one, and who else manages those fields. */
export interface DriftReport {
  /** Field names in the API's terms (`spec.selector`, `metadata.labels[key]`), from `driftOf`. */
  readonly fields: readonly string[];
  /** The other field managers (managedFields) that own any of them, e.g. `kubectl-edit`. */
  readonly managers: readonly string[];
}

/**
 * Where a write's time went (the latency budget), as performance.now() in this process (ms). The
 * first three are the cause's: the watch event whose fold asked for the write (absent when a timer,
 * a relist or the Lease asked for it); the rest are the applier's.
 */
export interface WriteTrace {
  /** The watch event's line came off the connection. */
  readonly receivedAt?: number;
  /** Parsed and decoded into the core's event. */
  readonly decodedAt?: number;
  /** The core's fold returned the actions. */
  readonly foldedAt?: number;
  /** Handed to the applier (`submit`). */
  readonly queuedAt: number;
  /** Its request started: after the key's turn, backoff and the rate limit. */
  readonly sentAt: number;
  /** The server's answer to its first request arrived (a replacement after drift comes later). */
  readonly answeredAt: number;
}

/** What happened before the applier: the `WriteTrace` stages a caller knows, handed to `submit`. */
export type WriteCause = Pick<WriteTrace, "receivedAt" | "decodedAt" | "foldedAt">;

export interface WriteResult {
  readonly action: WriteAction;
  readonly key: string;
  readonly status: WriteStatus;
  /** Why it failed; with `created`, a non-fatal problem (the ownership upgrade failed). */
  readonly error?: Error;
  readonly durationMs: number;
  readonly retryInMs?: number;
  /** With `replaced` and `drifted`: what differed. */
  readonly drift?: DriftReport;
  /** Where the write's time went (absent when it never got to send: refused locally). */
  readonly trace?: WriteTrace;
}

/**
 * How writes reach the API server (replaceable in unit tests). Rejects with ApiError. Each write
 * resolves with the object as the server answered (undefined when there is none to compare).
 */
export interface WriteTransport {
  /**
   * Creates the object only if nothing is at its name (else rejects with 409, reason
   * AlreadyExists); `warning` is a non-fatal problem of a create that happened (reported with
   * `created`).
   */
  create(action: ApplyAction): Promise<{ readonly object: unknown; readonly warning?: Error }>;
  apply(action: ApplyAction & { readonly expectedUid: string }): Promise<unknown>;
  /** PUT of a whole object; its metadata's uid and resourceVersion are the preconditions. */
  replace(action: ApplyAction, body: Manifest): Promise<unknown>;
  /** GET of the object the action names. */
  get(action: ApplyAction): Promise<unknown>;
  delete(action: DeleteAction): Promise<void>;
}

function objectPath(kind: WriteAction["kind"], namespace: string, name: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

/** The body of an update: the manifest plus `metadata.uid`, the server's uid precondition. */
export function applyBody(action: ApplyAction & { readonly expectedUid: string }): Record<string, unknown> {
  const metadata = (action.manifest.metadata ?? {}) as Record<string, unknown>;
  return { ...action.manifest, metadata: { ...metadata, uid: action.expectedUid } };
}

/**
 * A resourceVersion no object can have: 2^64−1 (resourceVersions are etcd revisions, int64). A
 * server-side apply carrying it creates the object when nothing is at the name — a create ignores
 * the resourceVersion — and is refused with 409 Conflict when anything is, before anything is
 * written: a create-only apply. One request where a POST needed a second one (a POST records
 * zen-lead's fields under an *Update* operation, and apply never removes fields another operation
 * owns, so the entry had to be converted into zen-lead's *Apply* entry right after).
 */
export const NO_OBJECT_RESOURCE_VERSION = "18446744073709551615";

/** The body of a create: the manifest plus the resourceVersion no object can have. */
export function createBody(action: ApplyAction): Record<string, unknown> {
  const metadata = (action.manifest.metadata ?? {}) as Record<string, unknown>;
  return { ...action.manifest, metadata: { ...metadata, resourceVersion: NO_OBJECT_RESOURCE_VERSION } };
}

export function kubeWriteTransport(kc: KubeConfig): WriteTransport {
  return {
    async create(action) {
      const path = objectPath(action.kind, action.namespace, action.name);
      try {
        const object = await request(kc, "PATCH", path, {
          query: { fieldManager: FIELD_MANAGER },
          contentType: APPLY_PATCH_CONTENT_TYPE,
          body: createBody(action),
        });
        return { object };
      } catch (error) {
        // The resourceVersion precondition failed: something is at the name. Said as a POST would.
        if (statusOf(error) !== 409) throw error;
        throw new ApiError(409, `${(error as Error).message} (it already exists)`, "AlreadyExists");
      }
    },
    apply(action) {
      return request(kc, "PATCH", objectPath(action.kind, action.namespace, action.name), {
        query: { fieldManager: FIELD_MANAGER, force: true },
        // JSON is YAML: the body is sent as JSON under the apply content type (415 without it).
        contentType: APPLY_PATCH_CONTENT_TYPE,
        body: applyBody(action),
      });
    },
    replace(action, body) {
      return request(kc, "PUT", objectPath(action.kind, action.namespace, action.name), {
        query: { fieldManager: FIELD_MANAGER },
        body,
      });
    },
    get(action) {
      return request(kc, "GET", objectPath(action.kind, action.namespace, action.name));
    },
    async delete(action) {
      await request(kc, "DELETE", objectPath(action.kind, action.namespace, action.name), {
        body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: action.uid } },
      });
    },
  };
}

/** Default sustained writes per second (`--kube-api-qps`). */
export const DEFAULT_QPS = 50;
/** Default writes allowed at once after a quiet period (`--kube-api-burst`). */
export const DEFAULT_BURST = 100;

export interface ApplierOptions {
  /** Sustained writes per second (token refill). Default DEFAULT_QPS. */
  readonly qps?: number;
  /** Writes allowed at once after a quiet period (bucket size). Default DEFAULT_BURST. */
  readonly burst?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly scheduler?: SchedulerLike;
  readonly random?: () => number;
  readonly onResult?: (result: WriteResult) => void;
  /** Default: kubeWriteTransport(kc). */
  readonly transport?: WriteTransport;
  /**
   * Asked right before each write starts (the lease): when it says no, nothing starts and every
   * waiting write is dropped — a replica that lost the lease writes nothing more, at once. Writes
   * already sent finish. Default: always yes.
   */
  readonly mayWrite?: () => boolean;
}

export interface Applier {
  /**
   * Queue a write; apply/delete actions only (others are ignored). `cause`: when the watch event
   * that asked for it arrived and was folded, for the result's `trace`.
   */
  submit(action: Action, cause?: WriteCause): void;
  /** Submit every write action of a stream. */
  connect(actions: Observable<Action>): Subscription;
  /** Resolves when nothing is waiting, backing off or in flight. */
  idle(): Promise<void>;
  /** Keys waiting (including backing off) and in flight. */
  readonly size: { readonly pending: number; readonly inFlight: number };
  /** Stop: nothing more starts; writes in flight finish. */
  stop(): void;
}

interface Outcome {
  readonly status: WriteStatus;
  readonly warning?: Error;
  readonly drift?: DriftReport;
}

/** Where the server's answer differs from the desired object; nothing when it sent none to compare. */
function driftIn(action: ApplyAction, answer: unknown): readonly string[] {
  if (answer === undefined) return [];
  const view = decode(action.kind, answer);
  if (isFailure(view) || (view.kind !== "Service" && view.kind !== "EndpointSlice")) return [];
  return driftOf(action.desired, view);
}

interface ManagedEntry {
  readonly manager?: unknown;
  readonly fieldsV1?: unknown;
}

/** `spec.selector` -> [f:spec, f:selector]; `metadata.labels[k]` -> [f:metadata, f:labels, f:k]. */
function fieldPath(field: string): string[] {
  const bracket = field.indexOf("[");
  const dotted = (bracket < 0 ? field : field.slice(0, bracket)).split("=")[0] ?? "";
  const path = dotted.split(".").map((part) => `f:${part}`);
  if (bracket >= 0) path.push(`f:${field.slice(bracket + 1, -1)}`);
  return path;
}

/** The other field managers that own any of these fields of the object (its managedFields). */
function driftReport(object: unknown, fields: readonly string[]): DriftReport {
  const meta = (object as { metadata?: { managedFields?: unknown } } | undefined)?.metadata;
  const entries = Array.isArray(meta?.managedFields) ? (meta.managedFields as ManagedEntry[]) : [];
  const managers = new Set<string>();
  for (const entry of entries) {
    if (typeof entry.manager !== "string" || entry.manager === FIELD_MANAGER) continue;
    const owns = fields.some((field) => {
      let node: unknown = entry.fieldsV1;
      for (const step of fieldPath(field)) {
        node = (node as Record<string, unknown> | undefined)?.[step];
        if (node === undefined) return false;
      }
      return true;
    });
    if (owns) managers.add(entry.manager);
  }
  return { fields, managers: [...managers].sort() };
}

export function keyOf(action: WriteAction): string {
  return `${action.kind}:${action.namespace}/${action.name}`;
}

/**
 * 409 (AlreadyExists on create, a failed uid precondition on delete), and the server's answer to an
 * apply whose `metadata.uid` is not the live object's: 422 "metadata.uid: field is immutable".
 */
function isConflict(error: Error): boolean {
  if (statusOf(error) === 409) return true;
  return error instanceof ApiError && error.status === 422 && error.fields.includes("metadata.uid");
}

function isWrite(action: Action): action is WriteAction {
  return action.type === "apply" || action.type === "delete";
}

/** A token bucket on the scheduler's clock. `take` returns 0 when a token was taken, else the wait. */
export function tokenBucket(qps: number, burst: number, now: number) {
  let tokens = burst;
  let last = now;
  return {
    take(at: number): number {
      tokens = Math.min(burst, tokens + ((at - last) * qps) / 1000);
      last = at;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - tokens) * 1000) / qps);
    },
  };
}

export function createApplier(kc: KubeConfig | undefined, options: ApplierOptions = {}): Applier {
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const backoffInitialMs = options.backoffInitialMs ?? 200;
  const backoffMaxMs = options.backoffMaxMs ?? 30_000;
  const onResult = options.onResult ?? (() => {});
  if (options.transport === undefined && kc === undefined) {
    throw new Error("createApplier needs a KubeConfig or a transport");
  }
  const transport = options.transport ?? kubeWriteTransport(kc as KubeConfig);
  const bucket = tokenBucket(options.qps ?? DEFAULT_QPS, options.burst ?? DEFAULT_BURST, scheduler.now());

  // Insertion order is service order; replacing a waiting request keeps its place (fairness).
  const pending = new Map<string, WriteAction>();
  /** Per waiting key: the cause and queue time of its latest request (the one that runs). */
  const queued = new Map<string, WriteCause & { readonly queuedAt: number }>();
  const inFlight = new Set<string>();
  const failures = new Map<string, number>();
  // When a key may be written again: after a transient failure (the retry waits), and after a 429
  // (anything for the key waits: the server asked for it).
  const notBefore = new Map<string, { readonly at: number; readonly throttled: boolean }>();
  let wake: Subscription | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (pending.size > 0 || inFlight.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const wakeUpAt = (at: number) => {
    if (at >= wakeAt) return;
    wake?.unsubscribe();
    wakeAt = at;
    // A Retry-After may be longer than one JavaScript timer holds.
    wake = scheduleAfter(scheduler, at - scheduler.now(), () => {
      wake = undefined;
      wakeAt = Number.POSITIVE_INFINITY;
      pump();
    });
  };

  /**
   * Compares the server's answer with what was asked for; when they differ, replaces the object
   * (conditional on the answer's uid and resourceVersion) and compares again.
   */
  async function converge(action: ApplyAction, answer: unknown, done: WriteStatus): Promise<Outcome> {
    const drift = driftIn(action, answer);
    if (drift.length === 0) return { status: done };
    return replace(action, answer, drift);
  }

  /** PUT of the replacement built from `live`, conditional on its uid and resourceVersion. */
  async function replace(action: ApplyAction, live: unknown, drift: readonly string[]): Promise<Outcome> {
    const replaced = await transport.replace(action, replacementOf(action.desired, live as Manifest));
    const left = driftIn(action, replaced);
    if (left.length === 0) return { status: "replaced", drift: driftReport(live, drift) };
    return { status: "drifted", drift: driftReport(replaced, left) };
  }

  /**
   * Server-side apply, compared. When apply is refused as invalid, zen-lead's fields and another
   * writer's cannot stand together (type ClusterIP beside someone's loadBalancerSourceRanges):
   * only a replacement of the live object — the same one, by uid — converges.
   */
  async function update(action: ApplyAction, expectedUid: string, answered: () => void): Promise<Outcome> {
    let answer: unknown;
    try {
      answer = await transport.apply({ ...action, expectedUid }).finally(answered);
    } catch (error) {
      if (statusOf(error) !== 422 || isConflict(error as Error)) throw error;
      const live = await transport.get(action);
      const uid = (live as { metadata?: { uid?: unknown } } | undefined)?.metadata?.uid;
      if (uid !== expectedUid)
        throw new ApiError(409, `${keyOf(action)} is another object now (uid ${String(uid)})`);
      return replace(action, live, driftIn(action, live));
    }
    return converge(action, answer, "applied");
  }

  /** Performs the write; `answered` is called when its first request is answered (or fails). */
  async function perform(action: WriteAction, answered: () => void): Promise<Outcome> {
    if (action.type === "delete") {
      try {
        await transport.delete(action).finally(answered);
        return { status: "deleted" };
      } catch (error) {
        if (statusOf(error) === 404) return { status: "gone" };
        throw error;
      }
    }
    if (action.create) {
      const { object, warning } = await transport.create(action).finally(answered);
      const outcome = await converge(action, object, "created");
      return warning === undefined ? outcome : { ...outcome, warning };
    }
    const expectedUid = action.expectedUid;
    if (expectedUid === undefined || expectedUid === "") {
      throw new ApiError(-1, `refusing to update ${keyOf(action)} without a uid precondition`);
    }
    return update(action, expectedUid, answered);
  }

  async function run(key: string, action: WriteAction, cause: WriteCause & { queuedAt: number }) {
    const started = scheduler.now();
    const sentAt = performance.now();
    let answeredAt: number | undefined;
    const answered = () => {
      answeredAt ??= performance.now();
    };
    // Refused locally (no uid precondition): nothing was sent, so no trace.
    const traced = () =>
      answeredAt === undefined ? {} : { trace: { ...cause, sentAt, answeredAt } satisfies WriteTrace };
    let result: WriteResult;
    try {
      const { status, warning, drift } = await perform(action, answered);
      failures.delete(key);
      notBefore.delete(key);
      const durationMs = scheduler.now() - started;
      result = {
        action,
        key,
        status,
        durationMs,
        ...(warning !== undefined ? { error: warning } : {}),
        ...(drift !== undefined ? { drift } : {}),
        ...traced(),
      };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      const status = statusOf(error);
      const durationMs = scheduler.now() - started;
      if (isConflict(error)) {
        failures.delete(key);
        result = { action, key, status: "conflict", error, durationMs, ...traced() };
      } else if (status === 429 || status === 0 || status >= 500) {
        const n = failures.get(key) ?? 0;
        failures.set(key, n + 1);
        const retryAfter = error instanceof ApiError ? (error.retryAfterMs ?? 0) : 0;
        const retryInMs = Math.max(retryAfter, backoffDelay(n, backoffInitialMs, backoffMaxMs, random));
        notBefore.set(key, { at: scheduler.now() + retryInMs, throttled: status === 429 });
        // A newer request for the key, queued meanwhile, wins over this retry.
        if (!pending.has(key) && !stopped) {
          pending.set(key, action);
          queued.set(key, cause);
        }
        result = { action, key, status: "retrying", error, durationMs, retryInMs, ...traced() };
      } else {
        failures.delete(key);
        result = { action, key, status: "rejected", error, durationMs, ...traced() };
      }
    }
    inFlight.delete(key);
    onResult(result);
    pump();
    settleIdle();
  }

  function pump(): void {
    if (stopped) return;
    if (options.mayWrite?.() === false) {
      pending.clear();
      queued.clear();
      settleIdle();
      return;
    }
    const now = scheduler.now();
    for (const [key, action] of pending) {
      if (inFlight.has(key)) continue;
      const at = notBefore.get(key)?.at ?? 0;
      if (at > now) {
        wakeUpAt(at);
        continue;
      }
      const wait = bucket.take(now);
      if (wait > 0) {
        wakeUpAt(now + wait);
        break;
      }
      const cause = queued.get(key) ?? { queuedAt: performance.now() };
      pending.delete(key);
      queued.delete(key);
      inFlight.add(key);
      void run(key, action, cause);
    }
  }

  const applier: Applier = {
    submit(action, cause) {
      if (stopped || !isWrite(action)) return;
      const key = keyOf(action);
      queued.set(key, { ...cause, queuedAt: performance.now() });
      // A new request carries new intent (a failover must not wait out an old backoff), so it is
      // not held back unless the server throttled the key; the failure count stays, so if it fails
      // too it waits longer. The core re-asks an identical write only after its in-flight TTL.
      if (notBefore.get(key)?.throttled !== true) notBefore.delete(key);
      pending.set(key, action);
      pump();
    },
    connect(actions) {
      return actions.subscribe((a) => applier.submit(a));
    },
    idle() {
      return pending.size === 0 && inFlight.size === 0
        ? Promise.resolve()
        : new Promise((resolve) => idleWaiters.push(resolve));
    },
    get size() {
      return { pending: pending.size, inFlight: inFlight.size };
    },
    stop() {
      stopped = true;
      wake?.unsubscribe();
      pending.clear();
      queued.clear();
      settleIdle();
    },
  };
  return applier;
}
