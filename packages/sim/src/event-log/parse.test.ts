import fc from "fast-check";
import { isRight } from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { EventLogError } from "./error.ts";
import {
  checkEnd,
  codecsForTest,
  INITIAL_STATE,
  type LogState,
  parseEventLog,
  parseHeader,
  parseLogLine,
} from "./parse.ts";
import type { LogRecord } from "./types.ts";

const HEADER = {
  format: "zen-lead/event-log",
  version: 1,
  recordedAt: "2025-01-01T00:00:00Z",
  source: { cluster: "https://k8s.example:6443", namespaces: null, recorder: "zen-lead 0.1.0" },
};
const HEADER_LINE = JSON.stringify(HEADER);
const POD = { metadata: { name: "web-1", namespace: "default", uid: "u1" }, status: { phase: "Running" } };
const line = (record: object) => JSON.stringify(record);
/** The initial (empty) Pod list: after it, Pod events are allowed. */
const POD_LIST = [
  line({ t: 0, kind: "Pod", type: "RELIST_START" }),
  line({ t: 0, kind: "Pod", type: "RELIST_END" }),
];

/** Parses a whole log in memory; the first error's message, or the records. */
function run(lines: readonly string[]): LogRecord[] | string {
  try {
    return [...parseEventLog(lines, "events.jsonl").records];
  } catch (error) {
    if (error instanceof EventLogError) return error.message;
    throw error;
  }
}

/** The message for a log whose header and Pod list are fine and whose last line is `bad`. */
function failure(...lines: string[]): string {
  const result = run([HEADER_LINE, ...POD_LIST, ...lines]);
  if (typeof result !== "string") throw new Error("expected the log to be refused");
  return result;
}

function headerFailure(text: string): string {
  const result = parseHeader(text, "events.jsonl");
  if (!(result instanceof EventLogError)) throw new Error("expected the header to be refused");
  return result.message;
}

describe("parseHeader", () => {
  it("accepts a v1 header and keeps only the format's fields, in order", () => {
    const header = parseHeader(
      JSON.stringify({ ...HEADER, extra: true, source: { ...HEADER.source, namespaces: ["a", "b"], x: 1 } }),
    );
    expect(header).toEqual({ ...HEADER, source: { ...HEADER.source, namespaces: ["a", "b"] } });
    expect(JSON.stringify(header)).toBe(
      JSON.stringify({ ...HEADER, source: { ...HEADER.source, namespaces: ["a", "b"] } }),
    );
  });

  it("refuses an unknown version by name", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, version: 2 }))).toBe(
      "events.jsonl:1: unsupported event log version 2 (this zen-lead reads version 1)",
    );
  });

  it("refuses a version that is not the number 1", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, version: "1" }))).toBe(
      'events.jsonl:1: unsupported event log version "1" (this zen-lead reads version 1)',
    );
  });

  it("refuses a missing version", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, version: undefined }))).toBe(
      'events.jsonl:1: header has no "version" (this zen-lead reads version 1)',
    );
  });

  it("refuses the wrong format before looking at the version", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, format: "kubectl/events", version: 7 }))).toBe(
      'events.jsonl:1: not a zen-lead event log (format is "kubectl/events", expected "zen-lead/event-log")',
    );
  });

  it("refuses a missing format", () => {
    expect(headerFailure(JSON.stringify({ apiVersion: "v1", kind: "List" }))).toBe(
      'events.jsonl:1: not a zen-lead event log (no "format" field; expected "zen-lead/event-log")',
    );
  });

  it("refuses a log that starts with a record (missing header)", () => {
    expect(headerFailure(line({ t: 0, kind: "Pod", type: "RELIST_START" }))).toBe(
      'events.jsonl:1: not a zen-lead event log (no header: line 1 is a record; the first line must be {"format":"zen-lead/event-log",...})',
    );
  });

  it("refuses a first line that is not JSON", () => {
    expect(headerFailure("nope")).toBe(
      `events.jsonl:1: not a zen-lead event log (line 1 is not JSON: Unexpected token 'o', "nope" is not valid JSON)`,
    );
  });

  it("refuses an empty first line", () => {
    expect(headerFailure("")).toBe(
      "events.jsonl:1: not a zen-lead event log (line 1 is empty; expected the header)",
    );
  });

  it("refuses a first line that is JSON but not an object", () => {
    expect(headerFailure("[1,2]")).toBe(
      "events.jsonl:1: not a zen-lead event log (line 1 is [1,2], not the header object)",
    );
  });

  it("refuses a recordedAt that is not RFC 3339", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, recordedAt: "yesterday" }))).toBe(
      'events.jsonl:1: header "recordedAt" must be an RFC 3339 timestamp (got "yesterday")',
    );
  });

  it("refuses a missing source", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, source: undefined }))).toBe(
      'events.jsonl:1: header "source" must be an object (got nothing)',
    );
  });

  it("refuses an empty cluster", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, source: { ...HEADER.source, cluster: "" } }))).toBe(
      'events.jsonl:1: header "source.cluster" must be a non-empty string (got "")',
    );
  });

  it("refuses namespaces that are neither a list of names nor null", () => {
    expect(headerFailure(JSON.stringify({ ...HEADER, source: { ...HEADER.source, namespaces: [] } }))).toBe(
      'events.jsonl:1: header "source.namespaces" must be a non-empty list of namespace names, or null for all namespaces (got [])',
    );
    expect(
      headerFailure(JSON.stringify({ ...HEADER, source: { ...HEADER.source, namespaces: "default" } })),
    ).toBe(
      'events.jsonl:1: header "source.namespaces" must be a non-empty list of namespace names, or null for all namespaces (got "default")',
    );
  });

  it("refuses a missing recorder", () => {
    expect(
      headerFailure(JSON.stringify({ ...HEADER, source: { ...HEADER.source, recorder: undefined } })),
    ).toBe('events.jsonl:1: header "source.recorder" must be a non-empty string (got nothing)');
  });
});

describe("parseEventLog: the whole log", () => {
  it("refuses an empty log", () => {
    expect(run([])).toBe("events.jsonl: empty file (expected a zen-lead event log header)");
  });

  it("accepts a valid log and returns the records with only the format's fields", () => {
    const records = run([
      HEADER_LINE,
      line({ t: 0, kind: "Pod", type: "RELIST_START" }),
      line({ t: 0, kind: "Service", type: "RELIST_START" }),
      line({ t: 0, kind: "Pod", type: "ADDED", object: POD }),
      line({ t: 0, kind: "Service", type: "RELIST_END", object: { metadata: { resourceVersion: "7" } } }),
      line({ t: 0, kind: "Pod", type: "RELIST_END" }),
      line({ t: 5, kind: "Pod", type: "MODIFIED", object: POD, extra: "dropped" }),
      line({ t: 5, kind: "Pod", type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } }),
      line({ t: 9, kind: "Pod", type: "DELETED", object: POD }),
      line({ t: 9, kind: "Pod", type: "RELIST_START", object: { metadata: {} } }),
      line({ t: 10, kind: "Pod", type: "RELIST_END" }),
    ]);
    expect(records).toEqual([
      { t: 0, kind: "Pod", type: "RELIST_START" },
      { t: 0, kind: "Service", type: "RELIST_START" },
      { t: 0, kind: "Pod", type: "ADDED", object: POD },
      { t: 0, kind: "Service", type: "RELIST_END", object: { metadata: { resourceVersion: "7" } } },
      { t: 0, kind: "Pod", type: "RELIST_END" },
      { t: 5, kind: "Pod", type: "MODIFIED", object: POD },
      { t: 5, kind: "Pod", type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } },
      { t: 9, kind: "Pod", type: "DELETED", object: POD },
      { t: 9, kind: "Pod", type: "RELIST_START", object: { metadata: {} } },
      { t: 10, kind: "Pod", type: "RELIST_END" },
    ]);
  });

  it("stops at a bad header", () => {
    expect(run([JSON.stringify({ ...HEADER, version: 2 }), ...POD_LIST])).toBe(
      "events.jsonl:1: unsupported event log version 2 (this zen-lead reads version 1)",
    );
  });
});

describe("record rules (one message each)", () => {
  it("invalid JSON", () => {
    expect(failure('{"t":0,')).toBe(
      "events.jsonl:4: invalid JSON (Expected double-quoted property name in JSON at position 7 (line 1 column 8))",
    );
  });

  it("an empty line", () => {
    expect(failure("")).toBe("events.jsonl:4: empty line (every line after the header is one JSON record)");
    expect(failure("  ")).toBe("events.jsonl:4: empty line (every line after the header is one JSON record)");
  });

  it("a record that is not an object", () => {
    expect(failure("[1,2]")).toBe("events.jsonl:4: a record must be a JSON object (got [1,2])");
    expect(failure("null")).toBe("events.jsonl:4: a record must be a JSON object (got null)");
  });

  it('a missing "t"', () => {
    expect(failure(line({ kind: "Pod", type: "BOOKMARK" }))).toBe(
      'events.jsonl:4: "t" must be an integer >= 0 (got nothing)',
    );
  });

  it('a "t" that is negative, fractional or not a number', () => {
    expect(failure(line({ t: -1, kind: "Pod", type: "BOOKMARK" }))).toBe(
      'events.jsonl:4: "t" must be an integer >= 0 (got -1)',
    );
    expect(failure(line({ t: 1.5, kind: "Pod", type: "BOOKMARK" }))).toBe(
      'events.jsonl:4: "t" must be an integer >= 0 (got 1.5)',
    );
    expect(failure(line({ t: "10", kind: "Pod", type: "BOOKMARK" }))).toBe(
      'events.jsonl:4: "t" must be an integer >= 0 (got "10")',
    );
  });

  it('"t" going backwards', () => {
    expect(
      failure(
        line({ t: 1500, kind: "Pod", type: "MODIFIED", object: POD }),
        line({ t: 1500, kind: "Pod", type: "MODIFIED", object: POD }),
        line({ t: 1200, kind: "Pod", type: "MODIFIED", object: POD }),
      ),
    ).toBe('events.jsonl:6: "t" went backwards (1200 after 1500)');
  });

  it('an unknown "kind"', () => {
    expect(failure(line({ t: 0, kind: "Deployment", type: "ADDED", object: POD }))).toBe(
      'events.jsonl:4: "kind" must be one of Service, Pod, EndpointSlice, Node (got "Deployment")',
    );
  });

  it('an unknown "type"', () => {
    expect(failure(line({ t: 0, kind: "Pod", type: "UPDATED", object: POD }))).toBe(
      'events.jsonl:4: "type" must be one of ADDED, MODIFIED, DELETED, RELIST_START, RELIST_END, BOOKMARK (got "UPDATED")',
    );
  });

  it("ADDED, MODIFIED and DELETED without an object with metadata.name", () => {
    for (const type of ["ADDED", "MODIFIED", "DELETED"]) {
      const message = `events.jsonl:4: ${type} needs an "object" with metadata.name`;
      expect(failure(line({ t: 0, kind: "Pod", type }))).toBe(message);
      expect(failure(line({ t: 0, kind: "Pod", type, object: [POD] }))).toBe(message);
      expect(failure(line({ t: 0, kind: "Pod", type, object: { spec: {} } }))).toBe(message);
      expect(failure(line({ t: 0, kind: "Pod", type, object: { metadata: { name: "" } } }))).toBe(message);
      expect(failure(line({ t: 0, kind: "Pod", type, object: { metadata: { name: 7 } } }))).toBe(message);
    }
  });

  it("a marker carrying more than a resourceVersion", () => {
    expect(failure(line({ t: 0, kind: "Pod", type: "BOOKMARK", object: POD }))).toBe(
      `events.jsonl:4: BOOKMARK may carry no "object" or only {"metadata":{"resourceVersion":"..."}} (got ${JSON.stringify(POD).slice(0, 57)}...)`,
    );
    expect(
      failure(line({ t: 0, kind: "Pod", type: "RELIST_END", object: { metadata: { resourceVersion: 9 } } })),
    ).toBe(
      'events.jsonl:4: RELIST_END may carry no "object" or only {"metadata":{"resourceVersion":"..."}} (got {"metadata":{"resourceVersion":9}})',
    );
    expect(failure(line({ t: 0, kind: "Pod", type: "RELIST_START", object: null }))).toBe(
      'events.jsonl:4: RELIST_START may carry no "object" or only {"metadata":{"resourceVersion":"..."}} (got null)',
    );
  });

  it("an event before the kind's initial list", () => {
    expect(failure(line({ t: 0, kind: "Service", type: "ADDED", object: POD }))).toBe(
      "events.jsonl:4: Service ADDED before the initial Service list (a kind's first record must be RELIST_START)",
    );
    expect(failure(line({ t: 0, kind: "Node", type: "BOOKMARK" }))).toBe(
      "events.jsonl:4: Node BOOKMARK before the initial Node list (a kind's first record must be RELIST_START)",
    );
  });

  it("anything but ADDED inside a relist of that kind", () => {
    const start = line({ t: 0, kind: "Pod", type: "RELIST_START" });
    expect(failure(start, line({ t: 0, kind: "Pod", type: "MODIFIED", object: POD }))).toBe(
      "events.jsonl:5: Pod MODIFIED inside the Pod relist started at line 4 (only ADDED may appear between RELIST_START and RELIST_END)",
    );
    expect(failure(start, line({ t: 0, kind: "Pod", type: "DELETED", object: POD }))).toBe(
      "events.jsonl:5: Pod DELETED inside the Pod relist started at line 4 (only ADDED may appear between RELIST_START and RELIST_END)",
    );
    expect(failure(start, line({ t: 0, kind: "Pod", type: "BOOKMARK" }))).toBe(
      "events.jsonl:5: Pod BOOKMARK inside the Pod relist started at line 4 (only ADDED may appear between RELIST_START and RELIST_END)",
    );
  });

  it("nested relists of one kind", () => {
    expect(
      failure(
        line({ t: 0, kind: "Pod", type: "RELIST_START" }),
        line({ t: 0, kind: "Pod", type: "RELIST_START" }),
      ),
    ).toBe(
      "events.jsonl:5: Pod RELIST_START inside the Pod relist started at line 4 (relists of a kind do not nest)",
    );
  });

  it("RELIST_END without RELIST_START", () => {
    expect(failure(line({ t: 0, kind: "Pod", type: "RELIST_END" }))).toBe(
      "events.jsonl:4: Pod RELIST_END without a Pod RELIST_START",
    );
  });

  it("a log that ends inside a relist (reported at its RELIST_START)", () => {
    expect(
      failure(
        line({ t: 0, kind: "Node", type: "RELIST_START" }),
        line({ t: 0, kind: "Pod", type: "RELIST_START" }),
        line({ t: 0, kind: "Pod", type: "ADDED", object: POD }),
      ),
    ).toBe("events.jsonl:4: Node RELIST_START has no RELIST_END (the log ends inside the relist)");
  });
});

describe("parseLogLine", () => {
  const parse = (text: string, lineNo: number, state: LogState) => {
    const result = parseLogLine(text, lineNo, state, "events.jsonl");
    if (result instanceof EventLogError) throw result;
    return result;
  };

  it("is pure: the previous state is not changed and an unchanged state is reused", () => {
    const started = parse(line({ t: 3, kind: "Pod", type: "RELIST_START" }), 2, INITIAL_STATE);
    expect(INITIAL_STATE).toEqual({ t: 0, listed: 0, open: [0, 0, 0, 0] });
    expect(started.state).toEqual({ t: 3, listed: 2, open: [0, 2, 0, 0] });
    const added = parse(line({ t: 3, kind: "Pod", type: "ADDED", object: POD }), 3, started.state);
    expect(added.state).toBe(started.state);
    const ended = parse(line({ t: 4, kind: "Pod", type: "RELIST_END" }), 4, added.state);
    expect(ended.state).toEqual({ t: 4, listed: 2, open: [0, 0, 0, 0] });
    expect(checkEnd(started.state, "events.jsonl")?.message).toBe(
      "events.jsonl:2: Pod RELIST_START has no RELIST_END (the log ends inside the relist)",
    );
    expect(checkEnd(ended.state)).toBeUndefined();
  });

  it("returns errors as values, with file, line and reason", () => {
    const result = parseLogLine("{", 7, INITIAL_STATE, "x.jsonl");
    expect(result).toBeInstanceOf(EventLogError);
    const error = result as EventLogError;
    expect([error.file, error.line, error.name]).toEqual(["x.jsonl", 7, "EventLogError"]);
    expect(error.message).toBe(`x.jsonl:7: ${error.reason}`);
    expect(error.message).not.toContain("\n");
  });

  it("tolerates a trailing carriage return (CRLF line ends)", () => {
    const started = parse(`${line({ t: 0, kind: "Pod", type: "RELIST_START" })}\r`, 2, INITIAL_STATE);
    expect(started.record).toEqual({ t: 0, kind: "Pod", type: "RELIST_START" });
  });
});

describe("the hand-written guards agree with the io-ts codecs", () => {
  const { EnvelopeC, ApiObjectC } = codecsForTest;
  const valueish = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(-1, 0, 1, 1.5, 2 ** 53, "Pod", "ADDED", "", null, [], {}),
  );
  const envelope = fc.record(
    {
      t: fc.oneof(fc.nat(), valueish),
      kind: fc.oneof(fc.constantFrom("Service", "Pod", "EndpointSlice", "Node", "Deployment"), valueish),
      type: fc.oneof(
        fc.constantFrom("ADDED", "MODIFIED", "DELETED", "RELIST_START", "RELIST_END", "BOOKMARK", "UPDATE"),
        valueish,
      ),
    },
    { requiredKeys: [] },
  );
  const object = fc.oneof(
    valueish,
    fc.record(
      {
        metadata: fc.oneof(
          valueish,
          fc.record({ name: fc.oneof(fc.string(), valueish) }, { requiredKeys: [] }),
        ),
      },
      { requiredKeys: [] },
    ),
  );

  it("envelope", () => {
    fc.assert(
      fc.property(fc.oneof(envelope, valueish), (value) => {
        expect(EnvelopeC.is(value)).toBe(isRight(EnvelopeC.decode(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("object with metadata.name", () => {
    fc.assert(
      fc.property(object, (value) => {
        expect(ApiObjectC.is(value)).toBe(isRight(ApiObjectC.decode(value)));
      }),
      { numRuns: 2000 },
    );
  });
});
