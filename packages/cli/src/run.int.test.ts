/**
 * `zen-lead run`, `status` and `promote` as a user runs them, on the real control plane: a real
 * process with its metrics and health endpoints, and a graceful exit on SIGTERM.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api, DiscoveryV1Api, EventsV1Api } from "@kubernetes/client-node";
import {
  clusterConfig,
  clusterState,
  createDeployment,
  readyPods,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { tcpConnections } from "@zen-lead/test-cluster/process-stats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, startZenLead, type ZenLeadProcess } from "./testing/zen-lead-process.ts";

const main = MAIN;
const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const labels = { app: "cli" };
let namespace = "";
let zl: ZenLeadProcess | undefined;
let metricsUrl = "";
let healthUrl = "";
const output = () => zl?.output() ?? "";

function zenLead(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args, "--kubeconfig", clusterState().kubeconfig], {
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function leaderPodOf(leaderService: string): Promise<string | undefined> {
  const list = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${leaderService}`,
  });
  return list.items[0]?.endpoints?.[0]?.targetRef?.name;
}

const leaderPod = () => leaderPodOf("cli-leader");

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  namespace = await testNamespace("cli");
  await createDeployment(namespace, "cli", 3, labels);
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=cli")).length === 3 ? true : undefined,
  );
  zl = await startZenLead(namespace, "cli-test");
  metricsUrl = zl.metricsUrl;
  healthUrl = zl.healthUrl;
});

afterAll(async () => {
  await zl?.stop("SIGKILL");
});

describe("zen-lead run on a real cluster", () => {
  it("is alive at once and ready once every watch has synced", async () => {
    await waitFor("/healthz 200", async () =>
      (await get(`${healthUrl}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined,
    );
    await waitFor("/readyz 200", async () =>
      (await get(`${healthUrl}/readyz`)).status === 200 ? true : undefined,
    );
  });

  it("gives an annotated Service its leader slice, and counts the leader change", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "cli", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    const leader = await waitFor("the leader slice", leaderPod);
    expect((await readyPods(namespace, "app=cli")).map((p) => p.metadata?.name)).toContain(leader);
    // The change is counted once its slice write's answer comes back — which may be just after the
    // slice is visible to others. A first election is not a failover: no latency sample.
    const metrics = await waitFor("the leader change in /metrics", async () => {
      const { body } = await get(metricsUrl);
      return body.includes(
        `zen_lead_leader_changes_total{namespace="${namespace}",service="cli",reason="Elected"} 1`,
      )
        ? body
        : undefined;
    });
    expect(metrics).toContain("zen_lead_failover_latency_seconds_count 0");
    expect(metrics).toContain(`zen_lead_ready_candidates{namespace="${namespace}",service="cli"} 3`);
    expect(metrics).toContain("zen_lead_is_leader 1");
    expect(metrics).toContain("process_cpu_seconds_total");
    expect(output()).toContain('"service":"cli"');
  });

  it("status lists it with its leader and ready candidates", async () => {
    const leader = (await leaderPod()) ?? "";
    const r = await waitFor("status with the leader", () => {
      const out = zenLead("status", "-n", namespace);
      return out.code === 0 && out.stdout.includes(leader) && out.stdout.includes("Elected")
        ? out
        : undefined;
    });
    const row = r.stdout.split("\n").find((l) => l.startsWith(namespace)) ?? "";
    expect(row).toMatch(
      new RegExp(`^${namespace}\\s+cli\\s+cli-leader\\s+${leader}\\s+\\S+Z \\(\\w+\\)\\s+3\\s+`),
    );
  });

  it("promote moves the leader, and refuses a pod that does not exist", async () => {
    const before = (await leaderPod()) ?? "";
    const other = (await readyPods(namespace, "app=cli"))
      .map((p) => p.metadata?.name ?? "")
      .find((n) => n !== before);
    expect(other).toBeDefined();
    const missing = zenLead("promote", "cli", "no-such-pod", "-n", namespace);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    const r = zenLead("promote", "cli", other ?? "", "-n", namespace);
    expect(r.code, r.stderr).toBe(0);
    await waitFor("the promoted leader", async () => ((await leaderPod()) === other ? true : undefined));
    // A switchover moves traffic away from a leader: one failover, one latency sample.
    await waitFor("one failover sample", async () =>
      (await get(metricsUrl)).body.includes("zen_lead_failover_latency_seconds_count 1") ? true : undefined,
    );
  });

  it("says a squatted slice name at warn, in a Warning Event and in status, and writes nothing of the squatter's", async () => {
    await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: { name: "squat-leader-ipv4", labels: { "kubernetes.io/service-name": "squat-leader" } },
        addressType: "IPv4",
        endpoints: [],
      },
    });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "squat", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    // Blocked: its own leader Service (created beside the refused slice) goes too.
    const row = await waitFor("squat blocked in status, without a leader Service", () => {
      const out = zenLead("status", "-n", namespace, "squat");
      return out.code === 0 && /squat\s+-\s+<blocked>/.test(out.stdout) ? out.stdout : undefined;
    });
    expect(row.split("\n")[1]).toMatch(
      new RegExp(`^${namespace}\\s+squat\\s+-\\s+<blocked>\\s+-\\s+3\\s+NameCollision$`),
    );
    // Its output is read between polls (status runs synchronously): wait for the lines to arrive.
    const lines = await waitFor("the collision in the log", () => {
      const all = zl?.logLines() ?? [];
      return all.some((l) => l.reason === "NameCollision") ? all : undefined;
    });
    // The refused create, at warn, with the object, status and reason.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        namespace,
        service: "squat",
        kind: "EndpointSlice",
        name: "squat-leader-ipv4",
        status: "conflict",
      }),
    );
    // The collision itself, at warn, once.
    const collisions = lines.filter((l) => l.service === "squat" && l.reason === "NameCollision");
    expect(collisions.map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        "EndpointSlice squat-leader-ipv4 exists and is not zen-lead's for this Service; leaving it untouched (no leader is published for this Service meanwhile)",
      ],
    ]);
  });

  it("prints nothing outside its JSON log, even for a min-ready longer than a JavaScript timer holds", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: {
          name: "patient",
          annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/min-ready-duration": "2000h" },
        },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    await waitFor("MinReadyNotMet logged", () =>
      zl?.logLines().some((l) => l.service === "patient" && l.reason === "MinReadyNotMet") ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500)); // a 1 ms timer would have fired by now
    expect(zl?.logLines().filter((l) => "unparsed" in l)).toEqual([]);
    expect(zl?.output()).not.toContain("TimeoutOverflowWarning");
    expect(await leaderPodOf("patient-leader")).toBeUndefined();
  });

  it("talks to the API server over one connection: watches, writes, the Lease and Events share it", async () => {
    const pid = zl?.child.pid ?? 0;
    const port = Number(new URL(clusterState().server).port);
    // Renewals every 2 s, a write or two per promote: sample for a while, while it works.
    const other = (await readyPods(namespace, "app=cli"))
      .map((p) => p.metadata?.name ?? "")
      .find((n) => n !== "");
    expect(zenLead("promote", "cli", other ?? "", "-n", namespace).code).toBe(0);
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      counts.push(tcpConnections(pid, port));
      await new Promise((r) => setTimeout(r, 300));
    }
    // One HTTP/2 connection (two while one is being replaced); client-node would open one per watch
    // and one per request (a new Agent per call): five or more.
    expect(Math.max(...counts), `connections sampled: ${counts.join(", ")}`).toBeLessThanOrEqual(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it("record writes an event log of the namespace that replay reads", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "zen-lead-record-")), "events.jsonl");
    const rec = spawn(
      process.execPath,
      [main, "record", "--out", out, "-n", namespace, "--kubeconfig", clusterState().kubeconfig],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    rec.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    await waitFor("every kind listed", () =>
      (stderr.match(/: listed /g) ?? []).length >= 4 ? true : undefined,
    );
    const exited = new Promise<number | null>((resolve) => rec.once("exit", (code) => resolve(code)));
    rec.kill("SIGINT");
    expect(await exited, stderr).toBe(0);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ format: "zen-lead/event-log", version: 1 });
    expect(
      lines.some((l) => l.includes('"kind":"Service","type":"ADDED"') && l.includes('"name":"cli"')),
    ).toBe(true);
    for (const kind of ["Service", "Pod", "EndpointSlice", "Node"]) {
      expect(
        lines.some((l) => l.includes(`"kind":"${kind}","type":"RELIST_END"`)),
        kind,
      ).toBe(true);
    }
    const replay = spawnSync(process.execPath, [main, "replay", out], { encoding: "utf8" });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`${namespace}/cli`);
  });

  it("deletes another controller's slice for a leader Service and says so: warn, Warning Event, metric", async () => {
    const leader = await core.readNamespacedService({ namespace, name: "cli-leader" });
    // What the built-in EndpointSlice controller writes once someone gives cli-leader a selector.
    const stray = await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: {
          generateName: "cli-leader-",
          labels: {
            ...leader.metadata?.labels,
            "kubernetes.io/service-name": "cli-leader",
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
          },
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "Service",
              name: "cli-leader",
              uid: leader.metadata?.uid ?? "",
              controller: true,
            },
          ],
        },
        addressType: "IPv4",
        endpoints: (await readyPods(namespace, "app=cli")).map((p) => ({
          addresses: [p.status?.podIP ?? ""],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name: p.metadata?.name ?? "", namespace, uid: p.metadata?.uid ?? "" },
        })),
      },
    });
    const name = stray.metadata?.name ?? "";
    const event = await waitFor("a StrayEndpointSlice Warning on cli", async () => {
      const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      return list.items.find((e) => e.reason === "StrayEndpointSlice" && e.regarding?.name === "cli");
    });
    expect(event.type).toBe("Warning");
    expect(event.note).toContain(`deleted EndpointSlice ${name}`);
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace,
      labelSelector: "kubernetes.io/service-name=cli-leader",
    });
    expect(slices.items.map((i) => i.metadata?.name)).toEqual(["cli-leader-ipv4"]);
    // The Event may be visible before the log line has come through the pipe.
    const warned = await waitFor("the warn line", () => {
      const said = zl?.logLines().filter((l) => l.name === name && l.level === 40) ?? [];
      return said.length > 0 ? said : undefined;
    });
    expect(warned).toHaveLength(1);
    expect((await get(metricsUrl)).body).toContain('zen_lead_drift_corrected_total{kind="EndpointSlice"} 1');
  });

  it("creates its leader Service again when someone deletes it, and says so (info line, drift metric)", async () => {
    const counted = async () => {
      const line = (await get(metricsUrl)).body
        .split("\n")
        .find((l) => l.startsWith('zen_lead_drift_corrected_total{kind="Service"}'));
      return Number(line?.split(" ").at(-1) ?? 0);
    };
    const before = await counted();
    const old = await core.readNamespacedService({ namespace, name: "cli-leader" });
    await core.deleteNamespacedService({ namespace, name: "cli-leader" });
    const again = await waitFor("cli-leader created again", async () => {
      const now = await core.readNamespacedService({ namespace, name: "cli-leader" }).catch(() => undefined);
      return now !== undefined && now.metadata?.uid !== old.metadata?.uid ? now : undefined;
    });
    expect(again.spec?.selector).toBeUndefined();
    await waitFor("the info line", () =>
      zl
        ?.logLines()
        .find(
          (l) =>
            l.name === "cli-leader" &&
            l.kind === "Service" &&
            l.msg ===
              `created the object again: another writer had deleted it; it has a new ClusterIP, ${again.spec?.clusterIP}: clients that kept the old one must resolve its name again`,
        ),
    );
    expect(await counted()).toBe(before + 1);
  });

  it("status shows a blocked source as blocked, whatever other warning stands beside it", async () => {
    await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: { name: "odd-leader-ipv4", labels: { "kubernetes.io/service-name": "odd-leader" } },
        addressType: "IPv4",
        endpoints: [],
      },
    });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: {
          name: "odd",
          annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/sticky": "maybe" },
        },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    const out = await waitFor("odd blocked in status", () => {
      const r = zenLead("status", "-n", namespace, "odd");
      return r.code === 0 && /NameCollision/.test(r.stdout) ? r.stdout : undefined;
    });
    expect(out.split("\n")[1]).toMatch(
      new RegExp(`^${namespace}\\s+odd\\s+-\\s+<blocked>\\s+-\\s+3\\s+NameCollision$`),
    );
  });

  it("status tells a mistyped namespace from one with nothing opted in", () => {
    const typo = zenLead("status", "-n", `${namespace}-typo`);
    expect([typo.code, typo.stdout, typo.stderr.trim()]).toEqual([
      2,
      "",
      `zen-lead status: there is no namespace ${namespace}-typo`,
    ]);
    const empty = zenLead("status", "-n", "kube-public");
    expect([empty.code, empty.stdout.trim()]).toEqual([
      0,
      "No Services opted in to zen-lead in kube-public.",
    ]);
  });

  it("status says why a Service it is asked about is not opted in: none by that name, or a refused value", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "maybe", annotations: { "zen-lead.io/enabled": "yes" } },
        spec: { selector: { app: "maybe" }, ports: [{ port: 80 }] },
      },
    });
    const refused = zenLead("status", "-n", namespace, "maybe");
    expect([refused.code, refused.stdout]).toEqual([2, ""]);
    expect(refused.stderr.trim()).toBe(
      `zen-lead status: Service ${namespace}/maybe is not opted in to zen-lead: zen-lead.io/enabled is "yes", and only "true" opts in`,
    );
    const missing = zenLead("status", "-n", namespace, "nosuch");
    expect([missing.code, missing.stderr.trim()]).toEqual([
      2,
      `zen-lead status: there is no Service ${namespace}/nosuch`,
    ]);
  });

  it.each([
    {
      name: "badport",
      spec: { ports: [{ name: "web", port: 80, targetPort: "nosuch" }] },
      lastReason: "NamedPortUnresolved",
    },
    {
      name: "v6only",
      spec: { ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv6"], ports: [{ name: "web", port: 80 }] },
      lastReason: "\\S+", // the core's warning for a leader with no address of the family, if it has one
    },
  ])(
    "status blames no one for the endpoint zen-lead leaves out on purpose ($name): no note, SINCE as published",
    async ({ name, spec, lastReason }) => {
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name, annotations: { "zen-lead.io/enabled": "true" } },
          spec: { selector: labels, ...spec },
        },
      });
      const since = await waitFor(`${name}-leader's leader-since`, async () => {
        const svc = await core
          .readNamespacedService({ namespace, name: `${name}-leader` })
          .catch(() => undefined);
        return svc?.metadata?.annotations?.["zen-lead.io/leader-since"];
      });
      const out = zenLead("status", "-n", namespace, name);
      expect(out.code, out.stderr).toBe(0);
      const lines = out.stdout.trim().split("\n");
      expect(
        lines.filter((l) => l.startsWith("note:")),
        out.stdout,
      ).toEqual([]);
      expect(lines[1]).toMatch(
        new RegExp(
          `^${namespace}\\s+${name}\\s+${name}-leader\\s+<none>\\s+${since} \\(\\w+\\)\\s+3\\s+${lastReason}$`,
        ),
      );
    },
  );

  it("exits 0 within 10 s of SIGTERM, releasing the lease", async () => {
    const started = Date.now();
    const code = await zl?.stop("SIGTERM");
    expect(code, output().slice(-2000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace, name: "zen-lead" });
    expect(lease.spec?.holderIdentity ?? "").not.toBe("cli-test");
  });

  it("status, with zen-lead stopped, says the leader traffic still goes to a pod that is gone", async () => {
    const leader = (await leaderPod()) ?? "";
    await core.deleteNamespacedPod({ namespace, name: leader, gracePeriodSeconds: 0 });
    const out = await waitFor("the stale leader in status", () => {
      const r = zenLead("status", "-n", namespace, "cli");
      return r.code === 0 && r.stdout.includes(`${leader} (gone)`) ? r.stdout : undefined;
    });
    const note = out.split("\n").find((l) => l.startsWith("note: "));
    expect(note).toMatch(
      new RegExp(
        `^note: ${namespace}/cli: ${leader} still receives its leader traffic \\(gone\\); zen-lead would move it to \\S+ — is \`zen-lead run\` running and holding its Lease\\?$`,
      ),
    );
  });
});
