#!/usr/bin/env node
/**
 * The `zen-lead` command: subcommands are wired here, each in its own module. Bad input gives one
 * line on stderr and exit code 2; anything else unexpected, one line and exit code 1.
 */
import { UsageError } from "./usage-error.ts";

const USAGE = `usage: zen-lead <command> [options]

commands:
  run                  the controller (in a cluster, or against a kubeconfig)
  status [SERVICE]     opted-in Services: leader, since when, ready candidates, last reason
  promote SERVICE POD  make POD the preferred leader of SERVICE
  record --out FILE    watch a live cluster and write an event log (for replay)
  sim SCENARIO.yaml    run a failover scenario through zen-lead on virtual time
  replay LOG.jsonl     replay a recorded event log: what would zen-lead decide, when, and why;
                       --set web:min-ready-duration=30s --compare: what if it had been set

Run zen-lead <command> --help for a command's options.`;

const COMMANDS: Readonly<Record<string, (args: readonly string[]) => Promise<number> | number>> = {
  // Each command loads only its own modules: the simulator's commands (and every usage error) do
  // not load the Kubernetes client, metrics and logging, and `run` does not load the simulator.
  sim: async (args) => (await import("./simulate.ts")).sim(args),
  replay: async (args) => (await import("./simulate.ts")).replay(args),
  run: async (args) => (await import("./run.ts")).run(args),
  status: async (args) => (await import("./status.ts")).status(args),
  promote: async (args) => (await import("./promote.ts")).promote(args),
  record: async (args) => (await import("./record.ts")).record(args),
};

/**
 * Runs one command line (`argv` without node and the script) and resolves to its exit code: 0 done,
 * 1 a failure with a one-line reason on stderr, 2 bad input. The kubectl plugin calls it too.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command === undefined) {
    console.error(USAGE);
    return 2;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    console.error(`zen-lead: unknown command ${JSON.stringify(command)} (see zen-lead --help)`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    console.error(`zen-lead ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// Only when run as the command itself, not when imported (by the kubectl plugin).
if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
