/**
 * zen-lead at scale (issue 13 §3, §4): a real cluster of thousands of opted-in Services and tens of
 * thousands of realistic pods (kwok), and `zen-lead run` as users run it — the packed CLI
 * (scripts/install-packed) with the image's V8 flags, its own process. Prints `name: value unit`
 * lines; asserts nothing about timing or size.
 *
 *   node packages/cli/bench/scale.bench.ts [--services 2000] [--pods 40000] [--namespaces 20]
 *        [--nodes 10] [--qps 50:100,default] [--idle-seconds 30] [--load-seconds 60] [--flips 5]
 *        [--failovers 60] [--state FILE] [--keep] [--from-source]
 *
 * Without `--state` it starts its own control plane (tools/cluster/up.sh, `--nodes` kwok nodes) and
 * tears it down at the end (`--keep`: leave it up and print its state file, for another run with
 * `--state`, which reuses the workload already there). Phases:
 *
 * 1. Floor: zen-lead watching one empty namespace (it still lists Nodes): the process with nothing
 *    to keep — its RSS, heap and start-to-ready.
 * 2. Workload: N Services annotated `zen-lead.io/enabled`, each with pods/N pods bound to kwok's
 *    nodes (kwok makes them Running and Ready), of realistic size (labels, annotations, two
 *    containers with env, probes, resources, volumes; ~8 KB of JSON as the API server serves them,
 *    managedFields included — printed). Settled when the built-in EndpointSlice controller's slices
 *    hold every pod as ready.
 * 3. Adoption, once per `--qps` setting (`QPS:BURST`, or `default`: the flags' defaults), each from
 *    a cluster without zen-lead's objects: start to ready (/readyz), start to every leader slice
 *    naming a pod (seen by this script's own watch: "adoption time"), the writes zen-lead made
 *    (its `zen_lead_apply_duration_seconds_count`, one per write) and the requests it sent by method
 *    (`rest_client_requests_total`: goal one write request per object), CPU to adopt, RSS.
 * 4. Idle (the last adoption's process): RSS and JS heap after `--idle-seconds` (steady after the
 *    initial lists?), CPU per second idle, RSS / (2 × heap + 100 MiB), MiB per 1,000 pods over the floor.
 * 5. Load: `--flips` readiness flips a second of random pods of the second half of the Services
 *    for `--load-seconds`, and meanwhile `--failovers` failovers in the first half (a leader written
 *    NotReady; the sample ends when this script's watch sees its slice name another pod): failover
 *    p50 / p99 under load, CPU per second, RSS at the end. Then failovers alone, one a second:
 *    CPU per failover over the idle CPU.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { figures, pool, quantile, round } from "@zen-lead/test-cluster/figures";
import { imageEnv, imageNodeFlags } from "@zen-lead/test-cluster/image-settings";
import { clusterDown, clusterUp } from "@zen-lead/test-cluster/lifecycle";
import { cpuMs, rssBytes } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import { installPacked } from "./packed-cli.ts";

const { values } = parseArgs({
  options: {
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
});
const SERVICES = Number(values.services);
const PODS = Number(values.pods);
const NAMESPACES = Number(values.namespaces);
const NODES = Number(values.nodes);
const IDLE_S = Number(values["idle-seconds"]);
const LOAD_S = Number(values["load-seconds"]);
const FLIPS = Number(values.flips);
const FAILOVERS = Number(values.failovers);
const QPS_SETTINGS = values.qps.split(",").map((s) => s.trim());
const PODS_PER_SERVICE = Math.floor(PODS / SERVICES);
if (
  ![SERVICES, PODS, NAMESPACES, NODES, IDLE_S, LOAD_S, FLIPS].every((n) => Number.isInteger(n) && n > 0) ||
  !(FAILOVERS >= 0) ||
  PODS_PER_SERVICE < 2 ||
  QPS_SETTINGS.some((q) => q !== "default" && !/^\d+(\.\d+)?:\d+$/.test(q))
) {
  process.stderr.write(
    "usage: scale.bench.ts [--services N] [--pods N (>= 2 per Service)] [--namespaces N] [--nodes N]\n" +
      "       [--qps QPS:BURST|default,...] [--idle-seconds N] [--load-seconds N] [--flips N]\n" +
      "       [--failovers N] [--state FILE] [--keep] [--from-source]\n",
  );
  process.exit(2);
}

const ROOT = join(import.meta.dirname, "../../..");
const MIB = 2 ** 20;
const { log, print } = figures("scale");
const SLICE_SELECTOR = "endpointslice.kubernetes.io/managed-by=controller.zen-lead.io";
const BUILTIN_SELECTOR = "endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io";

/** Retries a request on a transient failure (the API server is busy while we load it). */
async function retry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      if (i >= attempts || (status !== 0 && status !== 429 && status < 500)) throw error;
      await sleep(250 * i);
    }
  }
}

/** Creates, or finds it already there (a rerun on a kept cluster). */
async function ensure(kc: KubeConfig, path: string, body: unknown): Promise<void> {
  try {
    await retry(() => request(kc, "POST", path, { body }));
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
  }
}

// ---- the workload ---------------------------------------------------------------------------------

const nsOf = (i: number) => `scale-${i % NAMESPACES}`;
const serviceName = (i: number) => `s${i}`;
const podName = (i: number, j: number) => `s${i}-${j}`;

function serviceBody(i: number) {
  return {
    metadata: {
      name: serviceName(i),
      labels: { app: serviceName(i), team: `team-${i % 17}`, "app.kubernetes.io/part-of": "scale-bench" },
      annotations: { "zen-lead.io/enabled": "true" },
    },
    spec: {
      selector: { app: serviceName(i) },
      ports: [
        { name: "http", port: 80, targetPort: "http" },
        { name: "metrics", port: 9090, targetPort: 9090 },
      ],
    },
  };
}

/** A pod as a Deployment would make it, minus the owner (the garbage collector would delete it). */
function podBody(i: number, j: number, node: string) {
  const app = serviceName(i);
  const env = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, k) => ({ name: `${prefix}_SETTING_${k}`, value: `value-${k}-${app}` }));
  const probe = (path: string) => ({
    httpGet: { path, port: "http", scheme: "HTTP" },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold: 3,
  });
  return {
    metadata: {
      name: podName(i, j),
      labels: {
        app,
        "pod-template-hash": "7c9f8d6b5",
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/version": "1.24.3",
        "app.kubernetes.io/part-of": "scale-bench",
        team: `team-${i % 17}`,
      },
      annotations: {
        "kubectl.kubernetes.io/restartedAt": "2026-11-01T10:00:00Z",
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
        "checksum/config": "5d41402abc4b2a76b9719d911017c592a5d41402abc4b2a76b9719d911017c592",
      },
    },
    spec: {
      nodeName: node,
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: "app",
          image: `registry.invalid/${app}:1.24.3`,
          ports: [
            { name: "http", containerPort: 8080, protocol: "TCP" },
            { name: "metrics", containerPort: 9090, protocol: "TCP" },
          ],
          env: env("APP", 12),
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          readinessProbe: probe("/ready"),
          livenessProbe: probe("/healthz"),
          volumeMounts: [
            { name: "config", mountPath: "/etc/app" },
            { name: "tmp", mountPath: "/tmp" },
          ],
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
        {
          name: "proxy",
          image: "registry.invalid/proxy:2.1.0",
          args: ["--listen=:15001", "--upstream=127.0.0.1:8080", "--log-level=info"],
          env: env("PROXY", 6),
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        },
      ],
      volumes: [
        { name: "config", configMap: { name: `${app}-config` } },
        { name: "tmp", emptyDir: {} },
      ],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app } },
                topologyKey: "kubernetes.io/hostname",
              },
            },
          ],
        },
      },
    },
  };
}

async function createWorkload(kc: KubeConfig, nodes: readonly string[]): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++)
    await ensure(kc, "/api/v1/namespaces", { metadata: { name: `scale-${n}` } });
  const indexes = Array.from({ length: SERVICES }, (_, i) => i);
  let done = 0;
  await pool(indexes, 16, async (i) => {
    await ensure(kc, `/api/v1/namespaces/${nsOf(i)}/services`, serviceBody(i));
    for (let j = 0; j < PODS_PER_SERVICE; j++) {
      const node = nodes[(i * PODS_PER_SERVICE + j) % nodes.length] as string;
      await ensure(kc, `/api/v1/namespaces/${nsOf(i)}/pods`, podBody(i, j, node));
    }
    if (++done % 200 === 0) log(`created ${done}/${SERVICES} Services with ${PODS_PER_SERVICE} pods each`);
  });
}

interface Page {
  items?: unknown[];
  metadata?: { continue?: string };
}

/** Ready endpoints in the built-in controller's slices of the bench's Services (every pod, once settled). */
async function builtinReadyEndpoints(kc: KubeConfig): Promise<number> {
  let ready = 0;
  let cont: string | undefined;
  do {
    const page = (await request(kc, "GET", "/apis/discovery.k8s.io/v1/endpointslices", {
      query: { labelSelector: BUILTIN_SELECTOR, limit: 500, continue: cont },
    })) as Page;
    for (const s of (page.items ?? []) as { endpoints?: { conditions?: { ready?: boolean } }[] }[])
      for (const e of s.endpoints ?? []) if (e.conditions?.ready === true) ready++;
    cont = page.metadata?.continue || undefined;
  } while (cont !== undefined);
  return ready;
}

/** zen-lead's leader Services and slices in the bench's namespaces. */
async function leaderObjects(kc: KubeConfig): Promise<number> {
  let count = 0;
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `scale-${n}`;
    for (const [path, labelSelector] of [
      [`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, SLICE_SELECTOR],
      [`/api/v1/namespaces/${ns}/services`, "app.kubernetes.io/managed-by=zen-lead"],
    ] as const) {
      const list = (await retry(() => request(kc, "GET", path, { query: { labelSelector } }))) as Page;
      count += list.items?.length ?? 0;
    }
  }
  return count;
}

/** Deletes zen-lead's leader Services and slices, until none is left: the next start adopts from scratch. */
async function deleteLeaderObjects(kc: KubeConfig): Promise<void> {
  for (let round = 1; ; round++) {
    await deleteLeaderObjectsOnce(kc);
    const left = await leaderObjects(kc);
    if (left === 0) return;
    if (round >= 10) throw new Error(`${left} leader objects still there after 10 rounds of deletes`);
    log(`${left} leader objects left after a round of deletes; again`);
  }
}

async function deleteLeaderObjectsOnce(kc: KubeConfig): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `scale-${n}`;
    await retry(() =>
      request(kc, "DELETE", `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, {
        query: { labelSelector: SLICE_SELECTOR },
      }),
    );
    const list = (await request(kc, "GET", `/api/v1/namespaces/${ns}/services`, {
      query: { labelSelector: "app.kubernetes.io/managed-by=zen-lead" },
    })) as Page;
    const names = ((list.items ?? []) as { metadata: { name: string } }[]).map((s) => s.metadata.name);
    await pool(names, 32, async (name) => {
      await retry(() => request(kc, "DELETE", `/api/v1/namespaces/${ns}/services/${name}`)).catch(
        () => undefined,
      );
    });
  }
}

// ---- this script's own watch of the leader slices ----------------------------------------------

/** The first endpoint's pod of each leader slice (`namespace/service`), from one watch of them all. */
class LeaderWatch {
  readonly leaders = new Map<string, string>();
  private waiters: {
    key: string;
    test: (pod: string | undefined) => boolean;
    resolve: (at: number) => void;
  }[] = [];
  private abort = new AbortController();
  private rv = "";
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  async start(): Promise<void> {
    let cont: string | undefined;
    do {
      const page = (await request(this.kc, "GET", "/apis/discovery.k8s.io/v1/endpointslices", {
        query: { labelSelector: SLICE_SELECTOR, limit: 500, continue: cont },
      })) as Page & { metadata?: { resourceVersion?: string } };
      for (const s of page.items ?? []) this.see("ADDED", s);
      cont = page.metadata?.continue || undefined;
      this.rv = page.metadata?.resourceVersion ?? this.rv;
    } while (cont !== undefined);
    void this.follow();
  }

  private async follow(): Promise<void> {
    const { openStream } = await import("@zen-lead/k8s-adapter");
    while (!this.abort.signal.aborted) {
      try {
        const body = await openStream(this.kc, "/apis/discovery.k8s.io/v1/endpointslices", {
          query: {
            watch: true,
            labelSelector: SLICE_SELECTOR,
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
          },
          signal: this.abort.signal,
        });
        let buffered = "";
        const decoder = new TextDecoder();
        for await (const chunk of body) {
          buffered += decoder.decode(chunk, { stream: true });
          for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim() === "") continue;
            const event = JSON.parse(line) as {
              type: string;
              object: { metadata?: { resourceVersion?: string } };
            };
            this.rv = event.object.metadata?.resourceVersion ?? this.rv;
            if (event.type === "ERROR")
              this.rv = ""; // too old: start from now (the map stays)
            else if (event.type !== "BOOKMARK") this.see(event.type, event.object);
          }
        }
      } catch {
        if (!this.abort.signal.aborted) await sleep(100);
      }
    }
  }

  private see(type: string, object: unknown): void {
    const at = performance.now();
    const slice = object as {
      metadata: { namespace: string; labels?: Record<string, string> };
      endpoints?: { targetRef?: { name?: string } }[];
    };
    const key = `${slice.metadata.namespace}/${slice.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`;
    const pod = type === "DELETED" ? undefined : slice.endpoints?.[0]?.targetRef?.name;
    if (pod === undefined) this.leaders.delete(key);
    else this.leaders.set(key, pod);
    this.waiters = this.waiters.filter((w) => {
      if (w.key !== key || !w.test(pod)) return true;
      w.resolve(at);
      return false;
    });
  }

  /** performance.now() of the first event from now on where `test` holds for the key's leader. */
  until(key: string, test: (pod: string | undefined) => boolean, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${key}`)), timeoutMs);
      this.waiters.push({
        key,
        test,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  stop(): void {
    this.abort.abort();
  }
}

// ---- zen-lead, as users run it -----------------------------------------------------------------

async function zenLeadMain(): Promise<string> {
  if (values["from-source"]) return join(ROOT, "packages/cli/src/main.ts");
  log("building and installing the packed CLI (scripts/install-packed)");
  const project = await installPacked();
  return join(project, "node_modules/@zen-lead/cli/dist/main.js");
}

interface ZenLead {
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves with performance.now() of the first /readyz 200. */
  readonly ready: Promise<number>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

let port = 19_000 + (process.pid % 1000) * 4;
const running = new Set<ZenLead>();

function startZenLead(main: string, kubeconfig: string, args: readonly string[], logFile: string): ZenLead {
  const metricsPort = port++;
  const healthPort = port++;
  const startedAt = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...imageNodeFlags(),
      main,
      "run",
      "--kubeconfig",
      kubeconfig,
      "--lease-namespace",
      "default",
      "--lease-name",
      `scale-${metricsPort}`,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--health-addr",
      `127.0.0.1:${healthPort}`,
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...imageEnv() } },
  );
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`zen-lead exited with ${child.exitCode} (log: ${logFile})`);
      const ok = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now();
      await sleep(50);
    }
  })();
  const z: ZenLead = {
    pid: child.pid as number,
    startedAt,
    ready,
    metrics: () => fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()),
    async stop() {
      running.delete(z);
      child.kill("SIGTERM");
      await exited;
    },
  };
  running.add(z);
  return z;
}

/** The sum of a metric's samples whose labels contain `match` (e.g. `method="PATCH"`). */
function metricSum(text: string, name: string, match = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || line.startsWith("#")) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    if (match !== "" && !rest.includes(match)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** RSS samples once a second for `seconds`: the median, in MiB. */
async function rssMedian(pid: number, seconds: number): Promise<number> {
  const samples: number[] = [];
  for (let s = 0; s < seconds; s++) {
    samples.push(rssBytes(pid) / MIB);
    await sleep(1000);
  }
  return quantile(samples, 0.5);
}

// ---- main --------------------------------------------------------------------------------------

let statePath: string | undefined;
let ownCluster = false;
async function teardown() {
  for (const z of [...running]) await z.stop().catch(() => undefined);
  if (ownCluster && statePath !== undefined && !values.keep) {
    const path = statePath;
    statePath = undefined;
    await clusterDown(path).catch((error: unknown) => log(String(error)));
  }
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    log(`${signal}: tearing down`);
    void teardown().then(() => process.exit(130));
  });
}

async function main() {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "zen-lead-scale-"));
  if (values.state !== undefined) statePath = values.state;
  else {
    log(`starting a control plane with ${NODES} kwok nodes (tools/cluster/up.sh)`);
    // --watch-pid takes the cluster down with this process: not when it is to be kept.
    const watch = values.keep ? [] : ["--watch-pid", String(process.pid)];
    const up = await clusterUp([...watch, "--nodes", String(NODES)]);
    statePath = up.statePath;
    ownCluster = true;
  }
  const state = JSON.parse(readFileSync(statePath, "utf8")) as { kubeconfig: string; nodes: string[] };
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const main = await zenLeadMain();
  print("zen-lead", values["from-source"] ? "from source (node strips types)" : "packed CLI, as installed");
  print("node flags", imageNodeFlags().join(" ") || "none");
  print(
    "allocator",
    Object.entries(imageEnv())
      .map(([k, v]) => `${k}=${v}`)
      .join(" ") || "glibc defaults",
  );
  print("services", SERVICES);
  print("pods", SERVICES * PODS_PER_SERVICE);

  // ---- 1. the floor: nothing to keep ----
  await ensure(kc, "/api/v1/namespaces", { metadata: { name: "scale-empty" } });
  const empty = startZenLead(main, state.kubeconfig, ["-n", "scale-empty"], join(dir, "floor.log"));
  const emptyReady = (await empty.ready) - empty.startedAt;
  const floorRss = await rssMedian(empty.pid, 10);
  const floorText = await empty.metrics();
  await empty.stop();
  print("floor (one empty namespace): start to ready", emptyReady, "ms");
  print("floor: RSS", floorRss, "MiB");
  print("floor: JS heap used", metricSum(floorText, "nodejs_heap_size_used_bytes") / MIB, "MiB");

  // ---- 2. the workload ----
  const setupStart = performance.now();
  await createWorkload(kc, state.nodes);
  const total = SERVICES * PODS_PER_SERVICE;
  for (let last = -1; ; ) {
    const ready = await builtinReadyEndpoints(kc);
    if (ready >= total) break;
    if (ready !== last) log(`${ready}/${total} pods Ready in the built-in EndpointSlices`);
    last = ready;
    await sleep(5000);
  }
  print(
    "setup (create, kwok makes Ready, built-in slices settle)",
    (performance.now() - setupStart) / 1000,
    "s",
  );
  const sample = JSON.stringify(
    await request(kc, "GET", `/api/v1/namespaces/${nsOf(0)}/pods/${podName(0, 0)}`),
  );
  print("pod JSON as served (managedFields included)", sample.length / 1024, "KiB");

  // ---- 3. adoption per write-limit setting ----
  const watch = new LeaderWatch(kc);
  let z: ZenLead | undefined;
  for (const [n, setting] of QPS_SETTINGS.entries()) {
    await deleteLeaderObjects(kc);
    await sleep(2000);
    const [qps, burst] = setting === "default" ? [] : setting.split(":");
    const args = qps === undefined ? [] : ["--kube-api-qps", qps, "--kube-api-burst", burst as string];
    const label =
      setting === "default" ? "default write limit" : `--kube-api-qps ${qps} --kube-api-burst ${burst}`;
    if (n === 0) await watch.start();
    log(`adoption with ${label}`);
    z = startZenLead(main, state.kubeconfig, args, join(dir, `adopt-${n}.log`));
    const readyAt = await z.ready;
    const readyCpu = cpuMs(z.pid);
    const readyRss = rssBytes(z.pid) / MIB;
    for (;;) {
      if (watch.leaders.size >= SERVICES) break;
      if (performance.now() - z.startedAt > 900_000)
        throw new Error(`only ${watch.leaders.size} leader slices after 15 min`);
      await sleep(100);
    }
    const adoptedAt = performance.now();
    const adoptCpu = cpuMs(z.pid);
    const adoptRss = rssBytes(z.pid) / MIB;
    await sleep(5000); // the leader Services' writes finish
    const text = await z.metrics();
    print(`adoption (${label}): start to ready`, (readyAt - z.startedAt) / 1000, "s");
    print(`adoption (${label}): start to every leader slice written`, (adoptedAt - z.startedAt) / 1000, "s");
    print(`adoption (${label}): CPU to ready (lists, first fold)`, readyCpu / 1000, "s");
    print(`adoption (${label}): CPU to adopt`, adoptCpu / 1000, "s");
    print(`adoption (${label}): RSS at ready / adopted`, `${round(readyRss)} / ${round(adoptRss)}`, "MiB");
    const writes = metricSum(text, "zen_lead_apply_duration_seconds_count");
    print(`adoption (${label}): writes (one per write action)`, writes);
    print(`adoption (${label}): writes per object (goal 1)`, writes / (2 * SERVICES));
    for (const method of ["POST", "PATCH", "PUT", "DELETE"])
      print(
        `adoption (${label}): ${method} requests`,
        metricSum(text, "rest_client_requests_total", `method="${method}"`),
      );
    print(
      `adoption (${label}): write results not done (conflict, retrying, rejected)`,
      metricSum(text, "zen_lead_apply_errors_total"),
    );
    if (n < QPS_SETTINGS.length - 1) {
      await z.stop();
      z = undefined;
    }
  }
  if (z === undefined) throw new Error("no adoption ran");

  // ---- 4. idle ----
  log(`idle for ${IDLE_S} s`);
  await sleep(IDLE_S * 1000);
  const idleCpu0 = cpuMs(z.pid);
  const idleRss = await rssMedian(z.pid, 10);
  const idleCpuPerS = (cpuMs(z.pid) - idleCpu0) / 10;
  const idleText = await z.metrics();
  const heapUsed = metricSum(idleText, "nodejs_heap_size_used_bytes") / MIB;
  const heapTotal = metricSum(idleText, "nodejs_heap_size_total_bytes") / MIB;
  print("idle: RSS (median of 10 s)", idleRss, "MiB");
  print("idle: JS heap used / total", `${round(heapUsed)} / ${round(heapTotal)}`, "MiB");
  print("idle: RSS / (2 x heap used + 100 MiB) (goal <= 1)", idleRss / (2 * heapUsed + 100), "x");
  print("idle: CPU", idleCpuPerS / 10, "% of a core");
  print("MiB per 1,000 pods (idle RSS over the floor)", (idleRss - floorRss) / (total / 1000), "MiB");

  // ---- 5. load: readiness flips and failovers ----
  log(`load: ${FLIPS} readiness flips/s for ${LOAD_S} s, ${FAILOVERS} failovers`);
  const status = (i: number, j: number, ready: boolean) =>
    request(kc, "PATCH", `/api/v1/namespaces/${nsOf(i)}/pods/${podName(i, j)}/status`, {
      contentType: "application/strategic-merge-patch+json",
      body: {
        status: {
          conditions: [
            { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date().toISOString() },
          ],
        },
      },
    });
  const notReady = new Set<string>();
  let stopLoad = false;
  let flips = 0;
  const leaderOf = (i: number) => watch.leaders.get(`${nsOf(i)}/${serviceName(i)}-leader`);
  const loadCpu0 = cpuMs(z.pid);
  const loadStart = performance.now();
  // Flips in the second half of the Services, failovers in the first: a failover always finds a
  // Ready pod to move to.
  const half = Math.floor(SERVICES / 2);
  const inFlight = new Set<Promise<unknown>>();
  const flipper = (async () => {
    for (let k = 0; !stopLoad; k++) {
      const due = loadStart + (k * 1000) / FLIPS;
      if (due > performance.now()) await sleep(due - performance.now());
      const i = half + Math.floor(Math.random() * (SERVICES - half));
      const j = Math.floor(Math.random() * PODS_PER_SERVICE);
      const name = podName(i, j);
      const ready = notReady.has(name);
      if (ready) notReady.delete(name);
      else notReady.add(name);
      const write = status(i, j, ready).catch(() => undefined);
      inFlight.add(write);
      void write.then(() => inFlight.delete(write));
      flips++;
    }
    await Promise.all(inFlight);
  })();
  const failoverMs: number[] = [];
  const gapMs = (LOAD_S * 1000) / Math.max(1, FAILOVERS);
  for (let f = 0; f < FAILOVERS; f++) {
    const i = Math.floor(Math.random() * half);
    const leader = leaderOf(i);
    if (leader === undefined) continue;
    const j = Number(leader.slice(leader.lastIndexOf("-") + 1));
    const seen = watch.until(
      `${nsOf(i)}/${serviceName(i)}-leader`,
      (pod) => pod !== undefined && pod !== leader,
    );
    const t0 = performance.now();
    await status(i, j, false);
    failoverMs.push((await seen) - t0);
    await status(i, j, true); // sticky: the new leader stays
    const next = t0 + gapMs;
    if (next > performance.now()) await sleep(next - performance.now());
  }
  const left = loadStart + LOAD_S * 1000 - performance.now();
  if (left > 0) await sleep(left);
  stopLoad = true;
  await flipper;
  const loadS = (performance.now() - loadStart) / 1000;
  const loadCpu = cpuMs(z.pid) - loadCpu0;
  const loadRss = rssBytes(z.pid) / MIB;
  const loadText = await z.metrics();
  print("load: readiness flips", flips / loadS, "/s");
  print("load: failovers", failoverMs.length);
  print("load: failover p50", quantile(failoverMs, 0.5), "ms");
  print("load: failover p99", quantile(failoverMs, 0.99), "ms");
  print("load: CPU", loadCpu / loadS / 10, "% of a core");
  print("load: RSS at the end", loadRss, "MiB");
  print("load: JS heap used at the end", metricSum(loadText, "nodejs_heap_size_used_bytes") / MIB, "MiB");
  print("load: RSS at the end / idle RSS", loadRss / idleRss, "x");
  // ---- CPU per failover: failovers alone, one a second, over the idle CPU ----
  const quiet = Math.max(10, Math.min(30, FAILOVERS));
  const quietCpu0 = cpuMs(z.pid);
  const quietStart = performance.now();
  for (let f = 0; f < quiet; f++) {
    const i = Math.floor(Math.random() * half);
    const leader = leaderOf(i);
    if (leader === undefined) continue;
    const j = Number(leader.slice(leader.lastIndexOf("-") + 1));
    const seen = watch.until(
      `${nsOf(i)}/${serviceName(i)}-leader`,
      (pod) => pod !== undefined && pod !== leader,
    );
    await status(i, j, false);
    await seen;
    await status(i, j, true);
    await sleep(1000);
  }
  const quietS = (performance.now() - quietStart) / 1000;
  const perFailover = (cpuMs(z.pid) - quietCpu0 - idleCpuPerS * quietS) / quiet;
  print("CPU per failover (failovers alone, over idle)", perFailover, "ms");
  // Back to all Ready, for a rerun on a kept cluster.
  await pool([...notReady], 16, async (name) => {
    const [i, j] = name.slice(1).split("-").map(Number) as [number, number];
    await status(i, j, true).catch(() => undefined);
  });
  watch.stop();
  print("total runtime", (performance.now() - started) / 1000, "s");
  if (values.keep && ownCluster) log(`cluster kept: --state ${statePath}`);
}

main()
  .catch((error: unknown) => {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await teardown();
    process.exit();
  });
