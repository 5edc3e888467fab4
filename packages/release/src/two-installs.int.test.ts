/**
 * Two installs over one namespace (docs/deploy.md, "Two installs over one namespace"): two
 * `zen-lead run` processes, each with its own Lease, both watching one namespace, as two Helm
 * releases would be. The doc's "how to tell" kubectl lines are run as written against them and
 * show what a user sees: each change announced twice, by two instances.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { CoreV1Api, DiscoveryV1Api, EventsV1Api } from "@kubernetes/client-node";
import {
  clusterConfig,
  clusterState,
  createDeployment,
  readyPods,
  runDocKubectl,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { clusterScript } from "@zen-lead/test-cluster/lifecycle";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./commands.ts";
import { healthPort, isReady } from "./controller-log.ts";

const kc = clusterConfig();
const running: ChildProcess[] = [];

/** A short Lease, so that each install's look for the other counts Events soon after it leads. */
const LEASE_DURATION_MS = 3_000;

/**
 * One install's controller: `zen-lead run` from the sources, its own Lease, watching `namespace`.
 * Resolves once it holds its Lease and its /readyz answers 200 (every watch synced), so that it
 * sees, and writes, what comes next; to its log so far.
 */
async function install(namespace: string, name: string): Promise<() => string> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "packages/cli/src/main.ts"),
      "run",
      "-n",
      namespace,
      "--lease-namespace",
      namespace,
      "--lease-name",
      name,
      "--identity",
      `${name}-0`,
      "--lease-duration",
      `${LEASE_DURATION_MS}ms`,
      "--renew-deadline",
      "2s",
      "--retry-period",
      "500ms",
      "--metrics-addr",
      "127.0.0.1:0",
      "--health-addr",
      "127.0.0.1:0",
    ],
    { env: { ...process.env, KUBECONFIG: clusterState().kubeconfig }, stdio: ["ignore", "pipe", "ignore"] },
  );
  running.push(child);
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitFor(`${name}'s zen-lead run to be ready`, async () => {
    if (child.exitCode !== null)
      throw new Error(`${name}'s zen-lead run exited with ${child.exitCode}: ${log}`);
    const port = healthPort(log);
    const leading = log.includes('"msg":"lease acquired"');
    return leading && port !== undefined && (await isReady(port)) ? true : undefined;
  });
  return () => log;
}

afterAll(async () => {
  await Promise.all(
    running.map((child) => {
      if (child.exitCode !== null) return undefined;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      return exited;
    }),
  );
});

async function leaderOf(namespace: string): Promise<string | undefined> {
  const list = await kc
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace, labelSelector: "kubernetes.io/service-name=web-leader" });
  return list.items[0]?.endpoints?.[0]?.targetRef?.name;
}

describe("two installs over one namespace", () => {
  it("announce every change twice, and docs/deploy.md's kubectl lines show it", async () => {
    const namespace = await testNamespace("two-installs");
    const core = kc.makeApiClient(CoreV1Api);
    await createDeployment(namespace, "web", 3, { app: "web" });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "web", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    await waitFor("3 Ready pods", async () =>
      (await readyPods(namespace, "app=web")).length === 3 ? true : undefined,
    );
    const logs = await Promise.all([install(namespace, "install-a"), install(namespace, "install-b")]);
    const first = await waitFor("a leader", () => leaderOf(namespace));
    // Past a Lease duration of leading: Events from then on are not a previous holder's.
    await new Promise((resolve) => setTimeout(resolve, LEASE_DURATION_MS + 500));
    await core.deleteNamespacedPod({ namespace, name: first, gracePeriodSeconds: 0 });

    // Both installs announce the move: two LeaderChanged Events naming the old leader.
    const moves = await waitFor("the move announced by both installs", async () => {
      const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      const found = list.items.filter((e) => e.reason === "LeaderChanged" && e.note?.includes(first));
      return new Set(found.map((e) => e.reportingInstance)).size === 2 ? found : undefined;
    });
    expect(new Set(moves.map((e) => e.reportingInstance))).toEqual(new Set(["install-a-0", "install-b-0"]));

    // What the doc tells a user to run (with `trial` the namespace), with kubectl on the PATH.
    const run = await runDocKubectl("docs/deploy.md", "## Two installs over one namespace: don't", {
      kubeconfig: clusterState().kubeconfig,
      replace: { from: "-n trial", to: `-n ${namespace}` },
      kubectlDir: await clusterScript("build.sh"),
    });
    const [, events] = run.outputs;
    const moveLines = (events ?? "").split("\n").filter((line) => line.includes(first));
    expect(moveLines.some((line) => line.includes("install-a-0"))).toBe(true);
    expect(moveLines.some((line) => line.includes("install-b-0"))).toBe(true);
    expect(events?.split("\n")[0]).toMatch(/^TIME\s+BY\s+SERVICE\s+NOTE/);

    // And zen-lead says so itself, once: each install finds the other's announcement, writes an
    // OtherInstall Warning on the Service and logs it at warn.
    const warnings = await waitFor("both installs to say there is another", async () => {
      const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      const found = list.items.filter((e) => e.reason === "OtherInstall" && e.regarding?.name === "web");
      return new Set(found.map((e) => e.reportingInstance)).size === 2 ? found : undefined;
    });
    expect(warnings.every((e) => e.type === "Warning")).toBe(true);
    expect(warnings.find((e) => e.reportingInstance === "install-a-0")?.note).toContain("install-b-0");
    for (const log of logs) {
      const lines = log()
        .split("\n")
        .filter((line) => line.includes("another zen-lead install"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"level":40');
    }
  });
});
