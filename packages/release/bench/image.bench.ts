/**
 * The image's size and start-to-ready time (docs/deploy.md, docs/benchmarks.md).
 *
 *   ./scripts/bench image [--runs N]      (default 5)
 *
 * Starts its own control plane (tools/cluster/up.sh; torn down at the end, and by itself if this
 * process dies), builds the image (deploy/image.sh) and runs it N times with runc as the chart's
 * pod (packages/release/src/runc.ts), timing `runc run` to /readyz 200 and SIGTERM to exit. The
 * floor, measured in the same run: the same packed CLI started N times as a plain process on the
 * host (Node from the same pinned binary, the same ServiceAccount token in a kubeconfig). Prints
 * `name: value unit` lines; medians, and the container's ratio to the floor.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { waitFor } from "@zen-lead/test-cluster/wait";
import { ROOT, succeed } from "../src/commands.ts";
import { consumerProject } from "../src/consumer-project.ts";
import { healthPort, isReady } from "../src/controller-log.ts";
import { unpackImage } from "../src/oci-image.ts";
import { startContainer } from "../src/runc.ts";
import { installServiceAccount, writeServiceAccountVolume } from "../src/service-account.ts";

const values = benchArgs(
  "image.bench.ts",
  "image.bench.ts [--runs N]",
  { runs: { type: "string", default: "5" } },
  ["runs"],
);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`image.bench: --runs must be a positive integer, got ${JSON.stringify(values.runs)}`);
  process.exit(2);
}

const log = (line: string) => console.error(`[bench] ${line}`);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Polls every 20 ms (a benchmark's waits are short), for at most 60 s. */
const until = <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) =>
  waitFor(what, check, { timeoutMs, intervalMs: 20 });

/** Start to /readyz 200, then SIGTERM to exit, of one controller; `output` reads its log so far. */
async function time(
  output: () => string,
  terminate: () => Promise<void>,
  exited: Promise<number | null>,
  started: number,
): Promise<{ readyMs: number; stopMs: number }> {
  const port = await until("the start line", () => healthPort(output()));
  await until("/readyz 200", async () => ((await isReady(port)) ? true : undefined));
  const readyMs = performance.now() - started;
  const stopping = performance.now();
  await terminate();
  const code = await exited;
  if (code !== 0) throw new Error(`exited with ${code}:\n${output().slice(-2000)}`);
  return { readyMs, stopMs: performance.now() - stopping };
}

const work = mkdtempSync(join(tmpdir(), "zen-lead-image-bench-"));
let statePath: string | undefined;
try {
  log("bringing up a control plane");
  statePath = (await succeed(join(ROOT, "tools", "cluster", "up.sh"), ["--watch-pid", String(process.pid)]))
    .trim()
    .split("\n")
    .pop() as string;
  const state = JSON.parse(readFileSync(statePath, "utf8")) as {
    kubeconfig: string;
    server: string;
    caFile: string;
  };
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const namespace = "image-bench";
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const account = await installServiceAccount(kc, namespace);
  const secrets = join(work, "serviceaccount");
  writeServiceAccountVolume(secrets, account.token, state.caFile, namespace);

  log("building the image (deploy/image.sh)");
  const archive = (await succeed(join(ROOT, "deploy", "image.sh"), ["--out", join(work, "zen-lead.oci.tar")]))
    .trim()
    .split("\n")
    .pop() as string;
  const image = await unpackImage(archive, join(work, "bundle"));
  const unpacked = Number((await succeed("du", ["-sb", image.rootfs])).split("\t")[0]);
  const server = new URL(state.server);
  const args = ["run", "--namespace", namespace, "--metrics-addr=127.0.0.1:0", "--health-addr=127.0.0.1:0"];

  const container: { readyMs: number; stopMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const running = await startContainer({
      id: `zen-lead-bench-${process.pid}-${i}`,
      bundle: join(work, "bundle"),
      stateDir: join(tmpdir(), "zen-lead-runc"),
      image: image.config,
      args,
      env: {
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        ZEN_LEAD_IDENTITY: `bench-${i}`,
      },
      serviceAccount: secrets,
      hostname: `bench-${i}`,
    });
    try {
      container.push(await time(running.output, () => running.kill("TERM"), running.exited, started));
    } finally {
      await running.remove();
    }
    log(`container run ${i + 1}: ready ${container.at(-1)?.readyMs.toFixed(0)} ms`);
  }

  // The floor: the same packed CLI as a host process, with the same token.
  const bin = join(await consumerProject(), "node_modules", ".bin", "zen-lead");
  const cluster = kc.getCurrentCluster();
  const tokenConfig = new KubeConfig();
  tokenConfig.loadFromOptions({
    clusters: cluster === null ? [] : [cluster],
    users: [{ name: "zen-lead", token: account.token }],
    contexts: [{ name: "zen-lead", cluster: cluster?.name ?? "", user: "zen-lead" }],
    currentContext: "zen-lead",
  });
  const kubeconfig = join(work, "kubeconfig");
  writeFileSync(kubeconfig, tokenConfig.exportConfig());
  const host: { readyMs: number; stopMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const child: ChildProcess = spawn(
      bin,
      [...args, "--kubeconfig", kubeconfig, "--lease-namespace", namespace],
      {
        env: { ...process.env, ZEN_LEAD_IDENTITY: `host-${i}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    host.push(
      await time(
        () => output,
        async () => {
          child.kill("SIGTERM");
        },
        exited,
        started,
      ),
    );
    log(`host run ${i + 1}: ready ${host.at(-1)?.readyMs.toFixed(0)} ms`);
  }
  await account.remove();

  const ready = median(container.map((r) => r.readyMs));
  const floor = median(host.map((r) => r.readyMs));
  console.log(`image archive (gzip layer, OCI): ${(statSync(archive).size / 1e6).toFixed(1)} MB`);
  console.log(`image unpacked root filesystem: ${(unpacked / 1e6).toFixed(1)} MB`);
  console.log(
    `start to ready, container (runc run to /readyz 200), median of ${runs}: ${ready.toFixed(0)} ms`,
  );
  console.log(`start to ready, host process (floor), median of ${runs}: ${floor.toFixed(0)} ms`);
  console.log(`start to ready, container / floor: ${(ready / floor).toFixed(2)} x`);
  console.log(
    `SIGTERM to exit, container, median of ${runs}: ${median(container.map((r) => r.stopMs)).toFixed(0)} ms`,
  );
} finally {
  if (statePath !== undefined) {
    log("tearing the control plane down");
    await succeed(join(ROOT, "tools", "cluster", "down.sh"), [statePath]).catch((e: unknown) =>
      log(String(e)),
    );
  }
  rmSync(work, { recursive: true, force: true });
}
