/**
 * A comparison for programs: JSON with a stable schema (docs/simulator.md, "What-if replays"),
 * keys in the documented order, absent fields left out (never null), both runs' full reports
 * included (the report schema), so equal comparisons serialize to equal bytes.
 */
import { reportJson, totals } from "../report-json.ts";
import { formatAbsolute } from "../time-format.ts";
import type { Comparison, RunFigures } from "./comparison.ts";

type Json = Record<string, unknown>;

function run(f: RunFigures): Json {
  return {
    ...totals(f),
    failedWrites: f.failedWrites,
    violations: f.violations,
    decodeFailures: f.decodeFailures,
    ...(f.publishLatencyMs !== undefined
      ? {
          publishLatencyMs: {
            count: f.publishLatencyMs.count,
            mean: f.publishLatencyMs.mean,
            max: f.publishLatencyMs.max,
          },
        }
      : {}),
  };
}

/** The comparison as a JSON value, with both runs' reports. */
export function comparisonJson(c: Comparison): Json {
  return {
    formatVersion: 2,
    name: c.name,
    ...(c.epochMs !== undefined ? { epochMs: c.epochMs, startedAt: formatAbsolute(c.epochMs, 0) } : {}),
    endAt: c.endAt,
    overrides: c.overrides.map((o) => ({
      service: o.service,
      annotation: o.annotation,
      ...(o.value !== undefined ? { value: o.value } : {}),
    })),
    totals: { asRecorded: run(c.totals.asRecorded), whatIf: run(c.totals.whatIf) },
    services: c.services.map((s) => ({
      service: s.service,
      ...(s.asRecorded !== undefined ? { asRecorded: totals(s.asRecorded) } : {}),
      ...(s.whatIf !== undefined ? { whatIf: totals(s.whatIf) } : {}),
    })),
    reports: { asRecorded: reportJson(c.reports.asRecorded), whatIf: reportJson(c.reports.whatIf) },
  };
}

/** The comparison as JSON text: two-space indented, ending with a newline. */
export function renderComparisonJson(c: Comparison): string {
  return `${JSON.stringify(comparisonJson(c), null, 2)}\n`;
}
