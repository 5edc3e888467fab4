/** A benchmark's bad flag is one line and exit code 2, never a stack trace or a run on NaN. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const MODULE = join(import.meta.dirname, "bench-args.ts");

/** Runs a script that parses `args` as the failover bench's flags and prints what it got. */
function parse(args: readonly string[]) {
  const script = `
import { benchArgs } from ${JSON.stringify(MODULE)};
const values = benchArgs("x.bench.ts", "x.bench.ts [--services N] [--mode M]", {
  services: { type: "string", default: "10" },
  mode: { type: "string", default: "a" },
}, ["services"], { mode: ["a", "b"] }, process.argv.slice(1)); // node -e: argv[1] is the first argument
console.log(JSON.stringify(values));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script, "--", ...args], {
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("benchArgs", () => {
  it("gives the flags, defaults filled in", () => {
    const run = parse(["--services", "3", "--mode", "b"]);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ services: "3", mode: "b" });
  });

  it.each([
    [["--servics", "3"], "x.bench.ts: Unknown option '--servics'"],
    [["--services"], "x.bench.ts: Option '--services <value>' argument missing"],
    [["--services", "abc"], 'x.bench.ts: --services must be a whole number, got "abc"'],
    [["--services", "-5"], 'x.bench.ts: --services must be a whole number, got "-5"'],
    [["--services=-5"], 'x.bench.ts: --services must be a whole number, got "-5"'],
    [["--services", "-abc"], 'x.bench.ts: --services must be a whole number, got "-abc"'],
    [["--services=1.5"], 'x.bench.ts: --services must be a whole number, got "1.5"'],
    [["--mode", "c"], 'x.bench.ts: --mode must be a or b, got "c"'],
    [["stray"], "x.bench.ts: Unexpected argument 'stray'"],
  ])("refuses %j in one line with exit code 2", (args, start) => {
    const run = parse(args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(start);
    expect(lines[0]).toContain("(usage: x.bench.ts [--services N] [--mode M])");
  });
});
