import { describe, expect, it } from "vitest";
import { joinNumericValues, parseFlags } from "./parse-flags.ts";

const OPTIONS = {
  qps: { type: "string", short: "q" },
  name: { type: "string", short: "n" },
  json: { type: "boolean" },
} as const;

describe("parseFlags", () => {
  it("gives a numeric flag the dash-leading value after it, in either form", () => {
    for (const args of [["--qps", "-5"], ["--qps=-5"], ["-q", "-5"]]) {
      expect(parseFlags({ args, options: OPTIONS }, ["qps"]).values).toEqual({ qps: "-5" });
    }
    // Not a number either: the flag's own check says so, not parseArgs.
    expect(parseFlags({ args: ["--qps", "--json"], options: OPTIONS }, ["qps"]).values).toEqual({
      qps: "--json",
    });
  });

  it("leaves other flags, values without a dash and everything after -- as parseArgs has them", () => {
    expect(() => parseFlags({ args: ["--name", "-5"], options: OPTIONS }, ["qps"])).toThrow(/ambiguous/);
    expect(parseFlags({ args: ["--qps", "3", "--json"], options: OPTIONS }, ["qps"]).values).toEqual({
      qps: "3",
      json: true,
    });
    expect(joinNumericValues(["--", "--qps", "-5"], OPTIONS, ["qps"])).toEqual(["--", "--qps", "-5"]);
    expect(() => parseFlags({ args: ["--qps"], options: OPTIONS }, ["qps"])).toThrow(/argument missing/);
  });
});
