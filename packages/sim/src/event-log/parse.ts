/**
 * Parsing and validation, pure and synchronous: one header line, then one record line at a time
 * with a tiny state carried between lines (the last `t` and which relists are open). io-ts checks
 * the envelope (`t`, `kind`, `type`) and the one field of the object the log itself relies on
 * (`metadata.name`); the object's contents are left to the core's codecs. Every problem is a single
 * line `file:line: reason` (an EventLogError value), never an exception from here.
 */
import * as t from "io-ts";
import { EventLogError } from "./error.ts";
import {
  type ApiObject,
  LOG_FORMAT,
  LOG_VERSION,
  LOGGED_KINDS,
  type LoggedKind,
  type LogHeader,
  type LogRecord,
  type MarkerObject,
  WATCH_TYPES,
  type WatchType,
} from "./types.ts";

/** A codec from a type guard; its name is the phrase used in messages ("must be <name>"). */
function guard<A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

function isPlainObject(u: unknown): u is Record<string, unknown> {
  return typeof u === "object" && u !== null && !Array.isArray(u);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const isNonEmptyString = (u: unknown): u is string => typeof u === "string" && u !== "";

const Rfc3339C = guard(
  "an RFC 3339 timestamp",
  (u): u is string => typeof u === "string" && RFC3339.test(u) && !Number.isNaN(Date.parse(u)),
);
const NonEmptyStringC = guard("a non-empty string", isNonEmptyString);
const NamespacesC = guard(
  "a non-empty list of namespace names, or null for all namespaces",
  (u): u is string[] | null => u === null || (Array.isArray(u) && u.length > 0 && u.every(isNonEmptyString)),
);
const SourceC = t.type(
  { cluster: NonEmptyStringC, namespaces: NamespacesC, recorder: NonEmptyStringC },
  "an object",
);
/** The header after `format` and `version` (checked first, by hand, so they are refused by name). */
const HeaderBodyC = t.type({ recordedAt: Rfc3339C, source: SourceC });

const isKind = (u: unknown): u is LoggedKind =>
  u === "Pod" || u === "Service" || u === "EndpointSlice" || u === "Node";
const isWatchType = (u: unknown): u is WatchType =>
  u === "MODIFIED" ||
  u === "ADDED" ||
  u === "DELETED" ||
  u === "BOOKMARK" ||
  u === "RELIST_START" ||
  u === "RELIST_END";
const isOffset = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0;

/**
 * `codec` with a hand-written type guard for the hot path (io-ts's generic `is` walks the codec
 * tree and tests every level with Object.prototype.toString). `validate` stays io-ts's own, so
 * messages come from the codec; the guard must accept exactly what the codec accepts (tested).
 */
function fast<C extends t.Any>(codec: C, is: (u: unknown) => u is t.TypeOf<C>): C {
  return new t.Type(codec.name, is, codec.validate, codec.encode) as unknown as C;
}

const OffsetC = guard("an integer >= 0", isOffset);
const KindC = guard(`one of ${LOGGED_KINDS.join(", ")}`, isKind);
const TypeC = guard(`one of ${WATCH_TYPES.join(", ")}`, isWatchType);
/** The record envelope. Unknown extra fields are ignored. */
const EnvelopeC = fast(
  t.type({ t: OffsetC, kind: KindC, type: TypeC }),
  (u): u is { t: number; kind: LoggedKind; type: WatchType } =>
    isPlainObject(u) && isOffset(u.t) && isKind(u.kind) && isWatchType(u.type),
);
/** What an ADDED/MODIFIED/DELETED object must have: a shallow check, the core decodes the rest. */
const ApiObjectC = fast(
  t.type({ metadata: t.type({ name: NonEmptyStringC }) }),
  (u): u is { metadata: { name: string } } => {
    if (!isPlainObject(u)) return false;
    const m = u.metadata;
    return isPlainObject(m) && isNonEmptyString(m.name);
  },
);
const MarkerObjectC = guard('only {"metadata":{"resourceVersion":"..."}}', (u): u is MarkerObject => {
  if (!isPlainObject(u)) return false;
  for (const key in u) if (key !== "metadata") return false;
  const m = u.metadata;
  if (!isPlainObject(m)) return false;
  for (const key in m) if (key !== "resourceVersion") return false;
  return m.resourceVersion === undefined || typeof m.resourceVersion === "string";
});

/** The envelope codecs, for tests that check the fast guards against io-ts's own validation. */
export const codecsForTest = { EnvelopeC, ApiObjectC } as const;

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `"a.b" must be <codec name> (got <value>)` for the first error io-ts reports. */
function describe(errors: t.Errors): string {
  const first = errors[0];
  if (first === undefined) return "invalid value";
  const path = first.context
    .slice(1)
    .map((entry) => entry.key)
    .join(".");
  const expected = first.context[first.context.length - 1]?.type.name ?? "valid";
  return `"${path}" must be ${expected} (got ${show(first.value)})`;
}

function firstError<A>(codec: t.Decoder<unknown, A>, value: unknown): string {
  const result = codec.decode(value);
  return result._tag === "Left" ? describe(result.left) : "invalid value";
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ");
}

function jsonProblem(text: string, error: unknown): string {
  if (text.trim() === "") return "empty line (every line after the header is one JSON record)";
  return `invalid JSON (${oneLine(error instanceof Error ? error.message : String(error))})`;
}

// ---------------------------------------------------------------------------------------------------
// Header

/** Parses line 1. `file` names the log in messages. */
export function parseHeader(text: string, file = "<input>"): LogHeader | EventLogError {
  const refuse = (reason: string) => new EventLogError(file, 1, reason);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (text.trim() === "") return refuse("not a zen-lead event log (line 1 is empty; expected the header)");
    const detail = oneLine(error instanceof Error ? error.message : String(error));
    return refuse(`not a zen-lead event log (line 1 is not JSON: ${detail})`);
  }
  if (!isPlainObject(value)) {
    return refuse(`not a zen-lead event log (line 1 is ${show(value)}, not the header object)`);
  }
  const format = value.format;
  if (format === undefined) {
    return refuse(
      "kind" in value && "type" in value
        ? `not a zen-lead event log (no header: line 1 is a record; the first line must be {"format":"${LOG_FORMAT}",...})`
        : `not a zen-lead event log (no "format" field; expected "${LOG_FORMAT}")`,
    );
  }
  if (format !== LOG_FORMAT) {
    return refuse(`not a zen-lead event log (format is ${show(format)}, expected "${LOG_FORMAT}")`);
  }
  const version = value.version;
  if (version === undefined) {
    return refuse(`header has no "version" (this zen-lead reads version ${LOG_VERSION})`);
  }
  if (version !== LOG_VERSION) {
    return refuse(
      `unsupported event log version ${show(version)} (this zen-lead reads version ${LOG_VERSION})`,
    );
  }
  if (!HeaderBodyC.is(value)) return refuse(`header ${firstError(HeaderBodyC, value)}`);
  const { cluster, namespaces, recorder } = value.source;
  return {
    format: LOG_FORMAT,
    version: LOG_VERSION,
    recordedAt: value.recordedAt,
    source: { cluster, namespaces: namespaces === null ? null : [...namespaces], recorder },
  };
}

// ---------------------------------------------------------------------------------------------------
// Records

/**
 * What validating a line needs to know about the lines before it. Immutable; `parseLogLine`
 * returns the next one. Start from INITIAL_STATE (the state after the header).
 */
export interface LogState {
  /** `t` of the last record (0 before the first). */
  readonly t: number;
  /** One bit per kind (LOGGED_KINDS order): a relist of that kind has started at least once. */
  readonly listed: number;
  /** Per kind (LOGGED_KINDS order): the line of its open RELIST_START, 0 when none is open. */
  readonly open: readonly [number, number, number, number];
}

export const INITIAL_STATE: LogState = { t: 0, listed: 0, open: [0, 0, 0, 0] };

/** A valid line: its record and the state after it. */
export interface ParsedLine {
  readonly record: LogRecord;
  readonly state: LogState;
}

const KIND_INDEX: Readonly<Record<LoggedKind, 0 | 1 | 2 | 3>> = {
  Service: 0,
  Pod: 1,
  EndpointSlice: 2,
  Node: 3,
};

function withOpen(open: LogState["open"], index: 0 | 1 | 2 | 3, line: number): LogState["open"] {
  const next: [number, number, number, number] = [open[0], open[1], open[2], open[3]];
  next[index] = line;
  return next;
}

/**
 * Parses and validates one record line (`lineNo` >= 2, 1-based, for messages) given the state after
 * the previous line. Pure: one JSON.parse and a few shallow checks.
 */
export function parseLogLine(
  text: string,
  lineNo: number,
  previous: LogState,
  file = "<input>",
): ParsedLine | EventLogError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new EventLogError(file, lineNo, jsonProblem(text, error));
  }
  return checkRecord(value, lineNo, previous, file);
}

/**
 * The rules for one record, on an already-parsed value: shared by parseLogLine and the writer (so
 * a writer cannot produce a log the reader refuses). The returned record holds only the format's
 * fields, in the format's order.
 */
export function checkRecord(
  value: unknown,
  lineNo: number,
  previous: LogState,
  file = "<input>",
): ParsedLine | EventLogError {
  const refuse = (reason: string) => new EventLogError(file, lineNo, reason);
  if (!isPlainObject(value)) return refuse(`a record must be a JSON object (got ${show(value)})`);
  const object = value.object;
  if (!EnvelopeC.is(value)) return refuse(firstError(EnvelopeC, value));
  const { t: time, kind, type } = value;
  if (time < previous.t) return refuse(`"t" went backwards (${time} after ${previous.t})`);

  const index = KIND_INDEX[kind];
  const openedAt = previous.open[index];
  let record: LogRecord;
  let open = previous.open;
  let listed = previous.listed;

  if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") {
    if (!ApiObjectC.is(object)) return refuse(`${type} needs an "object" with metadata.name`);
    if ((listed & (1 << index)) === 0) {
      return refuse(
        `${kind} ${type} before the initial ${kind} list (a kind's first record must be RELIST_START)`,
      );
    }
    if (openedAt !== 0 && type !== "ADDED") {
      return refuse(
        `${kind} ${type} inside the ${kind} relist started at line ${openedAt} (only ADDED may appear between RELIST_START and RELIST_END)`,
      );
    }
    record = { t: time, kind, type, object: object as ApiObject };
  } else {
    if (object !== undefined && !MarkerObjectC.is(object)) {
      return refuse(`${type} may carry no "object" or ${MarkerObjectC.name} (got ${show(object)})`);
    }
    if (type === "RELIST_START") {
      if (openedAt !== 0) {
        return refuse(
          `${kind} RELIST_START inside the ${kind} relist started at line ${openedAt} (relists of a kind do not nest)`,
        );
      }
      open = withOpen(open, index, lineNo);
      listed |= 1 << index;
    } else if (type === "RELIST_END") {
      if (openedAt === 0) return refuse(`${kind} RELIST_END without a ${kind} RELIST_START`);
      open = withOpen(open, index, 0);
    } else {
      if ((listed & (1 << index)) === 0) {
        return refuse(
          `${kind} ${type} before the initial ${kind} list (a kind's first record must be RELIST_START)`,
        );
      }
      if (openedAt !== 0) {
        return refuse(
          `${kind} BOOKMARK inside the ${kind} relist started at line ${openedAt} (only ADDED may appear between RELIST_START and RELIST_END)`,
        );
      }
    }
    record = object === undefined ? { t: time, kind, type } : { t: time, kind, type, object };
  }

  const state: LogState =
    time === previous.t && open === previous.open && listed === previous.listed
      ? previous
      : { t: time, listed, open };
  return { record, state };
}

/** The end-of-log rule: no relist may be left open. `undefined` when the log ended cleanly. */
export function checkEnd(state: LogState, file = "<input>"): EventLogError | undefined {
  let line = 0;
  let kind: LoggedKind | undefined;
  for (let i = 0; i < LOGGED_KINDS.length; i++) {
    const at = state.open[i] ?? 0;
    if (at !== 0 && (line === 0 || at < line)) {
      line = at;
      kind = LOGGED_KINDS[i];
    }
  }
  if (kind === undefined) return undefined;
  return new EventLogError(
    file,
    line,
    `${kind} RELIST_START has no RELIST_END (the log ends inside the relist)`,
  );
}

/**
 * A whole log from lines already in memory or generated (no I/O): the header is parsed at once
 * (throws EventLogError), the records lazily; iterating throws EventLogError at the first bad line
 * or an unbalanced end. Like the file reader, it holds one line at a time.
 */
export function parseEventLog(
  lines: Iterable<string>,
  file = "<input>",
): { readonly header: LogHeader; readonly records: Iterable<LogRecord> } {
  const iterator = lines[Symbol.iterator]();
  const first = iterator.next();
  if (first.done === true)
    throw new EventLogError(file, 0, "empty file (expected a zen-lead event log header)");
  const header = parseHeader(first.value, file);
  if (header instanceof EventLogError) {
    iterator.return?.();
    throw header;
  }
  function* records(): Generator<LogRecord, void, undefined> {
    let state = INITIAL_STATE;
    let lineNo = 1;
    try {
      for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
        const parsed = parseLogLine(next.value, ++lineNo, state, file);
        if (parsed instanceof EventLogError) throw parsed;
        state = parsed.state;
        yield parsed.record;
      }
    } finally {
      iterator.return?.();
    }
    const unbalanced = checkEnd(state, file);
    if (unbalanced !== undefined) throw unbalanced;
  }
  return { header, records: records() };
}
