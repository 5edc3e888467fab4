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

/** Durations: the core's one format (Go's `time.Duration` style), shared with its messages. */
export { formatDuration } from "@zen-lead/core";
