/** Time as data: the core never reads a clock; it converts the timestamps it is given. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an RFC 3339 timestamp as the API server writes them; undefined when malformed. */
export function parseTimestamp(text: string): number | undefined {
  // The API server's own forms, `YYYY-MM-DDTHH:MM:SSZ` (and with `.mmm`), are read digit by digit:
  // pods carry two or three per watch event. Anything else takes the general path (the same
  // answers: time.test.ts).
  const fast = text.length === 20 || text.length === 24 ? parseUtc(text) : undefined;
  return fast ?? parseRfc3339(text);
}

const DIGIT_0 = 48;

/** The number in `text` at [from, from + length) if all digits, else -1. */
function digits(text: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const d = text.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.mmmZ` with a year from 1000 on; undefined for
 * anything else, valid or not (the general path decides). Invalid dates (2024-02-30) are refused,
 * as by the general path.
 */
function parseUtc(text: string): number | undefined {
  const millis = text.length === 24;
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(text.length - 1) !== 90 || // Z
    (millis && text.charCodeAt(19) !== 46) // .
  ) {
    return undefined;
  }
  const ms = millis ? digits(text, 20, 3) : 0;
  if (ms < 0) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0) {
    return undefined;
  }
  if (day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Any RFC 3339 timestamp (fractions, offsets): the general path, and the reference of the fast one. */
function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.parse rolls 2024-02-30 over into March: check the fields are a real date and time.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The general path, for the test that checks the fast one against it. */
export const timeForTest = { parseRfc3339 } as const;

/** RFC 3339 in UTC, second precision when whole (as Kubernetes writes metav1.Time). */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(".000Z", "Z") : iso;
}

/** Nanoseconds per unit, as Go's time.ParseDuration knows them (both spellings of micro). */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
/** Go's time.Duration is an int64 of nanoseconds: about 292 years. */
const MAX_DURATION_NS = 2n ** 63n - 1n;
const NUMBER = /(\d*)(?:\.(\d*))?/y;
const UNIT = /[^\d.]+/y;

/** A Go duration read: milliseconds, or why the text is not one. */
export type DurationReading = { readonly ms: number } | { readonly problem: string };

/**
 * Reads a Go duration ("30s", "1m30s", ".5s", "0") exactly as Go's `time.ParseDuration` would,
 * including its range (at most 2562047h47m16.854775807s), and refuses negative ones (they mean
 * nothing for the annotations and flags that take durations). Milliseconds, rounded.
 */
export function readDuration(text: string): DurationReading {
  const malformed = { problem: 'is not a duration such as "30s"' } as const;
  let at = text.startsWith("+") ? 1 : 0;
  if (text.startsWith("-")) return { problem: "is negative" };
  if (text.slice(at) === "0") return { ms: 0 };
  if (at === text.length) return malformed;
  let total = 0n;
  while (at < text.length) {
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    const whole = number?.[1] ?? "";
    const fraction = number?.[2] ?? "";
    if (number === null || (whole === "" && fraction === "")) return malformed;
    at = NUMBER.lastIndex;
    UNIT.lastIndex = at;
    const unitText = UNIT.exec(text)?.[0];
    const unit = unitText === undefined ? undefined : UNIT_NS[unitText];
    if (unitText === undefined || unit === undefined) return malformed;
    at = UNIT.lastIndex;
    let value = BigInt(whole === "" ? "0" : whole) * unit;
    if (fraction !== "") {
      // As Go does it: the fraction's digits as an integer over a power of ten, through a float64
      // (nanosecond-exact for fractions of an hour, the largest unit).
      const digits = fraction.slice(0, 15);
      value += BigInt(Math.trunc(Number(digits) * (Number(unit) / 10 ** digits.length)));
    }
    total += value;
    if (total > MAX_DURATION_NS) return { problem: "is beyond the range of a Go duration (about 292 years)" };
  }
  return { ms: Math.round(Number(total) / 1e6) };
}

/** Milliseconds of a Go duration (see readDuration); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const reading = readDuration(text);
  return "ms" in reading ? reading.ms : undefined;
}

/**
 * A duration the way scenario files, annotations and flags write one (Go's `time.Duration`
 * style): `0s`, `250ms`, `20.333ms`, `1.5s`, `1m30s`, `2h0m5s`. Milliseconds in, at most three
 * decimals (microseconds) out. The one duration format of zen-lead's messages and reports.
 */
export function formatDuration(ms: number): string {
  const rounded = Math.round(ms * 1000) / 1000;
  if (rounded === 0) return "0s";
  const sign = rounded < 0 ? "-" : "";
  let rest = Math.abs(rounded);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${Number((rest / 1000).toFixed(3))}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}
