/**
 * What each part of `zen-lead run` costs in memory before it does anything (issue 13 §3): the
 * modules it loads, measured from the packed CLI as users install it (scripts/install-packed).
 * Prints `name: value unit` lines; asserts nothing.
 *
 *   node packages/cli/bench/footprint.bench.ts [--runs N]
 *
 * Every figure is a fresh Node process (the image's V8 flags) that imports the modules named and
 * then reports its resident memory and JS heap after a full GC — the median of `--runs`. The floor
 * is a process that imports nothing, in the same run. "alone" rows import one part into a bare
 * process; "run" rows import what `zen-lead run` loads: its module as shipped, and the two things
 * this issue took out of it, put back (client-node's index with every generated API model, which
 * importing its KubeConfig used to load; the simulator, which main.js used to import for every
 * command).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { figures, MIB, quantile, round } from "@zen-lead/test-cluster/figures";
import { imageEnv, imageNodeFlags } from "@zen-lead/test-cluster/image-settings";
import { installPacked } from "./packed-cli.ts";

const values = benchArgs(
  "footprint.bench.ts",
  "footprint.bench.ts [--runs N]",
  { runs: { type: "string", default: "5" } },
  ["runs"],
);
const RUNS = Number(values.runs);
if (!(RUNS > 0)) {
  process.stderr.write("usage: footprint.bench.ts [--runs N]\n");
  process.exit(2);
}
const { log, print } = figures("footprint");

interface Sample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
}

/** One fresh process importing `specifiers` in order (from `project`); its memory after a full GC. */
async function measure(project: string, specifiers: readonly string[]): Promise<Sample> {
  const script = `
for (const s of ${JSON.stringify(specifiers)}) await import(s);
globalThis.gc();
const m = process.memoryUsage();
console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal }));
`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...imageNodeFlags(), "--expose-gc", "--input-type=module", "-e", script],
    { cwd: project, env: { ...process.env, ...imageEnv() } },
  );
  return JSON.parse(stdout) as Sample;
}

async function main() {
  log("building and installing the packed CLI (scripts/install-packed)");
  const project = await installPacked();
  const dist = (pkg: string, file: string) => join(project, "node_modules/@zen-lead", pkg, "dist", file);
  const rows: [string, string[]][] = [
    ["floor: node, nothing imported", []],
    ["alone: undici", ["undici"]],
    ["alone: rxjs", ["rxjs"]],
    ["alone: @zen-lead/core (io-ts, fp-ts, rxjs)", [dist("core", "index.js")]],
    ["alone: pino", ["pino"]],
    ["alone: prom-client", ["prom-client"]],
    ["alone: @zen-lead/sim", [dist("sim", "index.js")]],
    ["alone: @kubernetes/client-node (its index: every generated API model)", ["@kubernetes/client-node"]],
    [
      "alone: client-node's KubeConfig as zen-lead loads it (cli/dist/kube-config.js)",
      [dist("cli", "kube-config.js")],
    ],
    ["alone: @zen-lead/k8s-adapter", [dist("k8s-adapter", "index.js")]],
    ["run: what `zen-lead run` loads (main.js + run.js)", [dist("cli", "main.js"), dist("cli", "run.js")]],
    [
      "run, plus client-node's index (as before this issue)",
      [dist("cli", "main.js"), dist("cli", "run.js"), "@kubernetes/client-node"],
    ],
    [
      "run, plus client-node's index and the simulator (as before this issue)",
      [dist("cli", "main.js"), dist("cli", "run.js"), "@kubernetes/client-node", dist("cli", "simulate.js")],
    ],
  ];
  print("runs per figure (median)", RUNS);
  print("node flags", imageNodeFlags().join(" ") || "none");
  let floor: Sample | undefined;
  for (const [name, specifiers] of rows) {
    const samples: Sample[] = [];
    for (let r = 0; r < RUNS; r++) samples.push(await measure(project, specifiers));
    const s: Sample = {
      rss: quantile(
        samples.map((x) => x.rss),
        0.5,
      ),
      heapUsed: quantile(
        samples.map((x) => x.heapUsed),
        0.5,
      ),
      heapTotal: quantile(
        samples.map((x) => x.heapTotal),
        0.5,
      ),
    };
    floor ??= s;
    const mib = (n: number) => n / MIB;
    print(`${name}: RSS`, mib(s.rss), "MiB");
    print(`${name}: RSS over the floor`, mib(s.rss - floor.rss), "MiB");
    print(`${name}: JS heap used / total`, `${round(mib(s.heapUsed))} / ${round(mib(s.heapTotal))}`, "MiB");
  }
}

main().catch((error: unknown) => {
  log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
