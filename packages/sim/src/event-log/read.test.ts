import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventLogError } from "./error.ts";
import { isGzip, openEventLog, readEventLog } from "./read.ts";
import { syntheticLog } from "./synthetic.ts";
import type { LogRecord } from "./types.ts";
import { writeLogLines } from "./write.ts";

const HEADER = {
  format: "zen-lead/event-log",
  version: 1,
  recordedAt: "2025-01-01T00:00:00Z",
  source: { cluster: "kind-zen", namespaces: ["default"], recorder: "zen-lead 0.1.0" },
};
const POD = { metadata: { name: "web-1", namespace: "default" } };
const LINES = [
  JSON.stringify(HEADER),
  JSON.stringify({ t: 0, kind: "Pod", type: "RELIST_START" }),
  JSON.stringify({ t: 0, kind: "Pod", type: "ADDED", object: POD }),
  JSON.stringify({ t: 0, kind: "Pod", type: "RELIST_END", object: { metadata: { resourceVersion: "5" } } }),
  JSON.stringify({ t: 40, kind: "Pod", type: "MODIFIED", object: POD }),
  JSON.stringify({ t: 90, kind: "Pod", type: "DELETED", object: POD }),
];
const TEXT = `${LINES.join("\n")}\n`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zen-lead-event-log-read-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function readAll(path: string): Promise<{ gzipped: boolean; records: LogRecord[] }> {
  const log = await openEventLog(path);
  const records: LogRecord[] = [];
  for await (const record of log.records) records.push(record);
  return { gzipped: log.gzipped, records };
}

/** The EventLogError a promise rejects with. */
async function refusal(promise: Promise<unknown>): Promise<EventLogError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EventLogError) return error;
    throw error;
  }
  throw new Error("expected an EventLogError");
}

describe("gzip detection", () => {
  it("tells gzip by the magic bytes", () => {
    expect(isGzip(Uint8Array.of(0x1f, 0x8b, 8))).toBe(true);
    expect(isGzip(Uint8Array.of(0x1f))).toBe(false);
    expect(isGzip(new TextEncoder().encode("{}"))).toBe(false);
  });

  it("reads gzip content whatever the name, and plain content named .gz", async () => {
    const gz = await readAll(await file("gzip-named-plain.jsonl", gzipSync(TEXT)));
    const plain = await readAll(await file("plain-named-gzip.jsonl.gz", TEXT));
    expect(gz.gzipped).toBe(true);
    expect(plain.gzipped).toBe(false);
    expect(gz.records).toHaveLength(5);
    expect(plain.records).toEqual(gz.records);
    expect(gz.records[3]).toEqual({ t: 40, kind: "Pod", type: "MODIFIED", object: POD });
  });

  it("reads a multi-member gzip file (concatenated gzip streams)", async () => {
    const half = LINES.slice(0, 3).join("\n");
    const rest = LINES.slice(3).join("\n");
    const path = await file("multi.jsonl.gz", Buffer.concat([gzipSync(`${half}\n`), gzipSync(`${rest}\n`)]));
    expect((await readAll(path)).records).toHaveLength(5);
  });

  it("reports truncated gzip data on one line", async () => {
    const whole = gzipSync(TEXT);
    const path = await file("truncated.jsonl.gz", whole.subarray(0, whole.length - 12));
    const error = await refusal(readAll(path));
    expect(error.reason).toBe("corrupt or truncated gzip data (unexpected end of file)");
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: `));
  });
});

describe("openEventLog", () => {
  it("reads the header first and streams the records", async () => {
    const log = await openEventLog(await file("ok.jsonl", TEXT));
    expect(log.header).toEqual(HEADER);
    const records: LogRecord[] = [];
    for await (const record of log.records) records.push(record);
    expect(records.map((r) => `${r.t} ${r.type}`)).toEqual([
      "0 RELIST_START",
      "0 ADDED",
      "0 RELIST_END",
      "40 MODIFIED",
      "90 DELETED",
    ]);
  });

  it("reads the last line without a trailing newline, and CRLF line ends", async () => {
    expect((await readAll(await file("no-final-newline.jsonl", LINES.join("\n")))).records).toHaveLength(5);
    expect((await readAll(await file("crlf.jsonl", `${LINES.join("\r\n")}\r\n`))).records).toHaveLength(5);
  });

  it("hands out the same records in batches", async () => {
    const log = await openEventLog(await file("batches.jsonl", TEXT));
    const records: LogRecord[] = [];
    for await (const batch of log.batches) records.push(...batch);
    expect(records).toEqual((await readAll(await file("batches2.jsonl", TEXT))).records);
  });

  it("refuses an empty file", async () => {
    const path = await file("empty.jsonl", "");
    const error = await refusal(openEventLog(path));
    expect(error.message).toBe(`${path}: empty file (expected a zen-lead event log header)`);
    expect(error.line).toBe(0);
  });

  it("refuses a file without a header", async () => {
    const path = await file("no-header.jsonl", `${LINES.slice(1).join("\n")}\n`);
    expect((await refusal(openEventLog(path))).message).toBe(
      `${path}:1: not a zen-lead event log (no header: line 1 is a record; the first line must be {"format":"zen-lead/event-log",...})`,
    );
  });

  it("refuses an unsupported version before reading any record", async () => {
    const path = await file("v2.jsonl", `${JSON.stringify({ ...HEADER, version: 2 })}\nnot even json\n`);
    expect((await refusal(openEventLog(path))).message).toBe(
      `${path}:1: unsupported event log version 2 (this zen-lead reads version 1)`,
    );
  });

  it("refuses a file it cannot open", async () => {
    const path = join(dir, "missing.jsonl");
    expect((await refusal(openEventLog(path))).message).toBe(
      `${path}: cannot open (ENOENT: no such file or directory, open '${path}')`,
    );
  });

  it("delivers the records before a bad line, then fails with that line's number", async () => {
    const path = await file("bad-line.jsonl", `${LINES.slice(0, 5).join("\n")}\n{"t":1,"kind":"Pod"\n`);
    const log = await openEventLog(path);
    const seen: LogRecord[] = [];
    const error = await refusal(
      (async () => {
        for await (const record of log.records) seen.push(record);
      })(),
    );
    expect(seen).toHaveLength(4);
    expect(error.message).toBe(
      `${path}:6: invalid JSON (Expected ',' or '}' after property value in JSON at position 19 (line 1 column 20))`,
    );
  });

  it("fails when the log ends inside a relist", async () => {
    const path = await file("open-relist.jsonl", `${LINES.slice(0, 3).join("\n")}\n`);
    expect((await refusal(readAll(path))).message).toBe(
      `${path}:2: Pod RELIST_START has no RELIST_END (the log ends inside the relist)`,
    );
  });

  it("refuses a second iteration and closes when left early", async () => {
    const log = await openEventLog(await file("once.jsonl", TEXT));
    for await (const _ of log.records) break;
    expect(() => log.records[Symbol.asyncIterator]()).toThrow(/can be iterated once/);
    await log.close();
    await log.close();
  });
});

describe("readEventLog", () => {
  it("is lazy: nothing is opened until used", async () => {
    const source = readEventLog(join(dir, "not-there.jsonl"));
    const error = await refusal(source.header);
    expect(error.reason).toMatch(/^cannot open \(ENOENT/);
  });

  it("gives the header and re-iterable records", async () => {
    const source = readEventLog(await file("lazy.jsonl", gzipSync(TEXT)));
    expect(await source.header).toEqual(HEADER);
    const count = async () => {
      let n = 0;
      for await (const _ of source.records) n++;
      return n;
    };
    expect(await count()).toBe(5);
    expect(await count()).toBe(5);
    let batched = 0;
    for await (const batch of source.batches) batched += batch.length;
    expect(batched).toBe(5);
  });

  it("closes when iteration is left early", async () => {
    const source = readEventLog(await file("lazy-break.jsonl", TEXT));
    let n = 0;
    for await (const _ of source.records) if (++n === 2) break;
    expect(n).toBe(2);
  });
});

describe("streaming a large log", () => {
  it("streams 200,000 records from a gzip file one chunk at a time", async () => {
    const path = join(dir, "large.jsonl.gz");
    await writeLogLines(path, syntheticLog({ services: 50, podsPerService: 4, events: 200_000, seed: 7 }));
    const log = await openEventLog(path);
    expect(log.gzipped).toBe(true);
    let count = 0;
    let modified = 0;
    for await (const record of log.records) {
      count++;
      if (record.type === "MODIFIED") modified++;
    }
    expect(count).toBe(200_000);
    expect(modified).toBeGreaterThan(100_000);
  }, 60_000);
});
