/**
 * `zen_lead_failover_latency_seconds` on the real control plane, where the decision comes long
 * after the leader stopped: the Lease holder is killed and the leader pod deleted at once, so the
 * standby moves the slice only once the Lease has expired — its sample covers that wait; and a
 * leader deleted while no replica ran is not sampled at all (nobody recorded when it went) but
 * counted in `zen_lead_failovers_unmeasured_total` (docs/cli.md, "Failover latency").
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { metricValue } from "@zen-lead/test-cluster/zen-lead-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHORT_LEASE, sliceLeader, startZenLead, type ZenLeadProcess } from "./testing/zen-lead-process.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
let namespace = "";
const processes: ZenLeadProcess[] = [];

async function start(identity: string): Promise<ZenLeadProcess> {
  const p = await startZenLead(namespace, identity, SHORT_LEASE);
  processes.push(p);
  return p;
}

const leaderOf = () => sliceLeader(namespace);

const figure = async (p: ZenLeadProcess, name: string) => metricValue(await p.metrics(), name);

beforeAll(async () => {
  namespace = await testNamespace("latency");
  await createDeployment(namespace, "latency", 3, { app: "latency" });
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=latency")).length === 3 ? true : undefined,
  );
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: "web", annotations: { "zen-lead.io/enabled": "true" } },
      spec: { selector: { app: "latency" }, ports: [{ port: 80 }] },
    },
  });
});

afterAll(async () => {
  for (const p of processes) await p.stop("SIGKILL");
});

describe("zen_lead_failover_latency_seconds", () => {
  it("runs from the leader's deletion, not from the standby's decision after the Lease expired", async () => {
    const holder = await start("latency-holder");
    const leader = await waitFor("the first leader", leaderOf);
    const standby = await start("latency-standby");
    await standby.until("/readyz");
    await holder.stop("SIGKILL");
    const deleted = Date.now();
    await core.deleteNamespacedPod({ namespace, name: leader, gracePeriodSeconds: 0 });
    const moved = await waitFor("the standby moving the slice", async () => {
      const now = await leaderOf();
      return now !== undefined && now !== leader ? Date.now() : undefined;
    });
    await waitFor("the standby's sample", async () =>
      (await figure(standby, "zen_lead_failover_latency_seconds_count")) === 1 ? true : undefined,
    );
    const sample = await figure(standby, "zen_lead_failover_latency_seconds_sum");
    const seen = (moved - deleted) / 1000;
    // The slice moved only after the Lease expired: the sample covers that wait (less the time the
    // deletion took to reach the standby and this poll's own delay), and never more than it.
    expect(seen).toBeGreaterThan(1);
    expect(sample).toBeGreaterThan(seen - 1);
    expect(sample).toBeLessThanOrEqual(seen + 0.05);
    expect(await figure(standby, "zen_lead_failovers_unmeasured_total")).toBe(0);
  });

  it("does not sample a leader deleted while no replica ran: counted as unmeasured", async () => {
    for (const p of processes) await p.stop("SIGKILL");
    const leader = (await leaderOf()) ?? "";
    await core.deleteNamespacedPod({ namespace, name: leader, gracePeriodSeconds: 0 });
    await waitFor("the pod gone", async () =>
      (await core.readNamespacedPod({ namespace, name: leader }).catch(() => undefined)) === undefined
        ? true
        : undefined,
    );
    const restarted = await start("latency-restarted");
    await waitFor("the unmeasured failover", async () =>
      (await figure(restarted, "zen_lead_failovers_unmeasured_total")) === 1 ? true : undefined,
    );
    expect(await leaderOf()).not.toBe(leader);
    expect(await figure(restarted, "zen_lead_failover_latency_seconds_count")).toBe(0);
  });
});
