/**
 * `./scripts/faults`: the fault suite on a control plane of its own. Prints, per fault, how long
 * recovery took, the invariant watcher's violations and the writes made against those needed;
 * exits 1 if a fault did not recover or broke an invariant, 2 on a bad flag.
 *
 *   ./scripts/faults [--only NAME,...] [--services N] [--failovers N] [--grace DURATION]
 *                    [--load-services N] [--load-pods N] [--load-rate N] [--load-seconds N]
 */
import { parseFlags } from "@zen-lead/test-cluster/bench-args";
import { FAULTS, type Fault, formatResult, loadFault, runFault } from "./faults.ts";
import { startSuite } from "./suite.ts";

const USAGE = `usage: scripts/faults [--only NAME,...] [--services N] [--failovers N] [--grace SECONDS]
                      [--load-services N] [--load-pods N] [--load-rate N] [--load-seconds N]
faults: ${[...FAULTS.map((f) => f.name), "load"].join(", ")}`;

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${flag}: ${JSON.stringify(text)} is not a positive integer`);
  return n;
}

async function main(): Promise<number> {
  let faults: Fault[];
  let services: number;
  let failovers: number;
  let graceMs: number;
  try {
    const numeric = [
      "services",
      "failovers",
      "grace",
      "load-services",
      "load-pods",
      "load-rate",
      "load-seconds",
    ] as const;
    const { values } = parseFlags(
      {
        args: process.argv.slice(2),
        options: {
          only: { type: "string" },
          services: { type: "string", default: "20" },
          failovers: { type: "string", default: "4" },
          grace: { type: "string", default: "25" },
          "load-services": { type: "string", default: "200" },
          "load-pods": { type: "string", default: "3" },
          "load-rate": { type: "string", default: "50" },
          "load-seconds": { type: "string", default: "60" },
          help: { type: "boolean", short: "h", default: false },
        },
      },
      numeric,
    );
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    services = positive("services", values.services);
    failovers = positive("failovers", values.failovers);
    graceMs = positive("grace", values.grace) * 1000;
    const all = [
      ...FAULTS,
      loadFault({
        services: positive("load-services", values["load-services"]),
        podsPerService: positive("load-pods", values["load-pods"]),
        rate: positive("load-rate", values["load-rate"]),
        seconds: positive("load-seconds", values["load-seconds"]),
      }),
    ];
    const only = values.only?.split(",").map((s) => s.trim());
    const unknown = only?.find((name) => !all.some((f) => f.name === name));
    if (unknown !== undefined) throw new Error(`--only: no fault named ${JSON.stringify(unknown)}`);
    faults = only === undefined ? all : all.filter((f) => only.includes(f.name));
  } catch (error) {
    console.error(`faults: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`);
    return 2;
  }

  const log = (line: string) => process.stderr.write(`[faults] ${new Date().toISOString()} ${line}\n`);
  const suite = await startSuite({ services, graceMs, log });
  const stop = () => void suite.close().then(() => process.exit(130));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let failed = 0;
  try {
    const context = { failovers, deadlineMs: 120_000, cursor: 0 };
    for (const fault of faults) {
      log(`${fault.name}: ${fault.summary}`);
      const result = await runFault(suite, fault, context);
      console.log(formatResult(result));
      if (result.recoveredInMs === undefined || result.violations.length > 0 || result.error !== undefined)
        failed++;
    }
  } finally {
    log(`replica logs: ${suite.dir}`);
    await suite.close();
  }
  console.log(failed === 0 ? "faults: all recovered, no violations" : `faults: ${failed} fault(s) failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
