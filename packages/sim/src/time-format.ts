/**
 * How reports print times: virtual offsets from the start of the run (`+12.345s`) and, from the
 * run's `epochMs` only, absolute RFC 3339 UTC times (`2025-01-01T00:00:12.345Z`). Neither reads a
 * clock, a locale or a time zone, so the same report prints the same bytes anywhere.
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

/** `27 ms`, or `1.234 s` from a second up. */
export function formatDuration(ms: number): string {
  const rounded = Math.round(ms * 1000) / 1000;
  return Math.abs(rounded) < 1000 ? `${rounded} ms` : `${(rounded / 1000).toFixed(3)} s`;
}
