/**
 * `zen-lead sim SCENARIO` and `zen-lead replay LOG`: the simulator, with its three outputs — text
 * (default), `--json` (docs/simulator.md), and `--report FILE.html` (one self-contained page).
 * `replay --set` replays the log as if Services had other zen-lead annotations; with `--compare`
 * it replays it twice and prints both runs side by side (docs/cli.md, "What if").
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type AnnotationOverride,
  checkExpectations,
  compareRuns,
  EventLogError,
  type LogHeader,
  type LogRecord,
  LogRewriter,
  loadScenario,
  OverrideError,
  openEventLog,
  parseOverrides,
  renderComparisonHtml,
  renderComparisonJson,
  renderComparisonText,
  renderHtml,
  renderJson,
  renderText,
  replayEventLog,
  runScenario,
  ScenarioError,
  type SimReport,
  whatIfName,
} from "@zen-lead/sim";
import { writableFile } from "./flags.ts";
import { UsageError, usage } from "./usage-error.ts";

/** `zen-lead sim --help`. */
export const SIM_HELP = `usage: zen-lead sim SCENARIO.yaml [--json] [--report FILE.html]

Runs a failover scenario (docs/scenarios.md) through zen-lead's core on virtual time against an
in-memory API server and reports who led when, every leader change (failovers among them) and
when its slice was published, every write, and any broken invariant. Exits 1 when the scenario's expectations are not met or an invariant broke.

  --json            print the report as JSON (schema: docs/simulator.md)
  --report FILE     also write an HTML timeline to FILE`;

/** `zen-lead replay --help`. */
export const REPLAY_HELP = `usage: zen-lead replay LOG.jsonl[.gz] [--set SERVICE:ANNOTATION=VALUE]... [--compare]
                       [--json] [--report FILE.html]

Replays an event log recorded from a cluster (docs/event-log.md) through zen-lead's core and
reports what it would have decided, when and why. Deterministic: the same log gives the same
report, byte for byte. Exits 1 when an invariant broke.

  --set S:A=V       replay as if Service S (name, or namespace/name) had had annotation
                    zen-lead.io/A=V the whole time: A is enabled, leader-service-name, sticky,
                    min-ready-duration or preferred-leader; S:A- replays it without A.
                    Repeatable, e.g. --set web:min-ready-duration=30s --set web:sticky=false
  --compare         with --set: replay the log as recorded too, and print both side by side
                    (failovers, time without a leader, leader changes, writes per Service)
  --json            print the report (or the comparison) as JSON (schema: docs/simulator.md)
  --report FILE     also write an HTML timeline (or both runs' timelines) to FILE`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  report: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  // replay only
  set: { type: "string", multiple: true },
  compare: { type: "boolean", default: false },
} as const;

/** Strict flags and exactly one file; undefined for --help. A bad one is a usage error. */
function parse(command: "sim" | "replay", args: readonly string[]) {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    if (values.help) return undefined;
    if (command === "sim" && (values.set !== undefined || values.compare)) {
      throw new Error("--set and --compare are options of zen-lead replay");
    }
    if (positionals.length !== 1) throw new Error(`expected exactly one file, got ${positionals.length}`);
    if (values.report !== undefined) writableFile("--report", values.report);
    return { file: positionals[0] as string, ...values, set: values.set ?? [] };
  } catch (error) {
    throw usage(command, error);
  }
}

/** The HTML first (its failure is said as the flag's), then the text report. */
async function emit(text: string, htmlPath: string | undefined, html: () => string) {
  if (htmlPath !== undefined) {
    try {
      await writeFile(htmlPath, html());
    } catch (error) {
      throw new Error(`--report ${htmlPath}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  process.stdout.write(text);
}

/** Malformed scenarios and logs are the user's input: one line, exit 2. */
function asUsage(error: unknown): never {
  if (error instanceof ScenarioError || error instanceof EventLogError) throw new UsageError(error.message);
  throw error;
}

/**
 * `zen-lead sim SCENARIO`: runs it and prints the report. Resolves to 1 when an expectation is not
 * met or an invariant broke, else 0; throws a UsageError (exit 2) on bad flags or a malformed scenario.
 */
export async function sim(args: readonly string[]): Promise<number> {
  const opts = parse("sim", args);
  if (opts === undefined) {
    console.log(SIM_HELP);
    return 0;
  }
  const { json, report: htmlPath } = opts;
  const scenario = await loadScenario(opts.file).catch(asUsage);
  // A fault naming a pod the run does not have then is found while it runs: still the input's fault.
  const { report, pods } = (() => {
    try {
      return runScenario(scenario);
    } catch (error) {
      return asUsage(error);
    }
  })();
  const { invalid, unmet } = checkExpectations(scenario, report, pods);
  if (invalid.length > 0) {
    const more = invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : "";
    throw new UsageError(`zen-lead sim: ${opts.file}: ${invalid[0]}${more}`);
  }
  await emit(json ? renderJson(report) : renderText(report), htmlPath, () => renderHtml(report));
  for (const problem of unmet) console.error(`zen-lead sim: expectation not met: ${problem}`);
  return unmet.length > 0 || report.violations.length > 0 ? 1 : 0;
}

/** Replays the log file once, its batches passed through `rewrite` (the what-if's, if any). */
async function replayFile(
  file: string,
  rewrite: (batches: AsyncIterable<readonly LogRecord[]>) => AsyncIterable<readonly LogRecord[]> = (b) => b,
): Promise<{ header: LogHeader; report: SimReport }> {
  const log = await openEventLog(file).catch(asUsage);
  try {
    const report = await replayEventLog(log.header, rewrite(log.batches)).catch(asUsage);
    return { header: log.header, report };
  } finally {
    await log.close();
  }
}

function overridesOf(texts: readonly string[]): AnnotationOverride[] {
  try {
    return parseOverrides(texts);
  } catch (error) {
    if (error instanceof OverrideError) throw new UsageError(`zen-lead replay: ${error.message}`);
    throw error;
  }
}

/**
 * `zen-lead replay LOG [--set ... [--compare]]`: replays the log (as recorded, or as if the
 * annotations had been set, or both side by side) and prints the report. Resolves to 1 when an
 * invariant broke, else 0; throws a UsageError (exit 2) on bad flags, a malformed log, or a
 * `--set` naming a Service the log does not have (or has in several namespaces).
 */
export async function replay(args: readonly string[]): Promise<number> {
  const opts = parse("replay", args);
  if (opts === undefined) {
    console.log(REPLAY_HELP);
    return 0;
  }
  const { json, report: htmlPath, compare } = opts;
  const overrides = overridesOf(opts.set);
  if (compare && overrides.length === 0) {
    throw new UsageError("zen-lead replay: --compare needs a --set (what to compare the recording with)");
  }
  if (overrides.length === 0) {
    const { report } = await replayFile(opts.file);
    await emit(json ? renderJson(report) : renderText(report), htmlPath, () => renderHtml(report));
    return report.violations.length > 0 ? 1 : 0;
  }
  const rewriter = new LogRewriter(overrides);
  const replayed = await replayFile(opts.file, (batches) => rewriter.batches(batches));
  const problems = rewriter.problems();
  if (problems.length > 0) throw new UsageError(`zen-lead replay: ${problems.join("; ")}`);
  const whatIf = { ...replayed.report, name: whatIfName(replayed.report.name, overrides) };
  if (!compare) {
    await emit(json ? renderJson(whatIf) : renderText(whatIf), htmlPath, () => renderHtml(whatIf));
    return whatIf.violations.length > 0 ? 1 : 0;
  }
  const { report: asRecorded } = await replayFile(opts.file);
  const comparison = compareRuns(asRecorded, whatIf, overrides);
  await emit(json ? renderComparisonJson(comparison) : renderComparisonText(comparison), htmlPath, () =>
    renderComparisonHtml(comparison),
  );
  return asRecorded.violations.length + whatIf.violations.length > 0 ? 1 : 0;
}
