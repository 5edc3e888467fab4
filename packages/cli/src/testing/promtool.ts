/**
 * Prometheus rules checked the way Prometheus runs them: Debian's promtool (installed by
 * scripts/ensure-promtool.sh) evaluates them over series taken from real `/metrics` scrapes.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where scripts/ensure-promtool.sh puts promtool. */
export const PROMTOOL = "/usr/bin/promtool";

/** Runs `promtool ...args`; throws with its output (which names the failed expectation) when it fails. */
export async function promtool(...args: string[]): Promise<string> {
  if (!existsSync(PROMTOOL))
    throw new Error(`${PROMTOOL} is missing: run scripts/ensure-promtool.sh (as root; scripts/test does)`);
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
}

/** One sample line of a Prometheus text scrape: `name`, its `{labels}` text ("" for none) and value. */
interface Sample {
  readonly name: string;
  readonly labels: string;
  readonly value: number;
}

function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (m === null) continue;
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.push({ name: m[1] ?? "", labels: m[2] ?? "", value });
  }
  return out;
}

/** The names a scrape declares counters: `# TYPE x counter`, and a histogram's `_bucket`, `_sum`, `_count`. */
function counterNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (counter|histogram)$/gm)) {
    const name = m[1] ?? "";
    if (m[2] === "counter") names.add(name);
    else for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
  }
  return names;
}

/** A replica's two scrapes, `before` and `after` something happened, and the labels Prometheus adds. */
export interface ScrapedReplica {
  readonly before: string;
  readonly after: string;
  /** E.g. `job="zl-zen-lead-metrics",instance="10.0.0.1:8080"`. */
  readonly target: string;
}

/**
 * promtool `input_series` (one a line, YAML) for series whose names start with `prefix`, one
 * sample a step for `steps` steps: a counter grows each step by what it grew between the two
 * scrapes (so `rate` and `increase` see what happened as if it went on), a gauge keeps its value
 * after. A series only in `after` starts from 0.
 */
export function inputSeries(replicas: readonly ScrapedReplica[], prefix: string, steps: number): string[] {
  const out: string[] = [];
  for (const { before, after, target } of replicas) {
    const counters = counterNames(after);
    const was = new Map(samples(before).map((s) => [s.name + s.labels, s.value]));
    for (const s of samples(after)) {
      if (!s.name.startsWith(prefix)) continue;
      const labels = s.labels === "" ? `{${target}}` : `{${target},${s.labels.slice(1)}`;
      const from = counters.has(s.name) ? (was.get(s.name + s.labels) ?? 0) : s.value;
      out.push(`  - series: '${s.name}${labels}'\n    values: '${from}+${s.value - from}x${steps}'`);
    }
  }
  return out;
}
