/**
 * The report for programs: JSON with a stable schema (docs/simulator.md, "JSON report"). Every
 * object is rebuilt here with its keys in the documented order, whatever order the report's
 * objects were built in, so equal reports serialize to equal bytes. Absent optional fields are
 * left out (not null); times are virtual milliseconds from the start of the run, and `startedAt`
 * (from `epochMs`) anchors them in UTC.
 */
import type {
  DecodeFailureRecord,
  LeaderChangeRecord,
  LeadershipPeriod,
  PodLane,
  ServiceReport,
  ServiceTotals,
  SimReport,
  Violation,
  WriteRecord,
} from "./model.ts";
import { OMISSION_KEYS } from "./model.ts";
import { formatAbsolute } from "./time-format.ts";

type Json = Record<string, unknown>;

/** Copies only the defined fields, in the order given. */
function pick<T extends object>(value: T, keys: readonly (keyof T)[]): Json {
  const out: Json = {};
  for (const key of keys) {
    const v = value[key];
    if (v !== undefined) out[key as string] = v;
  }
  return out;
}

const period = (p: LeadershipPeriod) => pick(p, ["pod", "from", "to", "reason"]);
const leaderChange = (f: LeaderChangeRecord) =>
  pick(f, ["at", "from", "to", "cause", "triggerAt", "sliceAt", "latencyMs"]);
const lane = (p: PodLane): Json => ({
  ...pick(p, ["pod", "created", "deleted"]),
  ready: p.ready.map((r) => pick(r, ["from", "to"])),
});
const write = (w: WriteRecord) => pick(w, ["at", "verb", "kind", "object", "status", "source"]);
const violation = (v: Violation) => pick(v, ["at", "invariant", "message"]);
const decodeFailure = (d: DecodeFailureRecord) =>
  pick(d, ["at", "object", "reason", "message", "count", "lastAt"]);
/** A Service's totals, keys in the documented order. */
export const totals = (t: ServiceTotals) => pick(t, ["leaderChanges", "failovers", "leaderlessMs", "writes"]);

function service(s: ServiceReport): Json {
  return {
    service: s.service,
    ...(s.leaderService !== undefined ? { leaderService: s.leaderService } : {}),
    optedIn: s.optedIn,
    totals: totals(s.totals),
    leadership: s.leadership.map(period),
    leaderChanges: s.leaderChanges.map(leaderChange),
    pods: s.pods.map(lane),
    warnings: s.warnings.map((w) => pick(w, ["at", "reason", "message"])),
  };
}

/** The report as a JSON value with the documented key order. */
export function reportJson(report: SimReport): Json {
  const { stats } = report;
  return {
    formatVersion: report.formatVersion,
    name: report.name,
    source: report.source,
    seed: report.seed,
    ...(report.epochMs !== undefined
      ? { epochMs: report.epochMs, startedAt: formatAbsolute(report.epochMs, 0) }
      : {}),
    endAt: report.endAt,
    stats: {
      events: stats.events,
      writes: stats.writes,
      failedWrites: stats.failedWrites,
      leaderChanges: stats.leaderChanges,
      failovers: stats.failovers,
      decodeFailures: stats.decodeFailures,
      ...(stats.publishLatencyMs !== undefined
        ? { publishLatencyMs: pick(stats.publishLatencyMs, ["count", "min", "mean", "max"]) }
        : {}),
    },
    services: report.services.map(service),
    writes: report.writes.map(write),
    violations: report.violations.map(violation),
    decodeFailures: report.decodeFailures.map(decodeFailure),
    ...(report.omitted !== undefined
      ? {
          omitted: pick(report.omitted, OMISSION_KEYS),
        }
      : {}),
  };
}

/** The report as JSON text: two-space indented, ending with a newline. */
export function renderJson(report: SimReport): string {
  return `${JSON.stringify(reportJson(report), null, 2)}\n`;
}
