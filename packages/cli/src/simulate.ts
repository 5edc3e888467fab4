/**
 * `zen-lead sim SCENARIO` and `zen-lead replay LOG`: the simulator, with its three outputs — text
 * (default), `--json` (docs/simulator.md), and `--report FILE.html` (one self-contained page).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  checkExpectations,
  EventLogError,
  loadScenario,
  openEventLog,
  renderHtml,
  renderJson,
  renderText,
  replayEventLog,
  runScenario,
  ScenarioError,
  type SimReport,
} from "@zen-lead/sim";
import { UsageError, usage } from "./usage-error.ts";

export const SIM_HELP = `usage: zen-lead sim SCENARIO.yaml [--json] [--report FILE.html]

Runs a failover scenario (docs/scenarios.md) through zen-lead's core on virtual time against an
in-memory API server and reports who led when, every failover and its latency, every write, and
any broken invariant. Exits 1 when the scenario's expectations are not met or an invariant broke.

  --json            print the report as JSON (schema: docs/simulator.md)
  --report FILE     also write an HTML timeline to FILE`;

export const REPLAY_HELP = `usage: zen-lead replay LOG.jsonl[.gz] [--json] [--report FILE.html]

Replays an event log recorded from a cluster (docs/event-log.md) through zen-lead's core and
reports what it would have decided, when and why. Deterministic: the same log gives the same
report, byte for byte. Exits 1 when an invariant broke.

  --json            print the report as JSON (schema: docs/simulator.md)
  --report FILE     also write an HTML timeline to FILE`;

const OPTIONS = {
  json: { type: "boolean", default: false },
  report: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function parse(command: string, args: readonly string[]) {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    if (values.help) return undefined;
    if (positionals.length !== 1) throw new Error(`expected exactly one file, got ${positionals.length}`);
    return { file: positionals[0] as string, json: values.json, report: values.report };
  } catch (error) {
    throw usage(command, error);
  }
}

async function emit(report: SimReport, json: boolean, htmlPath: string | undefined) {
  process.stdout.write(json ? renderJson(report) : renderText(report));
  if (htmlPath !== undefined) await writeFile(htmlPath, renderHtml(report));
}

/** Malformed scenarios and logs are the user's input: one line, exit 2. */
function asUsage(error: unknown): never {
  if (error instanceof ScenarioError || error instanceof EventLogError) throw new UsageError(error.message);
  throw error;
}

export async function sim(args: readonly string[]): Promise<number> {
  const opts = parse("sim", args);
  if (opts === undefined) {
    console.log(SIM_HELP);
    return 0;
  }
  const scenario = await loadScenario(opts.file).catch(asUsage);
  // A fault naming a pod the run does not have then is found while it runs: still the input's fault.
  const { report, pods } = (() => {
    try {
      return runScenario(scenario);
    } catch (error) {
      return asUsage(error);
    }
  })();
  await emit(report, opts.json, opts.report);
  const unmet = checkExpectations(scenario, report, pods);
  for (const problem of unmet) console.error(`zen-lead sim: expectation not met: ${problem}`);
  return unmet.length > 0 || report.violations.length > 0 ? 1 : 0;
}

export async function replay(args: readonly string[]): Promise<number> {
  const opts = parse("replay", args);
  if (opts === undefined) {
    console.log(REPLAY_HELP);
    return 0;
  }
  const log = await openEventLog(opts.file).catch(asUsage);
  try {
    const report = await replayEventLog(log.header, log.batches).catch(asUsage);
    await emit(report, opts.json, opts.report);
    return report.violations.length > 0 ? 1 : 0;
  } finally {
    await log.close();
  }
}
