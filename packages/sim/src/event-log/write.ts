/**
 * Writing logs. `createEventLogWriter` is what `zen-lead record` uses: it validates every record
 * with the reader's own rules (so it cannot write a log the reader refuses), batches lines and
 * gzips when the path ends in `.gz`. `writeLogLines` writes ready-made lines (a synthetic log).
 */
import { createWriteStream } from "node:fs";
import { Readable, type Writable } from "node:stream";
import { pipeline, finished as streamFinished } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { EventLogError } from "./error.ts";
import { checkEnd, checkRecord, INITIAL_STATE, type LogState, parseHeader } from "./parse.ts";
import type { LogHeader, LogRecord } from "./types.ts";

/** Lines are handed to the file stream in batches of about this many characters. */
const BATCH_CHARS = 64 * 1024;

export interface EventLogWriter {
  /** The path as given (it prefixes every message). */
  readonly file: string;
  /**
   * Appends one record. Throws EventLogError when the record breaks a rule of the format (its line
   * number is the one it would have had), after close, or after a write error. Returns false when
   * the output is congested: a producer that can wait should then `await ready()` before writing
   * more; one that cannot (a live recorder) may go on, and the lines are buffered in memory.
   */
  write(record: LogRecord): boolean;
  /** Resolves once the output has drained (at once when it is not congested). */
  ready(): Promise<void>;
  /**
   * Flushes, finishes the gzip stream and closes the file. Rejects with EventLogError on a write
   * error, or (after closing) when a relist is still open: end every relist before closing.
   */
  close(): Promise<void>;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*[\r\n]+\s*/g, " ");
}

/** The header line exactly as the format writes it; throws EventLogError when the header is invalid. */
function headerLine(header: LogHeader, file: string): string {
  const checked = parseHeader(JSON.stringify(header), file);
  if (checked instanceof EventLogError) throw checked;
  return JSON.stringify(checked);
}

/**
 * Creates (truncates) `path` and writes the header. Gzip-compressed when `path` ends in `.gz`.
 * Throws EventLogError at once when the header is invalid; an error opening the file surfaces
 * from the next `write` or from `close`.
 */
export function createEventLogWriter(path: string, header: LogHeader): EventLogWriter {
  const file = path;
  let pending = `${headerLine(header, file)}\n`;
  const out = createWriteStream(path);
  const gzip = path.endsWith(".gz") ? createGzip() : undefined;
  const sink: Writable = gzip ?? out;

  let failure: EventLogError | undefined;
  const fail = (error: unknown) => {
    failure ??= new EventLogError(file, 0, `write failed (${reason(error)})`, { cause: error });
    wake();
  };
  // Errors are kept, never thrown from an event: they surface from write() and close().
  out.on("error", fail);
  gzip?.on("error", fail);
  // Settles when the file is closed; never rejects (the failure is kept for close()).
  const finished = (gzip === undefined ? streamFinished(out) : pipeline(gzip, out)).then(
    () => undefined,
    fail,
  );

  let waiters: (() => void)[] = [];
  let congested = false;
  const wake = () => {
    congested = false;
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };

  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending === "" || failure !== undefined) return;
    const ok = sink.write(pending);
    pending = "";
    if (!ok && !congested) {
      congested = true;
      sink.once("drain", wake);
    }
  };
  const schedule = () => {
    if (pending.length >= BATCH_CHARS) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  schedule();

  let state: LogState = INITIAL_STATE;
  let lineNo = 1;
  let closing: Promise<void> | undefined;

  return {
    file,
    write(record: LogRecord): boolean {
      if (failure !== undefined) throw failure;
      if (closing !== undefined) throw new EventLogError(file, lineNo + 1, "write after close");
      const parsed = checkRecord(record, lineNo + 1, state, file);
      if (parsed instanceof EventLogError) throw parsed;
      let line: string;
      try {
        line = JSON.stringify(parsed.record);
      } catch (error) {
        throw new EventLogError(file, lineNo + 1, `record is not JSON-serializable (${reason(error)})`);
      }
      lineNo++;
      state = parsed.state;
      pending += `${line}\n`;
      schedule();
      return !congested;
    },
    ready(): Promise<void> {
      if (!congested || failure !== undefined) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    close(): Promise<void> {
      closing ??= (async () => {
        flush();
        sink.end();
        await finished;
        if (failure !== undefined) throw failure;
        const unbalanced = checkEnd(state, file);
        if (unbalanced !== undefined) throw unbalanced;
      })();
      return closing;
    },
  };
}

function* batches(lines: Iterable<string>): Generator<string, void, undefined> {
  let batch = "";
  for (const line of lines) {
    batch += `${line}\n`;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = "";
    }
  }
  if (batch !== "") yield batch;
}

async function* asyncBatches(lines: AsyncIterable<string>): AsyncGenerator<string, void, undefined> {
  let batch = "";
  for await (const line of lines) {
    batch += `${line}\n`;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = "";
    }
  }
  if (batch !== "") yield batch;
}

/**
 * Writes lines as they are (no validation), one per line, gzip-compressed when `path` ends in
 * `.gz` (fastest compression level), pulling from `lines` only as fast as the file takes them.
 * For synthetic logs and tests.
 */
export async function writeLogLines(
  path: string,
  lines: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  const source = Readable.from(Symbol.asyncIterator in lines ? asyncBatches(lines) : batches(lines));
  try {
    if (path.endsWith(".gz")) await pipeline(source, createGzip({ level: 1 }), createWriteStream(path));
    else await pipeline(source, createWriteStream(path));
  } catch (error) {
    throw new EventLogError(path, 0, `write failed (${reason(error)})`, { cause: error });
  }
}
