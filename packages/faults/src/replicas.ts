/**
 * zen-lead replicas as a user runs them: real `zen-lead run` processes, each reaching the API
 * server through a TCP proxy of its own (so one replica's network can be broken alone), with its
 * log in a file and its /metrics scraped for the writes it made — when asked, and right before a
 * signal: not on a timer, since rendering /metrics allocates, and the load phase compares the
 * replicas' memory (a scrape twice a second made the holder's bigger /metrics cost it 40 MB of
 * garbage in 30 s).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

const MAIN = join(import.meta.dirname, "../../cli/src/main.ts");

/**
 * V8 flags of the image (deploy/Dockerfile's NODE_OPTIONS; a unit test keeps them equal): replicas
 * run as shipped, and the load phase compares their memory.
 */
export const IMAGE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

export interface ReplicaOptions {
  readonly name: string;
  /** The cluster's kubeconfig (its server is replaced by the proxy's address). */
  readonly kubeconfig: string;
  readonly apiServerPort: number;
  readonly leaseNamespace: string;
  /** Where the replica's kubeconfig and log go. */
  readonly dir: string;
  readonly extraArgs?: readonly string[];
}

export interface Replica {
  readonly name: string;
  readonly proxy: TcpProxy;
  readonly logPath: string;
  /** The running process's pid, undefined while it is not running. */
  pid(): number | undefined;
  running(): boolean;
  /** Starts the process (again); resolves once /healthz answers. */
  start(): Promise<void>;
  /** Sends a signal; resolves when the process has exited. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** /readyz answers 200. */
  ready(): Promise<boolean>;
  /** Writes (applies and deletes) made by every incarnation of this replica, as last scraped. */
  writes(): number;
  /** Scrapes /metrics now (when running). */
  scrape(): Promise<void>;
  /** A sample's value in the last scrape (`nodejs_heap_space_size_used_bytes{space="new"}`...), if any. */
  metric(name: string): number | undefined;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: options.apiServerPort });
  const kubeconfig = join(options.dir, `${options.name}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    readFileSync(options.kubeconfig, "utf8").replace(
      `https://127.0.0.1:${options.apiServerPort}`,
      `https://127.0.0.1:${proxy.port}`,
    ),
    { mode: 0o600 },
  );
  const logPath = join(options.dir, `${options.name}.log`);
  const log = createWriteStream(logPath, { flags: "a" });
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  /** Write totals of earlier incarnations, and the current one's last scrape. */
  let earlier = 0;
  let current = 0;
  let lastScrape = "";

  const scrape = async () => {
    if (child === undefined) return;
    try {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      lastScrape = text;
      const match = /^zen_lead_apply_duration_seconds_count (\d+)$/m.exec(text);
      if (match?.[1] !== undefined) current = Math.max(current, Number(match[1]));
    } catch {
      // Not up yet, or gone: the last scrape stands.
    }
  };

  const replica: Replica = {
    name: options.name,
    proxy,
    logPath,
    pid: () => child?.pid,
    running: () => child !== undefined,
    async start() {
      if (child !== undefined) return;
      earlier += current;
      current = 0;
      const proc = spawn(
        process.execPath,
        [
          ...IMAGE_NODE_FLAGS,
          MAIN,
          "run",
          "--kubeconfig",
          kubeconfig,
          "--lease-namespace",
          options.leaseNamespace,
          "--identity",
          options.name,
          "--metrics-addr",
          `127.0.0.1:${metricsPort}`,
          "--health-addr",
          `127.0.0.1:${healthPort}`,
          ...(options.extraArgs ?? []),
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child = proc;
      proc.stdout?.pipe(log, { end: false });
      proc.stderr?.pipe(log, { end: false });
      exited = new Promise((resolve) =>
        proc.once("exit", () => {
          if (child === proc) child = undefined;
          resolve();
        }),
      );
      for (let i = 0; i < 200 && child === proc; i++) {
        const ok = await fetch(`http://127.0.0.1:${healthPort}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
        await sleep(100);
      }
      throw new Error(`replica ${options.name} did not come up (log: ${logPath})`);
    },
    async signal(signal) {
      const proc = child;
      if (proc === undefined) return;
      await scrape(); // what it wrote until now: a SIGKILLed process cannot be asked afterwards
      proc.kill(signal);
      await exited;
    },
    ready: () =>
      fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    writes: () => earlier + current,
    scrape,
    metric(name) {
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const match = new RegExp(`^${escaped} ([0-9.e+-]+)$`, "m").exec(lastScrape);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    },
    async close() {
      if (child !== undefined) {
        child.kill("SIGKILL");
        await exited;
      }
      await proxy.close();
      log.end();
    },
  };
  return replica;
}

/** The Lease's holder identity, read from the API server ("" when released, undefined when absent). */
export async function leaseHolder(kc: KubeConfig, namespace: string): Promise<string | undefined> {
  try {
    const lease = (await request(
      kc,
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/zen-lead`,
    )) as { spec?: { holderIdentity?: string } };
    return lease.spec?.holderIdentity ?? "";
  } catch {
    return undefined;
  }
}
