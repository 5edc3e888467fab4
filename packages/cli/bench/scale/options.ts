/**
 * The scale bench's command line (`./scripts/bench scale ...`), parsed and checked: a wrong flag
 * prints the usage and exits 2.
 */
import { benchArgs } from "@zen-lead/test-cluster/bench-args";

export interface ScaleOptions {
  /** Opted-in Services. Default 2,000. */
  readonly services: number;
  /** Pods per Service (`--pods` / `--services`, rounded down; at least 2). */
  readonly podsPerService: number;
  /** Namespaces the Services are spread over, round robin. Default 20. */
  readonly namespaces: number;
  /** kwok nodes of a cluster this bench starts. Default 10. */
  readonly nodes: number;
  /** Write-limit settings to adopt with, in order: `QPS:BURST`, or `default` (the flags' defaults). */
  readonly qps: readonly string[];
  /** Seconds of quiet before the idle figures. Default 30. */
  readonly idleSeconds: number;
  /** Seconds of readiness flips. Default 60. */
  readonly loadSeconds: number;
  /** Readiness flips a second during the load. Default 5. */
  readonly flips: number;
  /** Failovers during the load. Default 60. */
  readonly failovers: number;
  /** A cluster's state file to reuse (its workload too); none: start one. */
  readonly state: string | undefined;
  /** Leave the cluster this bench started up. */
  readonly keep: boolean;
  /** Run `zen-lead` from source instead of the packed CLI. */
  readonly fromSource: boolean;
}

const USAGE =
  "usage: scale.bench.ts [--services N] [--pods N (>= 2 per Service)] [--namespaces N] [--nodes N]\n" +
  "       [--qps QPS:BURST|default,...] [--idle-seconds N] [--load-seconds N] [--flips N]\n" +
  "       [--failovers N] [--state FILE] [--keep] [--from-source]\n";

/** This process's arguments as ScaleOptions; exits 2 with the usage on a bad one. */
export function scaleOptions(): ScaleOptions {
  const values = benchArgs(
    "scale.bench.ts",
    "scale.bench.ts [--services N] [--pods N] [--namespaces N] [--nodes N] [--qps QPS:BURST,...|default] [--idle-seconds N] [--load-seconds N] [--flips N] [--failovers N] [--state FILE] [--keep] [--from-source]",
    {
      services: { type: "string", default: "2000" },
      pods: { type: "string", default: "40000" },
      namespaces: { type: "string", default: "20" },
      nodes: { type: "string", default: "10" },
      qps: { type: "string", default: "50:100,default" },
      "idle-seconds": { type: "string", default: "30" },
      "load-seconds": { type: "string", default: "60" },
      flips: { type: "string", default: "5" },
      failovers: { type: "string", default: "60" },
      state: { type: "string" },
      keep: { type: "boolean", default: false },
      "from-source": { type: "boolean", default: false },
    },
    ["services", "pods", "namespaces", "nodes", "idle-seconds", "load-seconds", "flips", "failovers"],
  );
  const services = Number(values.services);
  const options: ScaleOptions = {
    services,
    podsPerService: Math.floor(Number(values.pods) / services),
    namespaces: Number(values.namespaces),
    nodes: Number(values.nodes),
    qps: values.qps.split(",").map((s) => s.trim()),
    idleSeconds: Number(values["idle-seconds"]),
    loadSeconds: Number(values["load-seconds"]),
    flips: Number(values.flips),
    failovers: Number(values.failovers),
    state: values.state,
    keep: values.keep,
    fromSource: values["from-source"],
  };
  const positive = [
    services,
    Number(values.pods),
    options.namespaces,
    options.nodes,
    options.idleSeconds,
    options.loadSeconds,
    options.flips,
  ];
  if (
    !positive.every((n) => Number.isInteger(n) && n > 0) ||
    !(options.failovers >= 0) ||
    options.podsPerService < 2 ||
    options.qps.some((q) => q !== "default" && !/^\d+(\.\d+)?:\d+$/.test(q))
  ) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  return options;
}
