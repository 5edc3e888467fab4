/**
 * For the what-if tests: the repository's crash-loop log (packages/sim/testdata/README.md)
 * replayed as recorded and under `--set`s, compared — what `zen-lead replay --compare` does, on
 * parsed records.
 */
import { readFileSync } from "node:fs";
import { parseEventLog } from "../event-log/index.ts";
import type { SimReport } from "../model.ts";
import { replayRecords } from "../replay.ts";
import { type Comparison, compareRuns, whatIfName } from "./comparison.ts";
import { LogRewriter, parseOverrides } from "./overrides.ts";

const LOG = readFileSync(new URL("../../testdata/crashloop-night.jsonl", import.meta.url), "utf8")
  .trimEnd()
  .split("\n");

/** The log replayed with its Services rewritten by `sets`, and what the rewriter met. */
export function replayCrashloop(sets: readonly string[] = []): { report: SimReport; rewriter: LogRewriter } {
  const rewriter = new LogRewriter(parseOverrides(sets));
  const { header, records } = parseEventLog(LOG);
  return {
    report: replayRecords(
      header,
      [...records].map((r) => rewriter.record(r)),
    ),
    rewriter,
  };
}

/** The log as recorded compared with the log under `sets` (which must all meet their Service). */
export function compareCrashloop(...sets: string[]): Comparison {
  const overrides = parseOverrides(sets);
  const { report, rewriter } = replayCrashloop(sets);
  const problems = rewriter.problems();
  if (problems.length > 0) throw new Error(problems.join("; "));
  return compareRuns(
    replayCrashloop().report,
    { ...report, name: whatIfName(report.name, overrides) },
    overrides,
  );
}
