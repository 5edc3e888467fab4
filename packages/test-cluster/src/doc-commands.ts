/** The commands the docs show, so that tests run them as written. No vitest here. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../../..");

/**
 * The lines of the first ```sh block after `heading` (a whole line, e.g. "## kubectl plugin") in
 * `file` (relative to the repository's root), trimmed, with trailing `  # comments` and empty
 * lines dropped. Throws (one line) when the heading or the block is missing, so a renamed section
 * fails the test that runs it instead of running nothing.
 */
export function docCommands(file: string, heading: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const at = text.indexOf(`\n${heading}\n`);
  const block = at < 0 ? undefined : /```sh\n([\s\S]*?)```/.exec(text.slice(at))?.[1];
  if (block === undefined) throw new Error(`${file} has no sh block under '${heading}'`);
  return block
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}
