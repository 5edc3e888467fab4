/**
 * How the simulator prints times: virtual offsets from the start of the run (`+12.345s`), durations
 * as Go writes them (`27ms`, `1.234s`, `1m30s`: the syntax scenario files and annotations use) and,
 * from the run's `epochMs` only, absolute RFC 3339 UTC times (`2025-01-01T00:00:12.345Z`). None
 * reads a clock, a locale or a time zone, so the same report prints the same bytes anywhere.
 */

/** `+12.345s`, `-0.250s`, `+0.000s`: milliseconds as signed seconds, three decimals unless asked. */
export function formatOffset(ms: number, decimals = 3): string {
  const rounded = Math.round(ms);
  const sign = rounded < 0 ? "-" : "+";
  return `${sign}${(Math.abs(rounded) / 1000).toFixed(decimals)}s`;
}

/** RFC 3339 UTC with milliseconds, of virtual time `ms` in a run starting at `epochMs`. */
export function formatAbsolute(epochMs: number, ms: number): string {
  const at = new Date(epochMs + Math.round(ms));
  return Number.isNaN(at.getTime()) ? `(invalid time ${epochMs}+${ms})` : at.toISOString();
}

/**
 * A duration the way scenario files, annotations and flags write one (Go's `time.Duration`
 * style): `0s`, `250ms`, `20.333ms`, `1.5s`, `1m30s`, `2h0m5s`. Milliseconds in, at most three
 * decimals (microseconds) out.
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
