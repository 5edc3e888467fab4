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
 *    managedFields included — printed; ../realistic-pod.ts). Settled when the built-in EndpointSlice controller's slices
 *    hold every pod as ready.
 * 3. Adoption, once per `--qps` setting (`QPS:BURST`, or `default`: the flags' defaults), each from
 *    a cluster without zen-lead's objects: start to ready (/readyz), start to every leader slice
 *    naming a pod (seen by this script's own watch: "adoption time"), then, once zen-lead's applier
 *    is idle (its `zen_lead_write_queue_depth` 0), the writes zen-lead made (its
 *    `zen_lead_apply_duration_seconds_count`, one per write) and the requests it sent by method
 *    (`rest_client_requests_total`: goal one write request per object), CPU to adopt, RSS.
 * 4. Idle (the last adoption's process): RSS and JS heap after `--idle-seconds` (steady after the
 *    initial lists?), CPU per second idle, RSS / (2 × heap + 100 MiB), MiB per 1,000 pods over the floor.
 * 5. Load: `--flips` readiness flips a second of random pods of the second half of the Services
 *    for `--load-seconds`, and meanwhile `--failovers` failovers in the first half (a leader written
 *    NotReady; the sample ends when this script's watch sees its slice name another pod): failover
 *    p50 / p99 under load, CPU per second, RSS at the end. Then failovers alone, one a second:
 *    CPU per failover over the idle CPU.
 *
 * One module per part, in ./scale: options, api (requests), workload, leader-objects, leader-watch,
 * zen-lead (the processes), and one per phase (floor, adoption, idle, load).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { BenchRun } from "@zen-lead/test-cluster/bench-run";
import { figures } from "@zen-lead/test-cluster/figures";
import { imageEnv, imageNodeFlags } from "@zen-lead/test-cluster/image-settings";
import type { ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";
import { podAsServed } from "./realistic-pod.ts";
import { adopt } from "./scale/adoption.ts";
import { measureFloor } from "./scale/floor.ts";
import { measureIdle } from "./scale/idle.ts";
import { LeaderWatch } from "./scale/leader-watch.ts";
import { measureLoad } from "./scale/load.ts";
import { scaleOptions } from "./scale/options.ts";
import { createWorkload, workloadNames, workloadSettled } from "./scale/workload.ts";
import { ZenLeads, zenLeadMain } from "./scale/zen-lead.ts";

const options = scaleOptions();
const { log, print } = figures("scale");

const bench = new BenchRun(log);

async function main() {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "zen-lead-scale-"));
  let statePath = options.state;
  if (statePath === undefined) {
    log(`starting a control plane with ${options.nodes} kwok nodes (tools/cluster/up.sh)`);
    statePath = (await bench.cluster(["--nodes", String(options.nodes)], options.keep)).statePath;
    if (options.keep) log(`the cluster is kept: --state ${statePath}`);
  }
  const state = JSON.parse(readFileSync(statePath, "utf8")) as { kubeconfig: string; nodes: string[] };
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const zenLeads = new ZenLeads(await zenLeadMain(options.fromSource), state.kubeconfig, dir);
  bench.defer(() => zenLeads.stopAll());
  const pods = options.services * options.podsPerService;
  print("zen-lead", options.fromSource ? "from source (node strips types)" : "packed CLI, as installed");
  print("node flags", imageNodeFlags().join(" ") || "none");
  print(
    "allocator",
    Object.entries(imageEnv())
      .map(([k, v]) => `${k}=${v}`)
      .join(" ") || "glibc defaults",
  );
  print("services", options.services);
  print("pods", pods);

  const floorRss = await measureFloor(kc, zenLeads);

  const setupStart = performance.now();
  await createWorkload(kc, options, state.nodes);
  await workloadSettled(kc, pods);
  print(
    "setup (create, kwok makes Ready, built-in slices settle)",
    (performance.now() - setupStart) / 1000,
    "s",
  );
  const names = workloadNames(options);
  const sample = JSON.stringify(
    await request(kc, "GET", `/api/v1/namespaces/${names.namespace(0)}/pods/${names.pod(0, 0)}`),
  );
  writeFileSync(join(dir, "pod-as-served.json"), sample);
  print("pod JSON as served (managedFields included)", sample.length / 1024, "KiB");
  const fixture = podAsServed(
    { app: names.service(0), name: names.pod(0, 0), node: state.nodes[0] ?? "", team: 0 },
    { namespace: names.namespace(0), serial: 0 },
  );
  print(
    "the list-memory bench's pod (realistic-pod.ts, podAsServed)",
    JSON.stringify(fixture).length / 1024,
    "KiB",
  );

  const watch = new LeaderWatch(kc);
  let z: ZenLeadProcess | undefined;
  for (const [n, setting] of options.qps.entries()) {
    await z?.stop();
    z = await adopt(kc, options, zenLeads, watch, setting, n);
  }
  if (z === undefined) throw new Error("no adoption ran");
  const idle = await measureIdle(z, options, floorRss);
  await measureLoad(kc, options, z, watch, idle);
  watch.stop();
  print("total runtime", (performance.now() - started) / 1000, "s");
}

bench.run(main);
