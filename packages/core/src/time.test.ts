/** Time as data: Go durations for min-ready, RFC 3339 timestamps as the API server writes them. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTimestamp, parseDuration, parseTimestamp, timeForTest } from "./time.ts";

describe("parseDuration", () => {
  it.each([
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["1h0m0s", 3_600_000],
    ["2h45m", 9_900_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["0.5m", 30_000],
    ["1500us", 2],
    ["1500µs", 2],
    ["2000000ns", 2],
    ["0", 0],
    ["0s", 0],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    "",
    "30",
    "s",
    "-1s",
    "1d",
    "30S",
    " 30s",
    "30s ",
    "1m 30s",
    "1e3s",
    "ms",
    "1..5s",
    "0x10s",
    "∞s",
  ])("%j is malformed", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("adds up the parts of any well-formed h/m/s/ms duration", () => {
    const part = (unit: string) =>
      fc.option(
        fc.nat(999).map((n) => `${n}${unit}`),
        { nil: "" },
      );
    fc.assert(
      fc.property(part("h"), part("m"), part("s"), part("ms"), (h, m, s, ms) => {
        const text = h + m + s + ms;
        fc.pre(text !== "");
        const n = (p: string) => (p === "" ? 0 : Number.parseInt(p, 10));
        expect(parseDuration(text)).toBe(n(h) * 3_600_000 + n(m) * 60_000 + n(s) * 1000 + n(ms));
      }),
      { numRuns: 200 },
    );
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const ms = parseDuration(text);
        if (ms !== undefined) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseTimestamp", () => {
  it.each([
    ["2024-01-02T03:04:05Z", Date.UTC(2024, 0, 2, 3, 4, 5)],
    ["2024-01-02T03:04:05.123Z", Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ["2024-01-02T03:04:05.123456789Z", Date.UTC(2024, 0, 2, 3, 4, 5, 123)],
    ["2024-01-02T03:04:05+02:00", Date.UTC(2024, 0, 2, 1, 4, 5)],
    ["2024-01-02T03:04:05-05:30", Date.UTC(2024, 0, 2, 8, 34, 5)],
    ["1970-01-01T00:00:00Z", 0],
  ])("%s", (text, ms) => {
    expect(parseTimestamp(text)).toBe(ms);
  });

  it.each([
    "",
    "yesterday",
    "2024-01-02",
    "2024-01-02 03:04:05Z",
    "2024-01-02T03:04:05",
    "2024-01-02T03:04Z",
    "2024-01-02T03:04:05+0200",
    "2024-13-01T00:00:00Z",
    "2024-01-02T03:04:05Z trailing",
    "1704164645",
  ])("%j is malformed", (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});

describe("parseTimestamp's fast path for YYYY-MM-DDTHH:MM:SS[.mmm]Z", () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
  it("gives what the general path gives, for real and for impossible dates and times", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")),
        two(14),
        two(32),
        two(25),
        two(61),
        two(61),
        fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
        (year, month, day, hour, minute, second, ms) => {
          const fraction = ms === undefined ? "" : `.${String(ms).padStart(3, "0")}`;
          const text = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}Z`;
          expect(parseTimestamp(text)).toBe(timeForTest.parseRfc3339(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives what the general path gives for any 20 or 24 characters", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(20, 24)
          .chain((n) =>
            fc.string({ minLength: n, maxLength: n, unit: fc.constantFrom(..."0123456789-:.TZz+ ") }),
          ),
        (text) => {
          expect(parseTimestamp(text)).toBe(timeForTest.parseRfc3339(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("formatTimestamp", () => {
  it("writes whole seconds as Kubernetes does, and keeps milliseconds when there are some", () => {
    expect(formatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02T03:04:05Z");
    expect(formatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 250))).toBe("2024-01-02T03:04:05.250Z");
    expect(formatTimestamp(0)).toBe("1970-01-01T00:00:00Z");
  });

  it("round-trips through parseTimestamp for every instant of years 1–9999", () => {
    const earliest = new Date(0).setUTCFullYear(1, 0, 1); // Date.UTC would read year 1 as 1901
    const latest = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min: earliest, max: latest }), (ms) => {
        expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });
});
