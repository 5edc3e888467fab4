/**
 * The fault suite's stage: its own control plane, a namespace of opted-in Services (plus a foreign
 * Service holding one source's leader name, which zen-lead must never touch), two `zen-lead run`
 * replicas behind their own TCP proxies, and the independent invariant watcher. Faults
 * (`faults.ts`) run on it one at a time.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { type OwnCluster, startOwnCluster } from "@zen-lead/test-cluster/own-cluster";
import { waitFor } from "@zen-lead/test-cluster/wait";
import { type InvariantWatcher, startInvariantWatcher } from "./invariants.ts";
import { leaseHolder, type Replica, startReplica } from "./replicas.ts";
import { createWorkload, type Workload } from "./workload.ts";

export const NAMESPACE_PREFIX = "faults";
/** Lease timings of `zen-lead run` (its defaults), which bound a takeover. */
export const LEASE_DURATION_MS = 15_000;
export const RETRY_PERIOD_MS = 2_000;

export interface SuiteOptions {
  /** Opted-in Services in the main namespace (3 pods each). Default 20. */
  readonly services?: number;
  /** Invariant watcher grace period. Default 25 s: a takeover after SIGKILL takes up to ~17 s. */
  readonly graceMs?: number;
  /** Extra flags for every `zen-lead run`. */
  readonly replicaArgs?: readonly string[];
  /** One line of progress. */
  readonly log?: (line: string) => void;
}

export interface Suite {
  readonly cluster: OwnCluster;
  readonly kc: KubeConfig;
  readonly workload: Workload;
  readonly watcher: InvariantWatcher;
  readonly replicas: readonly Replica[];
  readonly dir: string;
  readonly log: (line: string) => void;
  readonly graceMs: number;
  /** The replica holding the Lease now (undefined: none does). */
  holder(): Promise<Replica | undefined>;
  /** Every replica running, one holding the Lease, the watcher converged; or throws after `timeoutMs`. */
  steady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSuite(options: SuiteOptions = {}): Promise<Suite> {
  const log = options.log ?? (() => {});
  const graceMs = options.graceMs ?? 25_000;
  log("starting a control plane of its own (tools/cluster/up.sh)");
  const cluster = await startOwnCluster();
  const closers: (() => Promise<void>)[] = [() => cluster.stop()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.state.kubeconfig);
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-faults-"));
    const namespace = `${NAMESPACE_PREFIX}-main`;
    const watcher = startInvariantWatcher({ kc, namespacePrefix: NAMESPACE_PREFIX, graceMs });
    closers.push(() => watcher.stop());
    const node = cluster.state.manualNodes[0] ?? "manual-node-0";
    log(`creating ${options.services ?? 20} opted-in Services with 3 pods each in ${namespace}`);
    const workload = await createWorkload(kc, {
      namespace,
      services: options.services ?? 20,
      podsPerService: 3,
      node,
      ipBlock: 200,
    });
    // A source whose leader name is taken by a foreign Service: zen-lead must leave that one alone.
    await request(kc, "POST", `/api/v1/namespaces/${namespace}/services`, {
      body: { metadata: { name: "collide-leader" }, spec: { ports: [{ port: 80 }] } },
    });
    await request(kc, "POST", `/api/v1/namespaces/${namespace}/services`, {
      body: {
        metadata: { name: "collide", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: { app: "svc-0" }, ports: [{ port: 80 }] },
      },
    });
    await waitFor("the watcher to see the foreign Service", () =>
      watcher.sources().includes(`${namespace}/collide`) ? true : undefined,
    );
    await sleep(500);
    watcher.guard("Service", `${namespace}/collide-leader`);

    const replicas: Replica[] = [];
    closers.push(async () => {
      for (const r of replicas) await r.close();
    });
    for (const name of ["replica-a", "replica-b"]) {
      const replica = await startReplica({
        name,
        kubeconfig: cluster.state.kubeconfig,
        apiServerPort: cluster.state.ports.apiserver ?? 0,
        leaseNamespace: namespace,
        dir,
        ...(options.replicaArgs !== undefined ? { extraArgs: options.replicaArgs } : {}),
      });
      replicas.push(replica);
      await replica.start();
    }
    log(`two zen-lead replicas running (logs in ${dir})`);

    const suite: Suite = {
      cluster,
      kc,
      workload,
      watcher,
      replicas,
      dir,
      log,
      graceMs,
      async holder() {
        const name = await leaseHolder(kc, namespace);
        return replicas.find((r) => r.name === name && r.running());
      },
      async steady(timeoutMs = 120_000) {
        for (const r of replicas) if (!r.running()) await r.start();
        await waitFor("a replica to hold the Lease", () => suite.holder(), { timeoutMs });
        await waitFor(
          "every replica to be ready",
          async () => ((await Promise.all(replicas.map((r) => r.ready()))).every(Boolean) ? true : undefined),
          { timeoutMs },
        );
        await waitFor(
          "every source to lead a candidate",
          async () => (watcher.converged().ok && (await watcher.convergedNow()).ok ? true : undefined),
          { timeoutMs },
        );
      },
      close,
    };
    await suite.steady();
    return suite;
  } catch (error) {
    await close();
    throw error;
  }
}
