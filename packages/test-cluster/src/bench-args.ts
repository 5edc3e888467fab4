/**
 * A benchmark's flags as a user types them (`./scripts/bench NAME ...`): node:util's `parseArgs`
 * (strict: no unknown flag, no positional argument) as the `zen-lead` commands use it (parse-flags.ts:
 * a count's value may start with a dash, `--services -5` as `--services=-5`); every option named in
 * `counts` must be a whole number (digits only), and one named in `choices` one of its values. A flag that is unknown
 * or lacks its value, or a value that is not what it must be, is said in one line on stderr — `NAME: REASON (usage: USAGE)` — with exit code 2: never a
 * stack trace, and never a run that starts a cluster and then waits forever on `NaN`.
 */
import type { ParseArgsOptionsConfig, parseArgs } from "node:util";
// The CLI's own source (this package is private and never packed; the CLI cannot depend on it).
import { parseFlags } from "../../cli/src/parse-flags.ts";

export { parseFlags };

export function benchArgs<const T extends ParseArgsOptionsConfig>(
  name: string,
  usage: string,
  options: T,
  counts: readonly (keyof T & string)[] = [],
  choices: Partial<Record<keyof T & string, readonly string[]>> = {},
  args: readonly string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: T }>>["values"] {
  try {
    const { values } = parseFlags({ args, options }, counts);
    for (const key of counts) {
      const value = (values as Record<string, unknown>)[key];
      if (typeof value !== "string" || !/^\d+$/.test(value))
        throw new Error(`--${key} must be a whole number, got ${JSON.stringify(value)}`);
    }
    for (const [key, allowed = []] of Object.entries(choices) as [string, readonly string[] | undefined][]) {
      const value = (values as Record<string, unknown>)[key];
      if (typeof value === "string" && !allowed.includes(value))
        throw new Error(`--${key} must be ${allowed.join(" or ")}, got ${JSON.stringify(value)}`);
    }
    return values;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    process.stderr.write(`${name}: ${reason} (usage: ${usage})\n`);
    process.exit(2);
  }
}
