/**
 * What one write of zen-lead's costs on the real API server, by method (issue 13 §1). Prints
 * `name: value unit` lines; asserts nothing about timing.
 *
 *   node packages/k8s-adapter/bench/write-cost.bench.ts [--writes N] [--rounds N] [--state FILE]
 *
 * Without `--state` (a running cluster's state file, tools/cluster/up.sh) it starts its own control plane (tools/cluster/up.sh, torn down at the
 * end). In namespace `write-cost` it creates one EndpointSlice and one Service per method, then
 * writes each `--writes` times in interleaved rounds (so every method sees the same load): the
 * slice's one endpoint moves between two addresses (a failover), the Service's leader annotations
 * change (its bookkeeping). Every request goes through the adapter's `request()` — the pool
 * zen-lead uses. Per method it prints the client round trip (p50, p90) and the CPU the API server
 * and etcd spent per write (from /proc, their utime + stime over the method's writes).
 *
 * Methods, each with a uid precondition (the object must be the one zen-lead observed):
 * - `apply`: server-side apply (force, field manager zen-lead, `metadata.uid` in the body) — what
 *   the applier sent before this issue;
 * - `merge`: JSON merge patch of the whole manifest plus `metadata.uid`;
 * - `strategic`: strategic merge patch, the same body;
 * - `json-patch`: a JSON patch `test /metadata/uid` then `replace` of the fields that change;
 * - `put` (the floor): a PUT of the whole object at its last resourceVersion — what the built-in
 *   EndpointSlice controller sends; zen-lead keeps small views, not whole objects, so it cannot.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { KubeConfig } from "@kubernetes/client-node";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { BenchRun } from "@zen-lead/test-cluster/bench-run";
import { figures, quantile } from "@zen-lead/test-cluster/figures";
import { cpuMs } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import { request } from "../src/index.ts";

const values = benchArgs(
  "write-cost.bench.ts",
  "write-cost.bench.ts [--writes N] [--rounds N] [--state FILE]",
  {
    writes: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    state: { type: "string" },
  },
  ["writes", "rounds"],
);
const WRITES = Number(values.writes);
const ROUNDS = Number(values.rounds);
if (!(WRITES > 0) || !(ROUNDS > 0)) {
  process.stderr.write("usage: write-cost.bench.ts [--writes N] [--rounds N] [--state FILE]\n");
  process.exit(2);
}
const NS = "write-cost";
const { log, print } = figures("write-cost");

const bench = new BenchRun(log);

// ---- the methods -----------------------------------------------------------------------------------

type Json = Record<string, unknown>;
interface Target {
  readonly kind: "EndpointSlice" | "Service";
  readonly path: string;
  uid: string;
  /** The whole object as last answered (for `put`). */
  live: Json;
}
type Method = "apply" | "merge" | "strategic" | "json-patch" | "put";
const METHODS: readonly Method[] = ["apply", "merge", "strategic", "json-patch", "put"];

const owner = (uid: string) => [{ apiVersion: "v1", kind: "Service", name: "src", uid, controller: true }];

function sliceManifest(name: string, ownerUid: string, address: string): Json {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: NS,
      labels: {
        "kubernetes.io/service-name": `${name}-leader`,
        "endpointslice.kubernetes.io/managed-by": "bench.zen-lead.io",
        "zen-lead.io/managed-by": "zen-lead",
      },
      ownerReferences: owner(ownerUid),
    },
    addressType: "IPv4",
    endpoints: [
      {
        addresses: [address],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", namespace: NS, name: `pod-${address}`, uid: `uid-${address}` },
        nodeName: "manual-node-0",
        zone: "zone-a",
      },
    ],
    ports: [{ name: "web", protocol: "TCP", port: 8080 }],
  };
}

function serviceManifest(name: string, ownerUid: string, leader: string): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: NS,
      labels: { "zen-lead.io/managed-by": "zen-lead", "zen-lead.io/source-service": "src" },
      annotations: {
        "zen-lead.io/leader-pod": `pod-${leader}`,
        "zen-lead.io/leader-pod-uid": `uid-${leader}`,
        "zen-lead.io/leader-since": new Date().toISOString(),
      },
      ownerReferences: owner(ownerUid),
    },
    spec: { type: "ClusterIP", ports: [{ name: "web", protocol: "TCP", port: 80, targetPort: 8080 }] },
  };
}

function withUid(manifest: Json, uid: string): Json {
  return { ...manifest, metadata: { ...(manifest.metadata as Json), uid } };
}

/** One write of `method` to `target`, changing what a failover changes. Resolves with the answer. */
async function write(kc: KubeConfig, method: Method, target: Target, n: number): Promise<Json> {
  const address = n % 2 === 0 ? "10.251.0.1" : "10.251.0.2";
  const name = target.path.slice(target.path.lastIndexOf("/") + 1);
  const ownerUid = ((target.live.metadata as Json).ownerReferences as Json[])[0]?.uid as string;
  const manifest =
    target.kind === "EndpointSlice"
      ? sliceManifest(name, ownerUid, address)
      : serviceManifest(name, ownerUid, address);
  const send = (verb: "PATCH" | "PUT", contentType: string, body: unknown, query = {}) =>
    request(kc, verb, target.path, { query: { fieldManager: "zen-lead", ...query }, contentType, body });
  switch (method) {
    case "apply":
      return (await send("PATCH", "application/apply-patch+yaml", withUid(manifest, target.uid), {
        force: true,
      })) as Json;
    case "merge":
      return (await send("PATCH", "application/merge-patch+json", withUid(manifest, target.uid))) as Json;
    case "strategic":
      return (await send(
        "PATCH",
        "application/strategic-merge-patch+json",
        withUid(manifest, target.uid),
      )) as Json;
    case "json-patch": {
      const changes =
        target.kind === "EndpointSlice"
          ? [{ op: "replace", path: "/endpoints", value: manifest.endpoints }]
          : [
              {
                op: "replace",
                path: "/metadata/annotations",
                value: (manifest.metadata as Json).annotations,
              },
            ];
      return (await send("PATCH", "application/json-patch+json", [
        { op: "test", path: "/metadata/uid", value: target.uid },
        ...changes,
      ])) as Json;
    }
    case "put": {
      const live = target.live;
      const body =
        target.kind === "EndpointSlice"
          ? { ...live, endpoints: manifest.endpoints }
          : {
              ...live,
              metadata: { ...(live.metadata as Json), annotations: (manifest.metadata as Json).annotations },
            };
      return (await send("PUT", "application/json", body)) as Json;
    }
  }
}

async function main() {
  let path = values.state;
  if (path === undefined) {
    log("starting the cluster (tools/cluster/up.sh)");
    path = (await bench.cluster()).statePath;
  }
  const state = JSON.parse(readFileSync(path, "utf8")) as {
    kubeconfig: string;
    pids: Record<string, number>;
  };
  const kubeconfig = state.kubeconfig;
  // The first pids: a component restarted through the control socket has another one.
  const pids = { apiserver: state.pids["kube-apiserver"] as number, etcd: state.pids.etcd as number };
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await request(kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
  for (;;) {
    try {
      await request(kc, "POST", "/api/v1/namespaces", { body: { metadata: { name: NS } } });
      break;
    } catch {
      await sleep(500); // the previous run's namespace is still terminating
    }
  }
  const source = (await request(kc, "POST", `/api/v1/namespaces/${NS}/services`, {
    body: { metadata: { name: "src" }, spec: { ports: [{ port: 80 }] } },
  })) as Json;
  const sourceUid = (source.metadata as Json).uid as string;

  const targets = new Map<string, Target>();
  for (const method of METHODS) {
    for (const kind of ["EndpointSlice", "Service"] as const) {
      const name = `${method}-${kind === "EndpointSlice" ? "slice" : "svc"}`;
      const collection =
        kind === "EndpointSlice"
          ? `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`
          : `/api/v1/namespaces/${NS}/services`;
      const manifest =
        kind === "EndpointSlice"
          ? sliceManifest(name, sourceUid, "10.251.0.2")
          : serviceManifest(name, sourceUid, "10.251.0.2");
      const created = (await request(kc, "POST", collection, {
        query: { fieldManager: "zen-lead" },
        body: manifest,
      })) as Json;
      targets.set(`${method}/${kind}`, {
        kind,
        path: `${collection}/${name}`,
        uid: (created.metadata as Json).uid as string,
        live: created,
      });
    }
  }

  const roundTrips = new Map<string, number[]>();
  const serverCpu = new Map<string, number>();
  const etcdCpu = new Map<string, number>();
  const perRound = Math.ceil(WRITES / ROUNDS);
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ["EndpointSlice", "Service"] as const) {
      for (const method of METHODS) {
        const key = `${method}/${kind}`;
        const target = targets.get(key) as Target;
        const samples = roundTrips.get(key) ?? [];
        roundTrips.set(key, samples);
        const cpu0 = cpuMs(pids.apiserver);
        const etcd0 = cpuMs(pids.etcd);
        for (let i = 0; i < perRound; i++) {
          const t0 = performance.now();
          target.live = await write(kc, method, target, n++);
          samples.push(performance.now() - t0);
          await sleep(5);
        }
        serverCpu.set(key, (serverCpu.get(key) ?? 0) + cpuMs(pids.apiserver) - cpu0);
        etcdCpu.set(key, (etcdCpu.get(key) ?? 0) + cpuMs(pids.etcd) - etcd0);
      }
    }
    log(`round ${r + 1}/${ROUNDS} done`);
  }

  print("writes per method and kind", perRound * ROUNDS);
  for (const kind of ["EndpointSlice", "Service"] as const) {
    const floor = quantile(roundTrips.get(`put/${kind}`) ?? [], 0.5);
    const floorCpu = (serverCpu.get(`put/${kind}`) ?? 0) / (perRound * ROUNDS);
    for (const method of METHODS) {
      const key = `${method}/${kind}`;
      const samples = roundTrips.get(key) ?? [];
      const cpu = (serverCpu.get(key) ?? 0) / samples.length;
      print(`${kind} ${method} round trip p50`, quantile(samples, 0.5), "ms");
      print(`${kind} ${method} round trip p90`, quantile(samples, 0.9), "ms");
      print(`${kind} ${method} kube-apiserver CPU per write`, cpu, "ms");
      print(`${kind} ${method} etcd CPU per write`, (etcdCpu.get(key) ?? 0) / samples.length, "ms");
      print(`${kind} ${method} ratio round trip p50 / put p50`, quantile(samples, 0.5) / floor, "x");
      print(`${kind} ${method} ratio apiserver CPU / put`, cpu / floorCpu, "x");
    }
  }
  await request(kc, "DELETE", `/api/v1/namespaces/${NS}`).catch(() => undefined);
}

bench.run(main);
