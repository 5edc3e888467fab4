/**
 * `kubectl zen-lead` as users run it: the real kubectl (built from the same Kubernetes module as
 * the control plane) finds `kubectl-zen_lead` — installed from the packed @zen-lead/cli — on the
 * PATH and runs it against the real control plane, with kubectl's own flags. The README's kubectl
 * commands are run here as written.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DiscoveryV1Api, KubeConfig } from "@kubernetes/client-node";
import {
  clusterConfig,
  createDeployment,
  docCommands,
  readyPods,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, succeed } from "./commands.ts";
import { installedBin } from "./consumer-project.ts";

const kc = clusterConfig();
const discovery = kc.makeApiClient(DiscoveryV1Api);
let namespace = "";
let bin = "";
let workDir = "";
let env: NodeJS.ProcessEnv = {};
let controller: ChildProcess | undefined;

/**
 * A kubeconfig with three contexts: `test` (current: the cluster, no namespace), `prod` (the
 * cluster, with the test namespace as its namespace) and `nowhere` (a server that does not exist).
 */
function writeKubeconfig(path: string, current: string): void {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || user === null)
    throw new Error("the test kubeconfig has no current cluster or user");
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [cluster, { name: "nowhere", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [user],
    contexts: [
      { name: "test", cluster: cluster.name, user: user.name },
      { name: "prod", cluster: cluster.name, user: user.name, namespace },
      { name: "nowhere", cluster: "nowhere", user: user.name },
    ],
    currentContext: current,
  });
  writeFileSync(path, out.exportConfig());
}

const kubectl = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  run("kubectl", args, { cwd: workDir, env: { ...env, ...extraEnv }, timeoutMs: 60_000 });

async function leaderPod(): Promise<string | undefined> {
  const list = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: "kubernetes.io/service-name=web-leader",
  });
  return list.items[0]?.endpoints?.[0]?.targetRef?.name;
}

/** The README's `kubectl` commands of its "kubectl plugin" section, one argv each, comments dropped. */
function readmeCommands(): string[][] {
  return docCommands("README.md", "## kubectl plugin").map((line) => line.split(/\s+/));
}

beforeAll(async () => {
  namespace = await testNamespace("plugin");
  const [installed, clusterBin] = await Promise.all([
    installedBin(),
    succeed(join(ROOT, "tools", "cluster", "build.sh"), []).then(
      (out) => out.trim().split("\n").pop() as string,
    ),
  ]);
  bin = installed;
  workDir = mkdtempSync(join(tmpdir(), "zen-lead-plugin-"));
  writeKubeconfig(join(workDir, "kubeconfig"), "test");
  // The plugin's `#!/usr/bin/env node` finds the pinned Node 24 first; kubectl finds the plugin.
  env = {
    HOME: workDir,
    KUBECONFIG: join(workDir, "kubeconfig"),
    PATH: [bin, clusterBin, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
  };
  await createDeployment(namespace, "web", 3, { app: "web" });
  await kubectl(["-n", namespace, "expose", "deployment", "web", "--port", "80", "--target-port", "8080"]);
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=web")).length === 3 ? true : undefined,
  );
  // The controller, also from the installed package.
  controller = spawn(
    join(bin, "zen-lead"),
    [
      "run",
      "-n",
      namespace,
      "--lease-namespace",
      namespace,
      "--metrics-addr",
      "127.0.0.1:0",
      "--health-addr",
      "127.0.0.1:0",
    ],
    { env, stdio: "ignore" },
  );
}, 1_200_000);

afterAll(async () => {
  if (controller !== undefined && controller.exitCode === null) {
    const exited = new Promise((resolve) => controller?.once("exit", resolve));
    controller.kill("SIGTERM");
    await exited;
  }
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

describe("kubectl zen-lead", () => {
  it("is found by kubectl on the PATH", async () => {
    const list = await kubectl(["plugin", "list"]);
    expect(list.stdout).toContain(join(bin, "kubectl-zen_lead"));
    const help = await kubectl(["zen-lead", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: kubectl zen-lead <command>/);
  });

  it("runs the README's commands as written", async () => {
    const commands = readmeCommands();
    expect(commands.length).toBeGreaterThanOrEqual(6);
    const pods = (await readyPods(namespace, "app=web")).map((p) => p.metadata?.name ?? "");
    let leader = "";
    for (const written of commands) {
      expect(written[0]).toBe("kubectl");
      // The README's names: namespace shop, Service web, a pod of it.
      const args = written.slice(1).map((a) => (a === "shop" ? namespace : a));
      const line = `kubectl ${args.join(" ")}`;
      if (args[0] === "zen-lead" && args[1] === "promote") {
        const target = pods.find((p) => p !== leader) as string;
        args[args.indexOf("web-7c9f8d6b5-x2k4q")] = target;
        const out = await kubectl(args);
        expect(out.code, `${line}: ${out.stderr}`).toBe(0);
        expect(out.stdout).toContain(`preferred leader set to ${target}`);
        await waitFor(`the leader to move to ${target}`, async () =>
          (await leaderPod()) === target ? true : undefined,
        );
        leader = target;
        continue;
      }
      if (args[0] === "zen-lead" && args[1] === "record") {
        // Records until Ctrl-C: kubectl execs the plugin, so the signal reaches it directly.
        const child = spawn("kubectl", args, { cwd: workDir, env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
        await waitFor("the recorder's initial lists", () => (stderr.includes("listed") ? true : undefined));
        child.kill("SIGINT");
        expect(await exited, `${line}: ${stderr}`).toBe(0);
        const file = args[args.indexOf("--out") + 1] as string;
        const lines = gunzipSync(readFileSync(join(workDir, file)))
          .toString("utf8")
          .trim()
          .split("\n");
        expect(JSON.parse(lines[0] as string)).toMatchObject({
          format: "zen-lead/event-log",
          source: { namespaces: [namespace] },
        });
        const replay = await run(join(bin, "zen-lead"), ["replay", join(workDir, file)], { env });
        expect(replay.code, replay.stderr).toBe(0);
        expect(replay.stdout).toContain(`Service ${namespace}/web -> ${namespace}/web-leader`);
        continue;
      }
      const out = await kubectl(args);
      expect(out.code, `${line}: ${out.stderr}`).toBe(0);
      if (args[0] === "annotate" && args.includes("zen-lead.io/enabled=true")) {
        leader = await waitFor("a leader", leaderPod);
      } else if (args[0] === "zen-lead" && args[1] === "status") {
        expect(out.stdout).toMatch(new RegExp(`^${namespace}\\s+web\\s+web-leader\\s+${leader}\\s`, "m"));
      } else if (args[0] === "get" && args[1] === "endpointslices") {
        expect(out.stdout).toContain("web-leader-ipv4");
      } else if (args[0] === "get" && args[1] === "events") {
        expect(out.stdout).toContain("LeaderChanged");
      }
    }
  });

  it("honours --kubeconfig, --context and the context's namespace, as kubectl does", async () => {
    const row = new RegExp(`^${namespace}\\s+web\\s+web-leader\\s`, "m");
    // The current context has no namespace: "default", where nothing is opted in.
    const plain = await kubectl(["zen-lead", "status"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toBe("No Services opted in to zen-lead in default.");
    // --context prod: that context's namespace.
    const prod = await kubectl(["zen-lead", "status", "--context", "prod"]);
    expect(prod.code, prod.stderr).toBe(0);
    expect(prod.stdout).toMatch(row);
    // -n wins over the context's namespace.
    const other = await kubectl(["zen-lead", "--context=prod", "status", "-n", "default"]);
    expect(other.stdout.trim()).toBe("No Services opted in to zen-lead in default.");
    // A context whose server does not answer: the command reaches for it, and says so on one line.
    const nowhere = await kubectl(["zen-lead", "status", "--context", "nowhere", "-n", namespace]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr.trim().split("\n")).toHaveLength(1);
    // --kubeconfig wins over $KUBECONFIG, as in kubectl.
    const elsewhere = join(workDir, "kubeconfig-prod");
    writeKubeconfig(elsewhere, "prod");
    writeKubeconfig(join(workDir, "kubeconfig-nowhere"), "nowhere");
    const flag = await kubectl(["zen-lead", "status", "--kubeconfig", elsewhere], {
      KUBECONFIG: join(workDir, "kubeconfig-nowhere"),
    });
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout).toMatch(row);
    // promote in the context's namespace.
    const target = (await readyPods(namespace, "app=web"))
      .map((p) => p.metadata?.name ?? "")
      .at(-1) as string;
    const promote = await kubectl(["zen-lead", "promote", "web", target, "--context", "prod"]);
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toContain(`Service ${namespace}/web: preferred leader set to ${target}`);
    // Bad input: one line, exit 2.
    const bad = await kubectl(["zen-lead", "status", "--context", "missing"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('zen-lead: context "missing" is not in the kubeconfig');
  });
});
