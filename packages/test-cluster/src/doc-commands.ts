/** The commands the docs show, so that tests run them as written. No vitest here. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

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

/** How `runDocKubectl` runs a doc's lines. */
export interface DocKubectlOptions {
  /** `KUBECONFIG` for every line (a doc's own `export KUBECONFIG=` line is a placeholder: not run). */
  readonly kubeconfig: string;
  /** Each line's `from` replaced by `to` (a doc's namespace by the test's). */
  readonly replace?: { readonly from: string; readonly to: string };
  /** A directory put first on the PATH, for docs that expect the user's own kubectl. */
  readonly kubectlDir?: string;
}

/** What `runDocKubectl` saw. */
export interface DocKubectlRun {
  /** `command -v kubectl` after the doc's `export PATH=` lines: the kubectl the lines ran. */
  readonly kubectl: string;
  /** Each `kubectl` line's stdout, in the doc's order. */
  readonly outputs: readonly string[];
}

/**
 * Runs a doc's sh block as a user would: its `export PATH=` lines, then each `kubectl` line as
 * written (bash, from the repository's root). Rejects with the line and its stderr when a line
 * fails, or when the block has no kubectl line.
 */
export async function runDocKubectl(
  file: string,
  heading: string,
  options: DocKubectlOptions,
): Promise<DocKubectlRun> {
  const lines = docCommands(file, heading).map((line) =>
    options.replace === undefined ? line : line.replaceAll(options.replace.from, options.replace.to),
  );
  const exports = lines.filter((line) => line.startsWith("export PATH="));
  const kubectl = lines.filter((line) => line.startsWith("kubectl "));
  if (kubectl.length === 0) throw new Error(`${file} '${heading}': no kubectl line`);
  const pathVar = process.env.PATH ?? "";
  const env = {
    ...process.env,
    KUBECONFIG: options.kubeconfig,
    PATH: options.kubectlDir === undefined ? pathVar : `${options.kubectlDir}:${pathVar}`,
  };
  const bash = async (line: string) => {
    const script = ["set -euo pipefail", ...exports, line].join("\n");
    const out = await promisify(execFile)("bash", ["-c", script], { cwd: ROOT, env, timeout: 60_000 }).catch(
      (error: unknown) => {
        throw new Error(`${file}: ${line}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
      },
    );
    return out.stdout;
  };
  const outputs: string[] = [];
  for (const line of kubectl) outputs.push(await bash(line));
  return { kubectl: (await bash("command -v kubectl")).trim(), outputs };
}
