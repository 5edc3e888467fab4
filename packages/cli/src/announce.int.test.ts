/**
 * Metrics, Events and logs say each thing once, as a user reads them from `zen-lead run` processes
 * on the real control plane: a controller restart and a Lease hand-over in a quiet cluster leave
 * `zen_lead_leader_changes_total`, the failover-latency histogram and the Event stream unchanged,
 * and no standing warning is logged again; a real failover is counted once.
 */
import { CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHORT_LEASE, sliceLeader, startZenLead, type ZenLeadProcess } from "./testing/zen-lead-process.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const events = kc.makeApiClient(EventsV1Api);
let namespace = "";
const processes: ZenLeadProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(identity: string): Promise<ZenLeadProcess> {
  const p = await startZenLead(namespace, identity, SHORT_LEASE);
  processes.push(p);
  return p;
}

const leaderOf = () => sliceLeader(namespace);

/** zen-lead's Events: name, reason and series count. */
async function eventStream(): Promise<string[]> {
  const list = await events.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.reportingController === "zen-lead.io/controller")
    .map((e) => `${e.metadata?.name} ${e.reason} ${e.series?.count ?? 1}`)
    .sort();
}

/** The sum of a metric's samples (0 when it has none). */
async function total(p: ZenLeadProcess, name: string): Promise<number> {
  const text = await p.metrics();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(" ").pop());
  }
  return sum;
}

const warnedAbout = (p: ZenLeadProcess, reason: string) =>
  p.logLines().filter((l) => l.level === 40 && l.reason === reason);

const leads = (p: ZenLeadProcess) => p.logLines().some((l) => l.msg === "lease acquired");

beforeAll(async () => {
  namespace = await testNamespace("once");
  await createDeployment(namespace, "once", 3, { app: "once" });
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=once")).length === 3 ? true : undefined,
  );
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: "web", annotations: { "zen-lead.io/enabled": "true" } },
      spec: { selector: { app: "once" }, ports: [{ port: 80 }] },
    },
  });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: "nosel", annotations: { "zen-lead.io/enabled": "true" } },
      spec: { ports: [{ port: 80 }] },
    },
  });
});

afterAll(async () => {
  for (const p of processes) await p.stop("SIGKILL");
});

describe("announced once per real change, whatever restarts and hand-overs happen", () => {
  let quiet: string[] = [];
  let holder: ZenLeadProcess | undefined;

  it("adopts: one election counted, no failover sample, one Event per announcement", async () => {
    holder = await start("once-a");
    await waitFor("a leader", leaderOf);
    await waitFor("the election counted", async () =>
      holder && (await total(holder, "zen_lead_leader_changes_total")) === 1 ? true : undefined,
    );
    await waitFor("both Events", async () => ((await eventStream()).length === 2 ? true : undefined));
    expect(await total(holder, "zen_lead_failover_latency_seconds_count")).toBe(0);
    expect(warnedAbout(holder, "NoSelector")).toHaveLength(1);
    quiet = await eventStream();
  });

  it("restarts: nothing counted, written or logged again", async () => {
    expect(await holder?.stop("SIGTERM")).toBe(0);
    holder = await start("once-a2");
    const restarted = holder;
    await waitFor("the restarted controller leading", () => (leads(restarted) ? true : undefined));
    await sleep(2000);
    expect(await total(restarted, "zen_lead_leader_changes_total")).toBe(0);
    expect(await total(restarted, "zen_lead_failover_latency_seconds_count")).toBe(0);
    expect(warnedAbout(restarted, "NoSelector")).toEqual([]);
    expect(await eventStream()).toEqual(quiet);
  });

  it("hands the Lease over: nothing counted, written or logged again by the new holder", async () => {
    const standby = await start("once-b");
    await waitFor("the standby ready", async () =>
      (await fetch(`${standby.healthUrl}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
    );
    expect(await holder?.stop("SIGTERM")).toBe(0);
    holder = standby;
    await waitFor("the standby leading", () => (leads(standby) ? true : undefined));
    await sleep(2000);
    expect(await total(standby, "zen_lead_leader_changes_total")).toBe(0);
    expect(warnedAbout(standby, "NoSelector")).toEqual([]);
    expect(await eventStream()).toEqual(quiet);
  });

  it("counts a real failover once, with one latency sample and one Event", async () => {
    const p = holder as ZenLeadProcess;
    const old = await leaderOf();
    await core.deleteNamespacedPod({ namespace, name: old ?? "", gracePeriodSeconds: 0 });
    await waitFor("a new leader", async () => {
      const now = await leaderOf();
      return now !== undefined && now !== old ? now : undefined;
    });
    await waitFor("the failover counted", async () =>
      (await total(p, "zen_lead_leader_changes_total")) === 1 ? true : undefined,
    );
    await sleep(1000);
    expect(await total(p, "zen_lead_leader_changes_total")).toBe(1);
    expect(await total(p, "zen_lead_failover_latency_seconds_count")).toBe(1);
    expect((await eventStream()).filter((e) => !quiet.includes(e))).toHaveLength(1);
  });
});
