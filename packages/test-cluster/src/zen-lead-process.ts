/**
 * `zen-lead run` as a real process, for the tests, the fault suite and the benches: its output
 * collected (and parsed as the JSON log it is), its metrics and health endpoints on loopback ports,
 * started from source or from an installed CLI, with the image's Node flags and allocator settings
 * when asked. No vitest here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { imageEnv, imageNodeFlags } from "./image-settings.ts";
import { sleep } from "./wait.ts";

/** The CLI's entry point in the workspace (Node strips its types). */
export const SOURCE_MAIN = join(import.meta.dirname, "../../cli/src/main.ts");

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ZenLeadOptions {
  /** The kubeconfig file it reads (`--kubeconfig`). */
  readonly kubeconfig: string;
  /** More flags after `run` (`--namespace`, `--identity`, ...); the two addresses are set here. */
  readonly args?: readonly string[];
  /** The script run by Node. Default SOURCE_MAIN; an installed CLI's `dist/main.js` to run it as shipped. */
  readonly main?: string;
  /** Run with the image's Node flags and MALLOC_* settings (deploy/Dockerfile). Default false. */
  readonly image?: boolean;
  /** Also append everything it prints to this file. */
  readonly logPath?: string;
  /** Fixed ports (a restarted replica keeps its addresses). Default: free ones. */
  readonly metricsPort?: number;
  readonly healthPort?: number;
}

/** A running (or exited) `zen-lead run` process. */
export interface ZenLeadProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** performance.now() when it was spawned. */
  readonly startedAt: number;
  /** `http://127.0.0.1:PORT/metrics`. */
  readonly metricsUrl: string;
  /** `http://127.0.0.1:PORT` (append `/healthz` or `/readyz`). */
  readonly healthUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines so far, parsed (lines that are not JSON are kept as `{ unparsed }`). */
  logLines(): Record<string, unknown>[];
  /** GET /metrics (rejects when it does not answer). */
  metrics(): Promise<string>;
  /** Whether `/healthz` or `/readyz` answers 200 now. */
  healthy(path: "/healthz" | "/readyz"): Promise<boolean>;
  /**
   * Polls `path` every 50 ms until it answers 200; resolves with performance.now() then. Rejects
   * when the process exits first or after `timeoutMs` (default 60 s), naming the log file if any.
   */
  until(path: "/healthz" | "/readyz", timeoutMs?: number): Promise<number>;
  /** Resolves with the exit code once it has exited (null: killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends a signal (default SIGTERM) unless it has exited; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A log line as JSON, or `{ unparsed }` when it is not JSON. */
function logLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { unparsed: line };
  }
}

/** Spawns `node [image flags] MAIN run --kubeconfig K --metrics-addr ... --health-addr ... ARGS`. */
export async function spawnZenLead(options: ZenLeadOptions): Promise<ZenLeadProcess> {
  const metricsPort = options.metricsPort ?? (await freePort());
  const healthPort = options.healthPort ?? (await freePort());
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(options.image === true ? imageNodeFlags() : []),
      options.main ?? SOURCE_MAIN,
      "run",
      "--kubeconfig",
      options.kubeconfig,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--health-addr",
      `127.0.0.1:${healthPort}`,
      ...(options.args ?? []),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.image === true ? { ...process.env, ...imageEnv() } : process.env,
    },
  );
  let output = "";
  /** `output`'s complete lines up to `parsedUpTo`, parsed. */
  const parsed: Record<string, unknown>[] = [];
  let parsedUpTo = 0;
  const file = options.logPath === undefined ? undefined : createWriteStream(options.logPath, { flags: "a" });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    file?.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      file?.end();
      resolve(code);
    }),
  );
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const healthUrl = `http://127.0.0.1:${healthPort}`;
  const healthy = (path: string) =>
    fetch(`${healthUrl}${path}`).then(
      (r) => r.ok,
      () => false,
    );
  const where = options.logPath === undefined ? "" : ` (log: ${options.logPath})`;
  return {
    child,
    pid: child.pid ?? 0,
    startedAt,
    metricsUrl,
    healthUrl,
    output: () => output,
    logLines() {
      // Parsed once per line: tests and benches poll this while the log grows.
      const end = output.lastIndexOf("\n") + 1;
      if (end > parsedUpTo) {
        for (const line of output.slice(parsedUpTo, end).split("\n"))
          if (line !== "") parsed.push(logLine(line));
        parsedUpTo = end;
      }
      const tail = output.slice(parsedUpTo);
      return tail === "" ? [...parsed] : [...parsed, logLine(tail)];
    },
    metrics: async () => (await fetch(metricsUrl)).text(),
    healthy,
    async until(path, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`zen-lead exited with ${child.exitCode ?? child.signalCode}${where}`);
        if (await healthy(path)) return performance.now();
        if (performance.now() > deadline)
          throw new Error(`zen-lead's ${path} not 200 after ${timeoutMs} ms${where}`);
        await sleep(50);
      }
    },
    exited,
    stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * The sum of a metric's samples in a Prometheus text scrape whose labels contain `labels` (e.g.
 * `method="PATCH"`; "" matches every sample). 0 when there is none.
 */
export function metricValue(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (labels !== "" && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/**
 * Polls /metrics every 250 ms until zen-lead's applier is idle — `zen_lead_write_queue_depth` 0 on
 * two scrapes in a row — and resolves with performance.now() at the first of them. Rejects when the
 * metric is missing (a CLI without it) or after `timeoutMs`.
 */
export async function writesIdle(z: ZenLeadProcess, timeoutMs = 600_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let idleSince: number | undefined;
  for (;;) {
    const at = performance.now();
    const text = await z.metrics();
    if (!/^zen_lead_write_queue_depth /m.test(text))
      throw new Error("zen-lead's /metrics has no zen_lead_write_queue_depth");
    if (metricValue(text, "zen_lead_write_queue_depth") === 0) {
      if (idleSince !== undefined) return idleSince;
      idleSince = at;
    } else idleSince = undefined;
    if (at > deadline) throw new Error(`zen-lead's writes not done after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}
