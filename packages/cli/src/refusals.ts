/**
 * Writes the API server refuses (outcome `rejected`: an admission policy or webhook, RBAC, a quota,
 * an invalid object) — failures zen-lead cannot fix, so they are said: `run` gives each distinct
 * refusal (object, status, message) one warn line and one Warning Event (`WriteRejected`) on the
 * source Service, shows it in `zen_lead_source_warnings` while it stands, and says at info when a
 * write of that object lands again. A repeat of the same refusal (the core asks again every 30 s,
 * its capped suppression window) is counted, not said again.
 *
 * A refusal stands until a write of its object lands, or until it has not been repeated for
 * `staleAfterMs`: the core asks again while it still wants the write, so a refusal no longer
 * repeated is one the core no longer needs (the source opted out, the object went).
 */
import { DEFAULT_OPTIONS } from "@zen-lead/core";
import { statusOf, type WriteAction, type WriteResult } from "@zen-lead/k8s-adapter";

/** Outcomes after which the object is as zen-lead wrote it (or, for a delete, gone): the refusal is over. */
const LANDED: ReadonlySet<string> = new Set(["created", "applied", "replaced", "drifted", "deleted", "gone"]);

/**
 * A refusal not repeated for this long is over (ms): three of the core's longest suppression
 * windows (30 s), leaving room for the write queue's rate limit and backoff.
 */
export const REFUSAL_STALE_AFTER_MS = 3 * (DEFAULT_OPTIONS.inflightMaxMs ?? DEFAULT_OPTIONS.inflightTtlMs);

/** One object whose latest write the API server refused. */
export interface Refusal {
  readonly action: WriteAction;
  /** The source Service's name (its namespace is the action's). */
  readonly service: string;
  /** The HTTP status of the refusal (-1: refused by zen-lead itself, nothing was sent). */
  readonly status: number;
  /** The API server's message, without the request line. */
  readonly message: string;
  /** When it was first refused for this message (ms, the caller's clock). */
  readonly since: number;
  /** When it was last refused (ms). */
  readonly lastAt: number;
  /** Attempts refused with this message, the first included. */
  readonly count: number;
}

/**
 * What a write's outcome changed: `refused` — a new refusal, or the same object refused for another
 * reason (say it); `repeated` — the standing refusal again (count it); `lifted` — a write of a
 * refused object landed (say it at info).
 */
export type RefusalChange = { readonly type: "refused" | "repeated" | "lifted"; readonly refusal: Refusal };

/** `PATCH /api/v1/...: 422 services "q-leader" is forbidden: ...` -> `services "q-leader" is forbidden: ...`. */
export function apiMessage(error: Error | undefined): string {
  const text = error?.message ?? "refused";
  return text.replace(/^[A-Z]+ \S+: \d{3} /, "");
}

/** What the write was to do, as a verb: `create`, `update`, `delete`. */
function verbOf(action: WriteAction): string {
  if (action.type === "delete") return "delete";
  return action.create ? "create" : "update";
}

/** The note of a `WriteRejected` Event (and its warn line): the object, the refusal, the API's message. */
export function refusalNote(refusal: Refusal): string {
  const { action, status, message } = refusal;
  const code = status > 0 ? ` (HTTP ${status})` : "";
  const retryS = Math.round((DEFAULT_OPTIONS.inflightMaxMs ?? DEFAULT_OPTIONS.inflightTtlMs) / 1000);
  return `the API server refused to ${verbOf(action)} ${action.kind} ${action.name}${code}: ${message}; zen-lead asks again every ${retryS} s until it is accepted`;
}

export class Refusals {
  /** Keys (`Kind:namespace/name`) -> the standing refusal. */
  readonly #standing = new Map<string, Refusal>();
  readonly #staleAfterMs: number;

  constructor(staleAfterMs = REFUSAL_STALE_AFTER_MS) {
    this.#staleAfterMs = staleAfterMs;
  }

  /** Notes a write's outcome at `now` (ms); says what it changed, if anything. */
  see(result: WriteResult, now: number): RefusalChange | undefined {
    const { key, action, status } = result;
    const standing = this.#standing.get(key);
    if (LANDED.has(status)) {
      if (standing === undefined) return undefined;
      this.#standing.delete(key);
      return { type: "lifted", refusal: standing };
    }
    if (status !== "rejected") return undefined;
    const message = apiMessage(result.error);
    const code = statusOf(result.error);
    const service = action.source.slice(action.source.indexOf("/") + 1);
    const same =
      standing !== undefined &&
      standing.message === message &&
      standing.status === code &&
      now - standing.lastAt <= this.#staleAfterMs;
    const refusal: Refusal = same
      ? { ...standing, action, lastAt: now, count: standing.count + 1 }
      : { action, service, status: code, message, since: now, lastAt: now, count: 1 };
    this.#standing.set(key, refusal);
    return { type: same ? "repeated" : "refused", refusal };
  }

  /** The refusals standing at `now` (ms); forgets those not repeated for `staleAfterMs`. */
  standing(now: number): Refusal[] {
    for (const [key, r] of this.#standing)
      if (now - r.lastAt > this.#staleAfterMs) this.#standing.delete(key);
    return [...this.#standing.values()];
  }

  /** Forget them all: this replica no longer writes (the Lease is lost). */
  clear(): void {
    this.#standing.clear();
  }
}
