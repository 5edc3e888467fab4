/**
 * What listing realistic pods leaves in zen-lead's resident memory, by process setting (issue 13
 * §3: "how lists are paged and parsed", "V8 and allocator settings"). Prints `name: value unit`
 * lines; asserts nothing.
 *
 *   node packages/cli/bench/list-memory.bench.ts [--pods 20000] [--page 500] [--runs 3]
 *
 * A local HTTP server (a child process, so it is not measured) answers paged pod lists of `--pods`
 * pods of realistic size (realistic-pod.ts's `podAsServed`: the scale bench's pod as the API
 * server serves it, ~9-10 KiB of JSON — printed). For each setting a fresh Node process lists
 * them through the adapter's own watch loop (`watchKind`: pages of `--page`, each parsed and
 * decoded into the core's views as it arrives), folds the resync into the core's state, keeps it,
 * and reports RSS, JS heap and the list's wall time after a full GC and 7 s of quiet — the median
 * of `--runs`. The floor: the same process with nothing listed (`--pods 0`), same settings.
 */
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:http";
import { promisify } from "node:util";
import { benchArgs } from "@zen-lead/test-cluster/bench-args";
import { MIB, quantile } from "@zen-lead/test-cluster/figures";
import { installPacked } from "./packed-cli.ts";
import { podAsServed } from "./realistic-pod.ts";

const values = benchArgs(
  "list-memory.bench.ts",
  "list-memory.bench.ts [--pods N] [--page N] [--runs N]",
  {
    pods: { type: "string", default: "20000" },
    page: { type: "string", default: "500" },
    runs: { type: "string", default: "3" },
    role: { type: "string" },
    port: { type: "string" },
  },
  ["pods", "page", "runs"],
);
const PODS = Number(values.pods);
const PAGE = Number(values.page);
const RUNS = Number(values.runs);
if (!(PODS >= 0) || !(PAGE > 0) || !(RUNS > 0)) {
  process.stderr.write("usage: list-memory.bench.ts [--pods N] [--page N] [--runs N]\n");
  process.exit(2);
}

/** Pod `i` of the fixture: ten per Service, Services round robin over 20 namespaces and 10 nodes. */
function pod(i: number) {
  const app = `s${Math.floor(i / 10)}`;
  return podAsServed(
    { app, name: `${app}-${i % 10}`, node: `kwok-node-${i % 10}`, team: Math.floor(i / 10) % 17 },
    { namespace: `scale-${Math.floor(i / 10) % 20}`, serial: i },
  );
}

/** The fixture API server: paged pod lists, empty lists of anything else, watches that only bookmark. */
function serve(port: number): void {
  createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.writeHead(200, { "content-type": "application/json" });
    if (url.searchParams.get("watch") !== null) {
      const bookmark = { type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: "99999" } } };
      const timer = setInterval(() => res.write(`${JSON.stringify(bookmark)}\n`), 5000);
      req.on("close", () => clearInterval(timer));
      return;
    }
    if (!url.pathname.endsWith("/pods") || url.pathname.includes("/namespaces/empty/")) {
      res.end(JSON.stringify({ kind: "List", metadata: { resourceVersion: "1" }, items: [] }));
      return;
    }
    const start = Number(url.searchParams.get("continue") || 0);
    const limit = Number(url.searchParams.get("limit") || PODS);
    const items = [];
    for (let i = start; i < Math.min(PODS, start + limit); i++) items.push(pod(i));
    const next = start + limit < PODS ? { continue: String(start + limit) } : {};
    res.end(
      JSON.stringify({
        kind: "PodList",
        apiVersion: "v1",
        metadata: { resourceVersion: "50000", ...next },
        items,
      }),
    );
  }).listen(port, "127.0.0.1", () => process.stdout.write("listening\n"));
}

/**
 * One measured process, run from the packed CLI's install (JavaScript as users run it: no type
 * stripping): lists, folds, keeps the state, reports its memory as one JSON line. The floor
 * (`PODS=0`) lists an empty namespace.
 */
const CLIENT = `
import { KubeConfig } from "@kubernetes/client-node";
import { initialState, step } from "@zen-lead/core";
import { watchKind } from "@zen-lead/k8s-adapter";
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "fixture", server: "http://127.0.0.1:" + process.env.PORT, skipTLSVerify: true }],
  users: [{ name: "nobody" }],
  contexts: [{ name: "fixture", cluster: "fixture", user: "nobody" }],
  currentContext: "fixture",
});
const t = performance.now();
let state = initialState(0);
const namespaces = process.env.PODS === "0" ? ["empty"] : [];
await new Promise((resolve) => {
  watchKind(kc, "Pod", { pageSize: Number(process.env.PAGE), namespaces }).subscribe((event) => {
    if (event.type !== "resync") return;
    state = step(state, event);
    resolve();
  });
});
const listMs = performance.now() - t;
globalThis.gc();
await new Promise((resolve) => setTimeout(resolve, 7000));
globalThis.gc();
const m = process.memoryUsage();
console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, listMs, kept: state !== undefined }));
process.exit(0);
`;

interface Sample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly listMs: number;
}

const median = (xs: readonly number[]) => quantile(xs, 0.5);

const SETTINGS: readonly (readonly [string, Record<string, string>, readonly string[]])[] = [
  ["node defaults", {}, []],
  ["--max-semi-space-size=8 (the image before this issue)", {}, ["--max-semi-space-size=8"]],
  [
    "--max-semi-space-size=8, MALLOC_ARENA_MAX=2, MALLOC_TRIM_THRESHOLD_=65536",
    { MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "65536" },
    ["--max-semi-space-size=8"],
  ],
  [
    "plus --optimize-for-size (the image now)",
    { MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "65536" },
    ["--max-semi-space-size=8", "--optimize-for-size"],
  ],
];

async function measure(
  project: string,
  port: number,
  pods: number,
  env: Record<string, string>,
  flags: readonly string[],
) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...flags, "--expose-gc", "--input-type=module", "-e", CLIENT],
    {
      cwd: project,
      env: { ...process.env, ...env, PORT: String(port), PODS: String(pods), PAGE: String(PAGE) },
    },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Sample;
}

async function main(): Promise<void> {
  process.stderr.write("[lists] building and installing the packed CLI (scripts/install-packed)\n");
  const project = await installPacked();
  const port = 18_000 + (process.pid % 1000);
  const server = spawn(
    process.execPath,
    [import.meta.filename, "--role", "server", "--port", String(port), "--pods", String(PODS)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise((resolve) => server.stdout.once("data", resolve));
  try {
    const print = (name: string, value: string) => process.stdout.write(`${name}: ${value}\n`);
    print("pods", String(PODS));
    print("pod JSON", `${(JSON.stringify(pod(0)).length / 1024).toFixed(1)} KiB`);
    print("page size", String(PAGE));
    print("runs per figure (median)", String(RUNS));
    for (const [name, env, flags] of SETTINGS) {
      const runs: Sample[] = [];
      const floors: Sample[] = [];
      for (let r = 0; r < RUNS; r++) {
        floors.push(await measure(project, port, 0, env, flags));
        runs.push(await measure(project, port, PODS, env, flags));
      }
      const rss = median(runs.map((s) => s.rss)) / MIB;
      const floor = median(floors.map((s) => s.rss)) / MIB;
      const heap = median(runs.map((s) => s.heapUsed)) / MIB;
      print(`${name}: RSS / floor`, `${rss.toFixed(1)} / ${floor.toFixed(1)} MiB`);
      print(
        `${name}: JS heap used / total`,
        `${heap.toFixed(1)} / ${(median(runs.map((s) => s.heapTotal)) / MIB).toFixed(1)} MiB`,
      );
      print(`${name}: RSS / (2 x heap used + 100 MiB)`, `${(rss / (2 * heap + 100)).toFixed(2)} x`);
      print(`${name}: list and fold wall time`, `${median(runs.map((s) => s.listMs)).toFixed(0)} ms`);
    }
  } finally {
    server.kill();
  }
}

if (values.role === "server") serve(Number(values.port));
else await main();
