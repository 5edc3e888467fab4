import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventLogError } from "./error.ts";
import { parseEventLog } from "./parse.ts";
import { openEventLog } from "./read.ts";
import { syntheticLog } from "./synthetic.ts";
import type { LogHeader, LogRecord } from "./types.ts";
import { createEventLogWriter, writeLogLines } from "./write.ts";

const HEADER: LogHeader = {
  format: "zen-lead/event-log",
  version: 1,
  recordedAt: "2025-03-04T05:06:07.250Z",
  source: { cluster: "https://10.0.0.1:6443", namespaces: null, recorder: "zen-lead 0.1.0" },
};
const POD = { metadata: { name: "web-1", namespace: "default" }, status: { phase: "Running" } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zen-lead-event-log-write-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(path: string): Promise<{ header: LogHeader; records: LogRecord[] }> {
  const log = await openEventLog(path);
  const records: LogRecord[] = [];
  for await (const record of log.records) records.push(record);
  return { header: log.header, records };
}

async function refusal(promise: Promise<unknown>): Promise<EventLogError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EventLogError) return error;
    throw error;
  }
  throw new Error("expected an EventLogError");
}

const synthetic = () => [...syntheticLog({ services: 6, podsPerService: 3, events: 3000, seed: 11 })];

describe("createEventLogWriter", () => {
  for (const name of ["round-trip.jsonl", "round-trip.jsonl.gz"]) {
    it(`round-trips records, writing exactly the canonical lines (${name})`, async () => {
      const lines = synthetic();
      const { header, records } = parseEventLog(lines);
      const all = [...records];
      const path = join(dir, name);
      const writer = createEventLogWriter(path, header);
      for (const record of all) if (!writer.write(record)) await writer.ready();
      await writer.close();

      const bytes = await readFile(path);
      const gzipped = name.endsWith(".gz");
      expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzipped);
      const text = (gzipped ? gunzipSync(bytes) : bytes).toString("utf8");
      expect(text).toBe(`${lines.join("\n")}\n`);

      const back = await readAll(path);
      expect(back.header).toEqual(header);
      expect(back.records).toEqual(all);
    });
  }

  it("writes the header in the format's field order", async () => {
    const path = join(dir, "header.jsonl");
    const shuffled = {
      source: { recorder: "zen-lead 0.1.0", namespaces: ["b", "a"], cluster: "kind" },
      recordedAt: "2025-01-01T00:00:00Z",
      version: 1,
      format: "zen-lead/event-log",
    } as const;
    await createEventLogWriter(path, shuffled).close();
    expect(await readFile(path, "utf8")).toBe(
      '{"format":"zen-lead/event-log","version":1,"recordedAt":"2025-01-01T00:00:00Z","source":{"cluster":"kind","namespaces":["b","a"],"recorder":"zen-lead 0.1.0"}}\n',
    );
  });

  it("refuses an invalid header at once", () => {
    expect(() => createEventLogWriter(join(dir, "never.jsonl"), { ...HEADER, recordedAt: "now" })).toThrow(
      new EventLogError(
        join(dir, "never.jsonl"),
        1,
        'header "recordedAt" must be an RFC 3339 timestamp (got "now")',
      ),
    );
  });

  it("refuses a record that breaks a rule, naming the line it would have had, and goes on", async () => {
    const path = join(dir, "refused.jsonl");
    const writer = createEventLogWriter(path, HEADER);
    writer.write({ t: 0, kind: "Pod", type: "RELIST_START" });
    writer.write({ t: 0, kind: "Pod", type: "RELIST_END" });
    writer.write({ t: 1500, kind: "Pod", type: "ADDED", object: POD });
    expect(() => writer.write({ t: 1200, kind: "Pod", type: "MODIFIED", object: POD })).toThrow(
      `${path}:5: "t" went backwards (1200 after 1500)`,
    );
    expect(() => writer.write({ t: 1600, kind: "Service", type: "ADDED", object: POD })).toThrow(
      `${path}:5: Service ADDED before the initial Service list (a kind's first record must be RELIST_START)`,
    );
    writer.write({ t: 1600, kind: "Pod", type: "DELETED", object: POD });
    await writer.close();
    expect((await readAll(path)).records.map((r) => r.type)).toEqual([
      "RELIST_START",
      "RELIST_END",
      "ADDED",
      "DELETED",
    ]);
  });

  it("drops fields that are not part of the format", async () => {
    const path = join(dir, "extra.jsonl");
    const writer = createEventLogWriter(path, HEADER);
    writer.write({ t: 0, kind: "Node", type: "RELIST_START", extra: 1 } as LogRecord);
    writer.write({ t: 0, kind: "Node", type: "RELIST_END" });
    await writer.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines[1]).toBe('{"t":0,"kind":"Node","type":"RELIST_START"}');
  });

  it("fails to close with a relist still open (after writing what it has)", async () => {
    const path = join(dir, "open.jsonl");
    const writer = createEventLogWriter(path, HEADER);
    writer.write({ t: 0, kind: "Pod", type: "RELIST_START" });
    writer.write({ t: 0, kind: "Pod", type: "ADDED", object: POD });
    expect((await refusal(writer.close())).message).toBe(
      `${path}:2: Pod RELIST_START has no RELIST_END (the log ends inside the relist)`,
    );
    expect((await readFile(path, "utf8")).split("\n")).toHaveLength(4);
  });

  it("refuses writes after close", async () => {
    const path = join(dir, "closed.jsonl");
    const writer = createEventLogWriter(path, HEADER);
    await writer.close();
    expect(() => writer.write({ t: 0, kind: "Pod", type: "RELIST_START" })).toThrow(
      `${path}:2: write after close`,
    );
  });

  it("reports a file it cannot create from close, as one line", async () => {
    const path = join(dir, "no-such-dir", "x.jsonl.gz");
    const writer = createEventLogWriter(path, HEADER);
    const error = await refusal(writer.close());
    expect(error.message).toBe(`${path}: write failed (ENOENT: no such file or directory, open '${path}')`);
  });

  it("signals congestion and drains when awaited", async () => {
    const path = join(dir, "backpressure.jsonl");
    const writer = createEventLogWriter(path, HEADER);
    writer.write({ t: 0, kind: "Pod", type: "RELIST_START" });
    writer.write({ t: 0, kind: "Pod", type: "RELIST_END" });
    let congested = 0;
    for (let i = 0; i < 20_000; i++) {
      if (!writer.write({ t: i, kind: "Pod", type: "MODIFIED", object: POD })) {
        congested++;
        await writer.ready();
      }
    }
    await writer.close();
    expect(congested).toBeGreaterThan(0);
    expect((await readAll(path)).records).toHaveLength(20_002);
  });
});

describe("writeLogLines", () => {
  it("writes lines as they are, plain or gzip", async () => {
    const lines = synthetic();
    for (const name of ["lines.jsonl", "lines.jsonl.gz"]) {
      const path = join(dir, name);
      await writeLogLines(path, lines);
      expect((await readAll(path)).records).toHaveLength(lines.length - 1);
    }
    const path = join(dir, "async-lines.jsonl");
    await writeLogLines(
      path,
      (async function* () {
        yield* lines;
      })(),
    );
    expect(await readFile(path, "utf8")).toBe(`${lines.join("\n")}\n`);
  });
});
