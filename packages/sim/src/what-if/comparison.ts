/**
 * Two replays of one log side by side — as recorded, and as if the overrides had been set — in
 * the figures a user weighs a setting by: per Service its leader changes, failovers, time without
 * a leader and writes (its report totals, exact whatever the report's list limits), and the same
 * over the whole run with its failed writes, violations, decode failures and publish latency.
 */
import type { ServiceTotals, SimReport } from "../model.ts";
import { formatDuration } from "../time-format.ts";
import { type AnnotationOverride, describeOverride } from "./overrides.ts";

/** The whole run's figures. */
export interface RunFigures extends ServiceTotals {
  /** Of `writes`, those answered with a status >= 300. */
  readonly failedWrites: number;
  /** Invariant violations (those a report's limit left out included). */
  readonly violations: number;
  /** Decode failures the controller reported (its `report` actions, every one). */
  readonly decodeFailures: number;
  /** Publish latency over the run's leader changes (absent when none was published). */
  readonly publishLatencyMs?: { readonly count: number; readonly mean: number; readonly max: number };
}

/** A Service in either run; a side is absent when that run made no decision for it. */
export interface ServiceComparison {
  readonly service: string;
  readonly asRecorded?: ServiceTotals;
  readonly whatIf?: ServiceTotals;
}

export interface Comparison {
  /** The replay's name (the recorded cluster). */
  readonly name: string;
  /** Epoch ms of virtual time 0 (the log's `recordedAt`). */
  readonly epochMs?: number;
  readonly endAt: number;
  readonly overrides: readonly AnnotationOverride[];
  /** Sorted by Service. */
  readonly services: readonly ServiceComparison[];
  readonly totals: { readonly asRecorded: RunFigures; readonly whatIf: RunFigures };
  /** The two runs' reports. */
  readonly reports: { readonly asRecorded: SimReport; readonly whatIf: SimReport };
}

function figures(report: SimReport): RunFigures {
  const sum = (key: keyof ServiceTotals) => report.services.reduce((n, s) => n + s.totals[key], 0);
  const latency = report.stats.publishLatencyMs;
  return {
    leaderChanges: sum("leaderChanges"),
    failovers: sum("failovers"),
    leaderlessMs: sum("leaderlessMs"),
    writes: report.stats.writes,
    failedWrites: report.stats.failedWrites,
    violations: report.violations.length + (report.omitted?.violations ?? 0),
    decodeFailures: report.stats.decodeFailures,
    ...(latency !== undefined
      ? { publishLatencyMs: { count: latency.count, mean: latency.mean, max: latency.max } }
      : {}),
  };
}

/**
 * Compares the replay of a log as recorded with its replay under `overrides` (the same log, the
 * same options). Deterministic: a pure function of its arguments.
 */
export function compareRuns(
  asRecorded: SimReport,
  whatIf: SimReport,
  overrides: readonly AnnotationOverride[],
): Comparison {
  const before = new Map(asRecorded.services.map((s) => [s.service, s.totals]));
  const after = new Map(whatIf.services.map((s) => [s.service, s.totals]));
  const services = [...new Set([...before.keys(), ...after.keys()])].sort().map((service) => {
    const a = before.get(service);
    const b = after.get(service);
    return {
      service,
      ...(a !== undefined ? { asRecorded: a } : {}),
      ...(b !== undefined ? { whatIf: b } : {}),
    };
  });
  return {
    name: asRecorded.name,
    ...(asRecorded.epochMs !== undefined ? { epochMs: asRecorded.epochMs } : {}),
    endAt: asRecorded.endAt,
    overrides,
    services,
    totals: { asRecorded: figures(asRecorded), whatIf: figures(whatIf) },
    reports: { asRecorded, whatIf },
  };
}

/** The report name of a what-if replay: `<name>, what if default/web zen-lead.io/sticky=false`. */
export function whatIfName(name: string, overrides: readonly AnnotationOverride[]): string {
  return `${name}, what if ${overrides.map(describeOverride).join(", ")}`;
}

/** A figure as compared: a count, or a duration (ms). */
export type Figure = { readonly count: number } | { readonly ms: number };

/** One line of a comparison table; a side is absent when that run has no such figure. */
export interface FigureRow {
  readonly label: string;
  readonly asRecorded?: Figure;
  readonly whatIf?: Figure;
}

const count = (n: number | undefined): Figure | undefined => (n === undefined ? undefined : { count: n });
const ms = (n: number | undefined): Figure | undefined => (n === undefined ? undefined : { ms: n });

function figureRow(label: string, a: Figure | undefined, b: Figure | undefined): FigureRow {
  return { label, ...(a !== undefined ? { asRecorded: a } : {}), ...(b !== undefined ? { whatIf: b } : {}) };
}

/** A Service's rows: failovers, leader changes, time without a leader, writes. */
export function serviceRows(a: ServiceTotals | undefined, b: ServiceTotals | undefined): FigureRow[] {
  return [
    figureRow("failovers", count(a?.failovers), count(b?.failovers)),
    figureRow("leader changes", count(a?.leaderChanges), count(b?.leaderChanges)),
    figureRow("time without a leader", ms(a?.leaderlessMs), ms(b?.leaderlessMs)),
    figureRow("writes", count(a?.writes), count(b?.writes)),
  ];
}

/** The whole run's rows: a Service's, then failed writes, violations, decode failures and publish latency. */
export function runRows(a: RunFigures, b: RunFigures): FigureRow[] {
  return [
    ...serviceRows(a, b),
    figureRow("failed writes", count(a.failedWrites), count(b.failedWrites)),
    figureRow("violations", count(a.violations), count(b.violations)),
    figureRow("decode failures", count(a.decodeFailures), count(b.decodeFailures)),
    figureRow("publish latency, mean", ms(a.publishLatencyMs?.mean), ms(b.publishLatencyMs?.mean)),
    figureRow("publish latency, max", ms(a.publishLatencyMs?.max), ms(b.publishLatencyMs?.max)),
  ];
}

/** `12`, or a duration as `formatDuration` writes it. */
export function formatFigure(f: Figure): string {
  return "count" in f ? String(f.count) : formatDuration(f.ms);
}

/** What-if minus as-recorded: its sign and its size (undefined when a side is missing). */
export function difference(row: FigureRow): { readonly sign: -1 | 0 | 1; readonly size: Figure } | undefined {
  const a = row.asRecorded;
  const b = row.whatIf;
  if (a === undefined || b === undefined) return undefined;
  const delta = "count" in a ? ("count" in b ? b.count : 0) - a.count : ("ms" in b ? b.ms : 0) - a.ms;
  const size = "count" in a ? { count: Math.abs(delta) } : { ms: Math.abs(delta) };
  return { sign: delta > 0 ? 1 : delta < 0 ? -1 : 0, size };
}
