/**
 * zen-lead replicas as a user runs them: real `zen-lead run` processes, each reaching the API
 * server through a TCP proxy of its own (so one replica's network can be broken alone), with its
 * log in a file and its /metrics scraped for the writes it made — when asked, and right before a
 * signal: not on a timer, since rendering /metrics allocates, and the load phase compares the
 * replicas' memory (a scrape twice a second made the holder's bigger /metrics cost it 40 MB of
 * garbage in 30 s).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import {
  freePort,
  metricValue,
  spawnZenLead,
  type ZenLeadProcess,
} from "@zen-lead/test-cluster/zen-lead-process";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";

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
  /** A metric's value in the last scrape (the sum of its samples; 0 when absent). */
  metric(name: string): number;
  close(): Promise<void>;
}

/**
 * Starts a replica: its TCP proxy, its kubeconfig pointing there, then `zen-lead run` from source
 * with the image's Node flags and allocator settings (deploy/Dockerfile: replicas run as shipped,
 * and the load phase compares their memory), its log appended to `DIR/NAME.log` across restarts.
 */
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
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  let child: ZenLeadProcess | undefined;
  /** Write totals of earlier incarnations, and the current one's last scrape. */
  let earlier = 0;
  let current = 0;
  let lastScrape = "";

  const scrape = async () => {
    if (child === undefined) return;
    try {
      lastScrape = await child.metrics();
      current = Math.max(current, metricValue(lastScrape, "zen_lead_apply_duration_seconds_count"));
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
      const proc = await spawnZenLead({
        kubeconfig,
        args: [
          "--lease-namespace",
          options.leaseNamespace,
          "--identity",
          options.name,
          ...(options.extraArgs ?? []),
        ],
        image: true,
        logPath,
        metricsPort,
        healthPort,
      });
      child = proc;
      void proc.exited.then(() => {
        if (child === proc) child = undefined;
      });
      await proc.until("/healthz", 20_000).catch((error: unknown) => {
        throw new Error(`replica ${options.name} did not come up: ${String(error)}`);
      });
    },
    async signal(signal) {
      const proc = child;
      if (proc === undefined) return;
      await scrape(); // what it wrote until now: a SIGKILLed process cannot be asked afterwards
      await proc.stop(signal);
    },
    ready: async () => (await child?.healthy("/readyz")) === true,
    writes: () => earlier + current,
    scrape,
    metric: (name) => metricValue(lastScrape, name),
    async close() {
      await child?.stop("SIGKILL");
      await proxy.close();
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
