/**
 * Streaming reader: a log file (plain or gzip, told apart by the gzip magic bytes 1f 8b, not by the
 * name) is read in chunks, split into lines and parsed one line at a time. Only the current chunk
 * and a partial line are held, so memory stays flat however long the log is.
 */
import { type FileHandle, open } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { EventLogError } from "./error.ts";
import { checkEnd, INITIAL_STATE, type LogState, parseHeader, parseLogLine } from "./parse.ts";
import type { LogHeader, LogRecord } from "./types.ts";

/** Bytes read from the file at a time. */
const CHUNK_BYTES = 256 * 1024;
/** A line longer than this is refused: no Kubernetes object comes near it (etcd caps them at ~1.5 MB). */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** An open log: the header is already read and valid; the records stream from the file. */
export interface EventLog {
  /** The path as given (it prefixes every message). */
  readonly file: string;
  readonly gzipped: boolean;
  readonly header: LogHeader;
  /**
   * The records, in order; a single pass. Iteration throws EventLogError at the first bad line
   * (or when the log ends inside a relist) and closes the file when it ends, fails or is left early.
   */
  readonly records: AsyncIterable<LogRecord>;
  /**
   * The same records in batches (those of one chunk read, a few hundred at most): one await per
   * batch instead of one per record, for consumers that count every microsecond. Use either
   * `records` or `batches`, once.
   */
  readonly batches: AsyncIterable<readonly LogRecord[]>;
  /** Closes the file; needed only when `records` is not iterated to its end. Idempotent. */
  close(): Promise<void>;
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*[\r\n]+\s*/g, " ");
}

/** A stream failure while reading `line`, as an EventLogError. */
function readFailure(file: string, line: number, gzipped: boolean, error: unknown): EventLogError {
  if (error instanceof EventLogError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (gzipped && typeof code === "string" && code.startsWith("Z_")) {
    return new EventLogError(file, line, `corrupt or truncated gzip data (${reason(error)})`, {
      cause: error,
    });
  }
  return new EventLogError(file, line, `read failed (${reason(error)})`, { cause: error });
}

/**
 * Opens a log and reads its header. Rejects with EventLogError when the file cannot be opened, is
 * empty, or its first line is not a valid v1 header.
 */
export async function openEventLog(path: string): Promise<EventLog> {
  const file = path;
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new EventLogError(file, 0, `cannot open (${reason(error)})`, { cause: error });
  }
  let gzipped = false;
  let raw: Readable;
  try {
    const magic = new Uint8Array(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    gzipped = isGzip(magic.subarray(0, bytesRead));
    raw = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES });
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new EventLogError(file, 0, `read failed (${reason(error)})`, { cause: error });
  }
  const text: Readable = gzipped
    ? pipeline(raw, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined)
    : raw;
  text.setEncoding("utf8");
  const chunks = text[Symbol.asyncIterator]() as AsyncIterator<string>;

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const done = raw.closed ? undefined : new Promise<void>((resolve) => raw.once("close", () => resolve()));
    text.destroy();
    raw.destroy();
    await done;
  };
  const nextChunk = async (line: number): Promise<string | undefined> => {
    try {
      const next = await chunks.next();
      return next.done === true ? undefined : next.value;
    } catch (error) {
      throw readFailure(file, line, gzipped, error);
    }
  };

  // Line 1: the header.
  let carry = "";
  let rest: string | undefined;
  try {
    for (;;) {
      const chunk = await nextChunk(1);
      if (chunk === undefined) {
        if (carry === "")
          throw new EventLogError(file, 0, "empty file (expected a zen-lead event log header)");
        break;
      }
      const nl = chunk.indexOf("\n");
      if (nl !== -1) {
        rest = chunk.slice(nl + 1);
        carry += chunk.slice(0, nl);
        break;
      }
      carry += chunk;
      if (carry.length > MAX_LINE_CHARS) {
        throw new EventLogError(file, 1, "not a zen-lead event log (line 1 is longer than 16 MiB)");
      }
    }
    const header = parseHeader(carry, file);
    if (header instanceof EventLogError) throw header;

    let started = false;
    const take = <T>(iterable: AsyncIterable<T>): AsyncIterable<T> => ({
      [Symbol.asyncIterator]() {
        if (started) throw new Error(`${file}: the records of an open event log can be iterated once`);
        started = true;
        return iterable[Symbol.asyncIterator]();
      },
    });

    /** The records of each chunk read; a bad line ends the batch before it and then throws. */
    async function* batches(): AsyncGenerator<LogRecord[], void, undefined> {
      let state: LogState = INITIAL_STATE;
      let lineNo = 1;
      let partial = "";
      let batch: LogRecord[] = [];
      let failure: EventLogError | undefined;
      const accept = (line: string): EventLogError | undefined => {
        const parsed = parseLogLine(line, ++lineNo, state, file);
        if (parsed instanceof EventLogError) return parsed;
        state = parsed.state;
        batch.push(parsed.record);
        return undefined;
      };
      try {
        for (
          let chunk = rest ?? (await nextChunk(2));
          chunk !== undefined;
          chunk = await nextChunk(lineNo + 1)
        ) {
          let start = 0;
          let nl = chunk.indexOf("\n");
          while (nl !== -1) {
            const line =
              start === 0 && partial !== "" ? partial + chunk.slice(0, nl) : chunk.slice(start, nl);
            failure = accept(line);
            if (failure !== undefined) break;
            start = nl + 1;
            nl = chunk.indexOf("\n", start);
          }
          if (failure !== undefined) break;
          partial = start === 0 ? partial + chunk : chunk.slice(start);
          if (partial.length > MAX_LINE_CHARS) {
            failure = new EventLogError(file, lineNo + 1, "line is longer than 16 MiB");
            break;
          }
          if (batch.length > 0) {
            yield batch;
            batch = [];
          }
        }
        if (failure === undefined && partial !== "") failure = accept(partial);
        if (batch.length > 0) yield batch;
        if (failure !== undefined) throw failure;
        const unbalanced = checkEnd(state, file);
        if (unbalanced !== undefined) throw unbalanced;
      } finally {
        await close();
      }
    }
    async function* records(): AsyncGenerator<LogRecord, void, undefined> {
      for await (const batch of batches()) for (const record of batch) yield record;
    }

    return { file, gzipped, header, records: take(records()), batches: take(batches()), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A log read lazily: nothing is opened until `header` is read or `records`/`batches` is iterated. */
export interface EventLogSource {
  /** The header (opens the file, reads line 1, closes it). Memoized. Rejects with EventLogError. */
  readonly header: Promise<LogHeader>;
  /** Every iteration opens the file afresh, checks the header and streams the records. */
  readonly records: AsyncIterable<LogRecord>;
  /** As `records`, in batches (see EventLog.batches). */
  readonly batches: AsyncIterable<readonly LogRecord[]>;
}

/** An iterable that opens the log when iteration starts (each iteration reads the file afresh). */
function lazily<T>(path: string, pick: (log: EventLog) => AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let inner: AsyncIterator<T> | undefined;
      let opening: Promise<AsyncIterator<T>> | undefined;
      const start = () =>
        (opening ??= openEventLog(path).then((log) => {
          inner = pick(log)[Symbol.asyncIterator]();
          return inner;
        }));
      return {
        next: () => (inner !== undefined ? inner.next() : start().then((it) => it.next())),
        return: async () => {
          const it = inner ?? (opening === undefined ? undefined : await opening.catch(() => undefined));
          await it?.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The lazy, re-iterable form of openEventLog: `{ header, records, batches }`. */
export function readEventLog(path: string): EventLogSource {
  let header: Promise<LogHeader> | undefined;
  return {
    get header(): Promise<LogHeader> {
      header ??= openEventLog(path).then(async (log) => {
        await log.close();
        return log.header;
      });
      return header;
    },
    records: lazily(path, (log) => log.records),
    batches: lazily(path, (log) => log.batches),
  };
}
