/**
 * `zen-lead run` as a real process for integration tests: its output collected, its metrics and
 * health endpoints on free loopback ports, the kubeconfig of the test cluster.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { clusterState } from "@zen-lead/test-cluster";

/** The CLI's entry point (run with the same Node as the tests). */
export const MAIN = join(import.meta.dirname, "..", "main.ts");

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

/** A `zen-lead run` child process started by a test. */
export interface ZenLeadProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its JSON log lines so far, parsed (lines that are not JSON are kept as `{ unparsed }`). */
  logLines(): Record<string, unknown>[];
  readonly metricsUrl: string;
  readonly healthUrl: string;
  /** GET /metrics. */
  metrics(): Promise<string>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `zen-lead run --namespace NS --lease-namespace NS --identity ID ...extra`. */
export async function startZenLead(
  namespace: string,
  identity: string,
  extra: readonly string[] = [],
): Promise<ZenLeadProcess> {
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "run",
      "--kubeconfig",
      clusterState().kubeconfig,
      "--namespace",
      namespace,
      "--lease-namespace",
      namespace,
      "--identity",
      identity,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--health-addr",
      `127.0.0.1:${healthPort}`,
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  return {
    child,
    output: () => output,
    logLines: () =>
      output
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return { unparsed: l };
          }
        }),
    metricsUrl,
    healthUrl: `http://127.0.0.1:${healthPort}`,
    metrics: async () => (await fetch(metricsUrl)).text(),
    stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill(signal);
      return exited;
    },
  };
}
