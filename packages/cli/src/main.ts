#!/usr/bin/env node
/**
 * The `zen-lead` command. Subcommands are wired here; each lives in its own module.
 */
import { runDemo } from "./demo.ts";

const USAGE = `usage: zen-lead <command>

commands:
  demo    show a leader failover of the seed's first use case (3 replicas), decided by the core`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "demo") return runDemo(rest);
  console.error(`zen-lead: unknown command ${JSON.stringify(command)} (see zen-lead --help)`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
