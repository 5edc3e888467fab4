#!/usr/bin/env node
/**
 * `./scripts/demo [--down | --keep]`: the quick start (demo.ts). Bad flags: one line on stderr,
 * exit 2; anything else unexpected: one line, exit 1.
 */
import { runDemo } from "./demo.ts";

try {
  process.exitCode = await runDemo(process.argv.slice(2));
} catch (error) {
  const usage = error instanceof Error && error.name === "UsageError";
  console.error(
    usage ? (error as Error).message : `demo: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = usage ? 2 : 1;
}
