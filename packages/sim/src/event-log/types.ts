/**
 * Event log format v1: what `zen-lead record` writes from a live cluster and what the simulator
 * replays. JSON Lines (optionally gzip-compressed): a header line, then one record per watch event.
 * The format is specified in docs/event-log.md.
 */

export const LOG_FORMAT = "zen-lead/event-log";
export const LOG_VERSION = 1;

/** The kinds a log records, in the order a recorder lists them. */
export const LOGGED_KINDS = ["Service", "Pod", "EndpointSlice", "Node"] as const;
export type LoggedKind = (typeof LOGGED_KINDS)[number];

/** Watch event types as the API names them, plus the recorder's markers. */
export const WATCH_TYPES = [
  "ADDED",
  "MODIFIED",
  "DELETED",
  "RELIST_START",
  "RELIST_END",
  "BOOKMARK",
] as const;
export type WatchType = (typeof WATCH_TYPES)[number];
/** The types that carry an API object. */
export type ObjectWatchType = "ADDED" | "MODIFIED" | "DELETED";
/** The types that carry no object, or only `{"metadata":{"resourceVersion":"..."}}`. */
export type MarkerType = "RELIST_START" | "RELIST_END" | "BOOKMARK";

/** Line 1 of every log. */
export interface LogHeader {
  readonly format: typeof LOG_FORMAT;
  readonly version: typeof LOG_VERSION;
  /** RFC 3339; every record's `t` is milliseconds after this instant. */
  readonly recordedAt: string;
  readonly source: {
    /** The API server URL or the kubeconfig context/cluster name. */
    readonly cluster: string;
    /** The namespaces recorded, or null for all namespaces. */
    readonly namespaces: readonly string[] | null;
    /** `zen-lead <version>` of the recorder. */
    readonly recorder: string;
  };
}

/** An object as the API returned it. Only `metadata.name` is checked here; the core decodes the rest. */
export interface ApiObject {
  readonly metadata: { readonly name: string; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** The only object a marker may carry. */
export interface MarkerObject {
  readonly metadata: { readonly resourceVersion?: string };
}

interface RecordBase {
  /** Milliseconds after the header's `recordedAt`: an integer >= 0, never decreasing. */
  readonly t: number;
  readonly kind: LoggedKind;
}

interface ObjectRecordOf<T extends ObjectWatchType> extends RecordBase {
  readonly type: T;
  readonly object: ApiObject;
}

interface MarkerRecordOf<T extends MarkerType> extends RecordBase {
  readonly type: T;
  readonly object?: MarkerObject;
}

// One member per type (not one with a union-typed `type`), so `record.type` checks narrow fully.
export type ObjectRecord = ObjectRecordOf<"ADDED"> | ObjectRecordOf<"MODIFIED"> | ObjectRecordOf<"DELETED">;
export type MarkerRecord =
  | MarkerRecordOf<"RELIST_START">
  | MarkerRecordOf<"RELIST_END">
  | MarkerRecordOf<"BOOKMARK">;

/** Every line after the header. */
export type LogRecord = ObjectRecord | MarkerRecord;

export function isObjectRecord(record: LogRecord): record is ObjectRecord {
  return record.type === "ADDED" || record.type === "MODIFIED" || record.type === "DELETED";
}
