/**
 * node:util's strict `parseArgs`, with one difference for numeric flags (numbers, counts,
 * durations): the argument after such a flag is its value even when it starts with a dash.
 * parseArgs refuses `--kube-api-qps -5` as "ambiguous" (the value might be a forgotten one followed
 * by another option) while it passes `--kube-api-qps=-5` on to the flag's own check; a numeric flag
 * never takes an option as its value, so both forms reach that check and get its one-line reason
 * ("is not a positive number"). Shared by the `zen-lead` commands and the benchmarks' flags
 * (packages/test-cluster/src/bench-args.ts).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

/** `args` with every `--flag VALUE` / `-f VALUE` of a numeric flag written `--flag=VALUE`. */
export function joinNumericValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  numeric: readonly string[],
): string[] {
  const byShort = new Map(Object.entries(options).map(([name, o]) => [o.short, name]));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith("--")
      ? arg.slice(2)
      : /^-[^-]$/.test(arg)
        ? byShort.get(arg.slice(1))
        : undefined;
    const value = args[i + 1];
    if (name !== undefined && numeric.includes(name) && value?.startsWith("-")) {
      out.push(`--${name}=${value}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * `parseArgs(config)` (its errors unchanged: the callers turn them into usage errors), with the
 * options named in `numeric` taking a dash-leading value as `--flag=VALUE` does. `config.args` is
 * required: the default (process.argv) depends on how Node was started.
 */
export function parseFlags<const T extends ParseArgsConfig & { args: readonly string[] }>(
  config: T,
  numeric: readonly (keyof NonNullable<T["options"]> & string)[],
): ReturnType<typeof parseArgs<T>> {
  const args = joinNumericValues(config.args, config.options ?? {}, numeric);
  // The same config with other args: the same result type (TypeScript cannot see that itself).
  return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>;
}
