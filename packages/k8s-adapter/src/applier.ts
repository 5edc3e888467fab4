/**
 * Performs the core's writes (apply and delete actions) on the API server. It decides nothing about
 * *what* to write; it guarantees *how*:
 *
 * - Creates are server-side applies that must find no object: their body carries a resourceVersion
 *   no object can have (`NO_OBJECT_RESOURCE_VERSION`), so when anything is at the name the server
 *   refuses (409, reported as AlreadyExists) and never touches it (outcome `conflict`); otherwise
 *   the object is created, owned by zen-lead's apply from birth — one request per create.
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
  type Dispatch,
  decode,
  driftOf,
  isFailure,
  isTransient,
  type Manifest,
  replacementOf,
  scheduleAfter,
  WRITE_QUEUE_DEFAULTS,
  type WriteAnswer,
  WriteQueue,
} from "@zen-lead/core";
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import { ApiError, request, statusOf } from "./http.ts";
import { collectionPath } from "./watch.ts";

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
 * Where a write's time went (the latency budget), as `performance.now()` in this process (ms). The
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
  /** Handed to the applier (`submit`); a retry keeps its first request's time. */
  readonly queuedAt: number;
  /** Its request started: after the key's turn, backoff and the rate limit. */
  readonly sentAt: number;
  /** The server's answer to its first request arrived (a replacement after drift comes later). */
  readonly answeredAt: number;
}

/**
 * The latency budget of a write, stage by stage: each from one `WriteTrace` moment to another
 * (`decode`, `fold`, `queue`, `request` follow each other; `reaction` is zen-lead's own share,
 * event received to request sent). What the `zen_lead_failover_stage_seconds` histogram and the
 * failover bench report.
 */
export const TRACE_STAGES = {
  decode: ["receivedAt", "decodedAt"],
  fold: ["decodedAt", "foldedAt"],
  queue: ["foldedAt", "sentAt"],
  request: ["sentAt", "answeredAt"],
  reaction: ["receivedAt", "sentAt"],
} as const satisfies Record<string, readonly [keyof WriteTrace, keyof WriteTrace]>;

export type TraceStage = keyof typeof TRACE_STAGES;

/** How long `stage` took in `trace`, ms; NaN when the trace lacks either moment (a write no watch event caused). */
export function stageMs(trace: WriteTrace, stage: TraceStage): number {
  const [from, to] = TRACE_STAGES[stage];
  return (trace[to] ?? Number.NaN) - (trace[from] ?? Number.NaN);
}

/** What happened before the applier: the `WriteTrace` stages a caller knows, handed to `submit`. */
export type WriteCause = Pick<WriteTrace, "receivedAt" | "decodedAt" | "foldedAt">;

export interface WriteResult {
  readonly action: WriteAction;
  readonly key: string;
  readonly status: WriteStatus;
  /** Why it failed; with `created`, a non-fatal problem of a create that happened. */
  readonly error?: Error;
  readonly durationMs: number;
  readonly retryInMs?: number;
  /** With `replaced` and `drifted`: what differed. */
  readonly drift?: DriftReport;
  /** Where the write's time went; absent when nothing was sent (refused locally). */
  readonly trace?: WriteTrace;
  /**
   * The object as the server last answered the write (`created`, `applied`, `replaced`,
   * `drifted`), when it sent one: what a log line says of it (a new leader Service's ClusterIP).
   */
  readonly object?: unknown;
}

/**
 * How writes reach the API server (replaceable in unit tests). Rejects with ApiError. Each write
 * resolves with the object as the server answered (undefined when there is none to compare).
 */
export interface WriteTransport {
  /**
   * Creates the object only if nothing is at its name (else rejects with 409, reason AlreadyExists);
   * `warning` is a non-fatal problem of a create that happened (reported with `created`).
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
      try {
        const object = await request(kc, "PATCH", objectPath(action.kind, action.namespace, action.name), {
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

/** Default sustained writes per second (`--kube-api-qps`): the write queue's. */
export const DEFAULT_QPS = WRITE_QUEUE_DEFAULTS.qps;
/** Default writes allowed at once after a quiet period (`--kube-api-burst`): the write queue's. */
export const DEFAULT_BURST = WRITE_QUEUE_DEFAULTS.burst;

export interface ApplierOptions {
  /** Sustained writes per second (token refill). Default DEFAULT_QPS. */
  readonly qps?: number;
  /** Writes allowed at once after a quiet period (bucket size). Default DEFAULT_BURST. */
  readonly burst?: number;
  /** First backoff after a transient failure, ms. Default: the write queue's (200). */
  readonly backoffInitialMs?: number;
  /** Longest backoff, ms. Default: the write queue's (30 000). */
  readonly backoffMaxMs?: number;
  /** Timers and the clock (ms). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** The backoff's jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Told of every outcome, once per attempt (a `retrying` one included). Default: nothing. */
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
   * that asked for it arrived, was decoded and folded, for the result's `trace`.
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
  /** The server's last answer. */
  readonly object?: unknown;
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

/** A write as the queue holds it: the action, and what its trace knows before it is sent. */
interface Queued {
  readonly action: WriteAction;
  readonly cause: WriteCause & { readonly queuedAt: number };
}

/**
 * The applier on the KubeConfig's API server (or `options.transport`). Throws when given neither.
 * Starts idle; writes start as they are submitted.
 */
export function createApplier(kc: KubeConfig | undefined, options: ApplierOptions = {}): Applier {
  if (options.transport === undefined && kc === undefined) {
    throw new Error("createApplier needs a KubeConfig or a transport");
  }
  return new QueueApplier(options.transport ?? kubeWriteTransport(kc as KubeConfig), options);
}

/**
 * The driver of the core's `WriteQueue`: the queue's rules (per-key merge, one write of a key at a
 * time, backoff, rate limit) are the core's, shared with the simulator; this performs its sends
 * (real I/O), keeps its time (the scheduler) and reports each outcome.
 */
class QueueApplier implements Applier {
  readonly #transport: WriteTransport;
  readonly #options: ApplierOptions;
  readonly #scheduler: SchedulerLike;
  readonly #random: () => number;
  readonly #onResult: (result: WriteResult) => void;
  readonly #queue: WriteQueue<Queued>;
  /** The one timer asking the queue to `tick`, and when it fires (ms; +Infinity: none). */
  #wake: Subscription | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  /** `stop()` was called: nothing more starts. */
  #stopped = false;
  /** `idle()` promises waiting for the queue to empty. */
  #idleWaiters: (() => void)[] = [];

  constructor(transport: WriteTransport, options: ApplierOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#random = options.random ?? Math.random;
    this.#onResult = options.onResult ?? (() => {});
    this.#queue = new WriteQueue<Queued>(
      {
        ...(options.qps !== undefined ? { qps: options.qps } : {}),
        ...(options.burst !== undefined ? { burst: options.burst } : {}),
        ...(options.backoffInitialMs !== undefined ? { backoffInitialMs: options.backoffInitialMs } : {}),
        ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
      },
      this.#scheduler.now(),
    );
  }

  submit(action: Action, cause?: WriteCause): void {
    if (this.#stopped || !isWrite(action)) return;
    const queued: Queued = { action, cause: { ...cause, queuedAt: performance.now() } };
    this.#dispatch(this.#queue.submit(keyOf(action), queued, this.#scheduler.now()));
  }

  connect(actions: Observable<Action>): Subscription {
    return actions.subscribe((a) => this.submit(a));
  }

  idle(): Promise<void> {
    return this.#queue.idle ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  get size(): { readonly pending: number; readonly inFlight: number } {
    const { waiting, inFlight } = this.#queue.size;
    return { pending: waiting, inFlight };
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.unsubscribe();
    this.#queue.dropWaiting();
    this.#settleIdle();
  }

  #settleIdle(): void {
    if (!this.#queue.idle) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Performs what the queue says: its sends, and a wake-up when it asks for one. A replica that may
   * no longer write (the lease is lost, or stopped) sends nothing: the queue hears those writes as
   * done, and drops what waits.
   */
  #dispatch(d: Dispatch<Queued>): void {
    const scheduler = this.#scheduler;
    if (!this.#mayWrite()) {
      for (const { key, write } of d.sends)
        this.#queue.answer(key, write, { final: true }, scheduler.now(), 0);
      this.#settleIdle();
      return;
    }
    for (const { key, write } of d.sends) void this.#run(key, write);
    if (d.wakeAt === undefined || d.wakeAt >= this.#wakeAt) return;
    this.#wake?.unsubscribe();
    this.#wakeAt = d.wakeAt;
    // A Retry-After may be longer than one JavaScript timer holds.
    this.#wake = scheduleAfter(scheduler, d.wakeAt - scheduler.now(), () => {
      this.#wake = undefined;
      this.#wakeAt = Number.POSITIVE_INFINITY;
      this.#dispatch(this.#queue.tick(scheduler.now()));
    });
  }

  /** Asked right before anything is sent: a replica that lost the lease drops what waits. */
  #mayWrite(): boolean {
    if (this.#stopped) return false;
    if (this.#options.mayWrite?.() === false) {
      this.#queue.dropWaiting();
      this.#settleIdle();
      return false;
    }
    return true;
  }

  /**
   * Compares the server's answer with what was asked for; when they differ, replaces the object
   * (conditional on the answer's uid and resourceVersion) and compares again.
   */
  async #converge(action: ApplyAction, answer: unknown, done: WriteStatus): Promise<Outcome> {
    const drift = driftIn(action, answer);
    if (drift.length === 0) return { status: done, object: answer };
    return this.#replace(action, answer, drift);
  }

  /** PUT of the replacement built from `live`, conditional on its uid and resourceVersion. */
  async #replace(action: ApplyAction, live: unknown, drift: readonly string[]): Promise<Outcome> {
    const replaced = await this.#transport.replace(action, replacementOf(action.desired, live as Manifest));
    const left = driftIn(action, replaced);
    if (left.length === 0) return { status: "replaced", drift: driftReport(live, drift), object: replaced };
    return { status: "drifted", drift: driftReport(replaced, left), object: replaced };
  }

  /**
   * Server-side apply, compared. When apply is refused as invalid, zen-lead's fields and another
   * writer's cannot stand together (type ClusterIP beside someone's loadBalancerSourceRanges):
   * only a replacement of the live object — the same one, by uid — converges.
   */
  async #update(action: ApplyAction, expectedUid: string, answered: () => void): Promise<Outcome> {
    let answer: unknown;
    try {
      answer = await this.#transport.apply({ ...action, expectedUid }).finally(answered);
    } catch (error) {
      if (statusOf(error) !== 422 || isConflict(error as Error)) throw error;
      const live = await this.#transport.get(action);
      const uid = (live as { metadata?: { uid?: unknown } } | undefined)?.metadata?.uid;
      if (uid !== expectedUid)
        throw new ApiError(409, `${keyOf(action)} is another object now (uid ${String(uid)})`);
      return this.#replace(action, live, driftIn(action, live));
    }
    return this.#converge(action, answer, "applied");
  }

  /** Performs the write; `answered` is called when its first request is answered (or fails). */
  async #perform(action: WriteAction, answered: () => void): Promise<Outcome> {
    if (action.type === "delete") {
      try {
        await this.#transport.delete(action).finally(answered);
        return { status: "deleted" };
      } catch (error) {
        if (statusOf(error) === 404) return { status: "gone" };
        throw error;
      }
    }
    if (action.create) {
      const { object, warning } = await this.#transport.create(action).finally(answered);
      const outcome = await this.#converge(action, object, "created");
      return warning === undefined ? outcome : { ...outcome, warning };
    }
    const expectedUid = action.expectedUid;
    if (expectedUid === undefined || expectedUid === "") {
      throw new ApiError(-1, `refusing to update ${keyOf(action)} without a uid precondition`);
    }
    return this.#update(action, expectedUid, answered);
  }

  /** One attempt at a write the queue sent: performs it, reports the outcome, tells the queue. */
  async #run(key: string, queued: Queued): Promise<void> {
    const { action, cause } = queued;
    const scheduler = this.#scheduler;
    const started = scheduler.now();
    const sentAt = performance.now();
    let answeredAt: number | undefined;
    const answered = () => {
      answeredAt ??= performance.now();
    };
    let result: WriteResult;
    let answer: WriteAnswer = { final: true };
    try {
      const { status, warning, drift, object } = await this.#perform(action, answered);
      const durationMs = scheduler.now() - started;
      result = {
        action,
        key,
        status,
        durationMs,
        ...(warning !== undefined ? { error: warning } : {}),
        ...(drift !== undefined ? { drift } : {}),
        ...(object !== undefined ? { object } : {}),
      };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      const status = statusOf(error);
      const durationMs = scheduler.now() - started;
      if (isConflict(error)) result = { action, key, status: "conflict", error, durationMs };
      else if (isTransient(status)) {
        const retryAfterMs = error instanceof ApiError ? error.retryAfterMs : undefined;
        answer = {
          final: false,
          throttled: status === 429,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        };
        result = { action, key, status: "retrying", error, durationMs };
      } else result = { action, key, status: "rejected", error, durationMs };
    }
    const { dispatch: next, retryInMs } = this.#queue.answer(
      key,
      queued,
      answer,
      scheduler.now(),
      this.#random(),
    );
    // Refused locally (no uid precondition): nothing was sent, so no trace.
    if (answeredAt !== undefined) result = { ...result, trace: { ...cause, sentAt, answeredAt } };
    this.#onResult(retryInMs === undefined ? result : { ...result, retryInMs });
    this.#dispatch(next);
    this.#settleIdle();
  }
}
