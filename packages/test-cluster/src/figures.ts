/**
 * How the benchmarks report: one `name: value unit` line per figure on stdout (what
 * docs/benchmarks.md quotes), progress as `[tag] ...` lines on stderr, and the few statistics
 * they share. No vitest here.
 */

/** Bytes in a MiB, for memory figures. */
export const MIB = 2 ** 20;

/** A figure as printed: integers as they are, below 10 two decimals, else one. */
export function round(n: number): number {
  return Number.isInteger(n) ? n : Number(n.toFixed(n < 10 ? 2 : 1));
}

/** The q-quantile (0..1, nearest rank) of `values` in any order; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** A benchmark's two outputs: `log` (progress, stderr, prefixed `[tag]`) and `print` (a figure). */
export function figures(tag: string): {
  readonly log: (line: string) => void;
  readonly print: (name: string, value: number | string, unit?: string) => void;
} {
  return {
    log: (line) => process.stderr.write(`[${tag}] ${line}\n`),
    print: (name, value, unit = "") =>
      process.stdout.write(
        `${name}: ${typeof value === "number" ? round(value) : value}${unit ? ` ${unit}` : ""}\n`,
      ),
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
