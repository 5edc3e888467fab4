/**
 * The report for people: per source Service its leader timeline, leader changes (failovers and first elections) with their latency,
 * warnings and pods; then the writes, the objects the controller could not decode, and the
 * violations. Plain text, one fact per line, in a fixed order: the same report renders to the same
 * bytes on any machine (no locale, no time zone; see time-format.ts), so a rendered report can be
 * diffed and kept as a golden file.
 */
import {
  type DecodeFailureRecord,
  type LeaderChangeRecord,
  OMISSION_KEYS,
  type ServiceReport,
  type ServiceTotals,
  type SimReport,
} from "./model.ts";
import { formatAbsolute, formatDuration, formatOffset } from "./time-format.ts";

/** How every rendering marks a Service whose last decision did not opt it in (ServiceReport.optedIn). */
export const NOT_OPTED_IN = "not opted in";

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function more(count: number | undefined, what: string): string[] {
  return count !== undefined && count > 0 ? [`    … ${count} more ${what} not listed (report limits)`] : [];
}

/** `+5.005s  Pod default/web-1  DecodeFailed: <message>`, with `(3 times, last +9.005s)` when repeated. */
function decodeFailureLine(d: DecodeFailureRecord): string {
  const repeated = d.count > 1 ? `  (${d.count} times, last ${formatOffset(d.lastAt)})` : "";
  return `    ${pad(formatOffset(d.at), 11)}  ${d.object}  ${d.reason}: ${d.message}${repeated}`;
}

function leaderChangeLine(f: LeaderChangeRecord): string {
  const parts = [
    pad(formatOffset(f.at), 11),
    `${f.from ?? "(none)"} -> ${f.to ?? "(none)"}`,
    f.cause,
    `trigger ${formatOffset(f.triggerAt)}`,
    f.sliceAt !== undefined ? `slice ${formatOffset(f.sliceAt)}` : "slice never published",
  ];
  if (f.latencyMs !== undefined) parts.push(`latency ${formatDuration(f.latencyMs)}`);
  return `    ${parts.join("  ")}`;
}

/** `1 write`, `2 writes`: `n` and the noun's form for it (`many` defaults to `one` + "s"). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `3 leader changes, 2 failovers, 1.2s without a leader, 6 writes`. */
export function totalsLine(t: ServiceTotals): string {
  return [
    plural(t.leaderChanges, "leader change"),
    plural(t.failovers, "failover"),
    `${formatDuration(t.leaderlessMs)} without a leader`,
    plural(t.writes, "write"),
  ].join(", ");
}

function serviceSection(s: ServiceReport): string[] {
  const lines: string[] = [];
  const optedOut = s.optedIn ? "" : `  (${NOT_OPTED_IN})`;
  lines.push(
    `Service ${s.service}${s.leaderService !== undefined ? ` -> ${s.leaderService}` : ""}${optedOut}`,
  );
  lines.push(`  ${totalsLine(s.totals)}`);
  lines.push("  Leaders");
  if (s.leadership.length === 0) lines.push("    (never had a leader)");
  for (const p of s.leadership) {
    const span = `${pad(formatOffset(p.from), 11)} .. ${pad(p.to !== undefined ? formatOffset(p.to) : "end", 11)}`;
    lines.push(`    ${span}  ${p.pod}  (${p.reason})`);
  }
  lines.push("  Leader changes");
  if (s.leaderChanges.length === 0) lines.push("    (none)");
  for (const f of s.leaderChanges) lines.push(leaderChangeLine(f));
  lines.push("  Warnings");
  if (s.warnings.length === 0) lines.push("    (none)");
  for (const w of s.warnings) lines.push(`    ${pad(formatOffset(w.at), 11)}  ${w.reason}: ${w.message}`);
  lines.push("  Pods");
  if (s.pods.length === 0)
    lines.push(s.optedIn ? "    (none)" : "    (not opted in: zen-lead follows none of its pods)");
  const width = Math.max(0, ...s.pods.map((p) => p.pod.length));
  for (const p of s.pods) {
    const life = `created ${formatOffset(p.created)}${p.deleted !== undefined ? `, deleted ${formatOffset(p.deleted)}` : ""}`;
    const ready =
      p.ready.length === 0
        ? "never Ready"
        : `Ready ${p.ready.map((r) => `${formatOffset(r.from)}..${r.to !== undefined ? formatOffset(r.to) : "end"}`).join(", ")}`;
    lines.push(`    ${pad(p.pod, width)}  ${life}; ${ready}`);
  }
  return lines;
}

/** The report as text (ends with a newline). */
export function renderText(report: SimReport): string {
  const lines: string[] = [];
  const { stats } = report;
  lines.push(`zen-lead simulation: ${report.name} (${report.source}, seed ${report.seed})`);
  const at = (ms: number) =>
    report.epochMs !== undefined
      ? `${formatOffset(ms)} (${formatAbsolute(report.epochMs, ms)})`
      : formatOffset(ms);
  lines.push(`  start ${at(0)}`);
  lines.push(`  end   ${at(report.endAt)}`);
  lines.push(
    `  ${plural(stats.events, "event")}, ${plural(stats.writes, "write")} (${stats.failedWrites} failed), ${plural(stats.leaderChanges, "leader change")} (${plural(stats.failovers, "failover")}), ${plural(stats.decodeFailures, "decode failure")}`,
  );
  const latency = stats.publishLatencyMs;
  if (latency !== undefined) {
    lines.push(
      `  publish latency over ${plural(latency.count, "leader change")}: min ${formatDuration(latency.min)}, mean ${formatDuration(latency.mean)}, max ${formatDuration(latency.max)}`,
    );
  }
  lines.push(`  ${report.violations.length + (report.omitted?.violations ?? 0)} violations`);
  const omitted = report.omitted;
  for (const s of report.services) {
    lines.push("");
    lines.push(...serviceSection(s));
  }
  if (omitted !== undefined) {
    const notes = OMISSION_KEYS.filter((key) => omitted[key] > 0).map((key) => `${omitted[key]} ${key}`);
    lines.push("");
    lines.push(`Not listed (report limits; the stats count them): ${notes.join(", ")}`);
  }
  lines.push("");
  lines.push(`Writes (${stats.writes}, ${stats.failedWrites} failed)`);
  if (report.writes.length === 0) lines.push("    (none)");
  for (const w of report.writes) {
    lines.push(
      `    ${pad(formatOffset(w.at), 11)}  ${pad(w.verb, 6)}  ${pad(w.kind, 13)}  ${w.object}  ${w.status}  (for ${w.source})`,
    );
  }
  lines.push(...more(omitted?.writes, "writes"));
  lines.push("");
  lines.push(`Decode failures (${plural(stats.decodeFailures, "report")})`);
  if (report.decodeFailures.length === 0) lines.push("    none");
  for (const d of report.decodeFailures) lines.push(decodeFailureLine(d));
  lines.push(...more(omitted?.decodeFailures, "decode-failure reports"));
  lines.push("");
  lines.push("Violations");
  if (report.violations.length === 0) lines.push("    none");
  for (const v of report.violations)
    lines.push(`    ${pad(formatOffset(v.at), 11)}  ${v.invariant}: ${v.message}`);
  lines.push(...more(omitted?.violations, "violations"));
  return `${lines.join("\n")}\n`;
}
