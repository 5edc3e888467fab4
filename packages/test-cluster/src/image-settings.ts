/**
 * How the image runs zen-lead (deploy/Dockerfile), for the benches and suites that run it as users
 * do: its Node flags (NODE_OPTIONS, and the flags before the script in ENTRYPOINT — some V8 flags,
 * such as `--optimize-for-size`, are not allowed in NODE_OPTIONS) and its allocator settings
 * (`MALLOC_*`). Read from the Dockerfile each time, so they cannot drift from it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const DOCKERFILE = join(import.meta.dirname, "../../../deploy/Dockerfile");

/** NODE_OPTIONS' flags, then ENTRYPOINT's flags (its words starting with `--`); `dockerfile`: its text. */
export function imageNodeFlags(dockerfile = readFileSync(DOCKERFILE, "utf8")): string[] {
  const options = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const words = entrypoint === undefined ? [] : (JSON.parse(entrypoint) as string[]);
  return [...options, ...words.filter((w) => w.startsWith("--"))];
}

/** The image's `MALLOC_*` environment variables (name -> value); `dockerfile`: its text. */
export function imageEnv(dockerfile = readFileSync(DOCKERFILE, "utf8")): Record<string, string> {
  return Object.fromEntries([...dockerfile.matchAll(/\b(MALLOC_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
}
