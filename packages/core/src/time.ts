/** Time as data: the core never reads a clock; it converts the timestamps it is given. */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an RFC 3339 timestamp as the API server writes them; undefined when malformed. */
export function parseTimestamp(text: string): number | undefined {
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

/** RFC 3339 in UTC, second precision when whole (as Kubernetes writes metav1.Time). */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.replace(".000Z", "Z") : iso;
}

const DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/y;
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go-style duration ("30s", "1m30s", "500ms", "0"); undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (text === "0" || text === "+0") return 0;
  if (text === "" || text === "+") return undefined;
  let total = 0;
  // Go accepts a leading "+"; a negative duration means nothing for min-ready and is refused.
  let at = text.startsWith("+") ? 1 : 0;
  while (at < text.length) {
    DURATION_PART.lastIndex = at;
    const m = DURATION_PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
    at = DURATION_PART.lastIndex;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
