/** Leader election between controller replicas on the real API server. */
import { CoordinationV1Api, V1MicroTime } from "@kubernetes/client-node";
import { clusterConfig, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLeaderElector, kubeLeaseApi, type LeaderElector } from "./lease.ts";

const kc = clusterConfig();
const leases = kc.makeApiClient(CoordinationV1Api);
let namespace = "";
const started: LeaderElector[] = [];

beforeAll(async () => {
  namespace = await testNamespace("lease");
});

afterEach(() => {
  for (const e of started.splice(0)) e.stop();
});

/** Short timings so the tests are quick; the ratios are the defaults'. */
function elector(name: string, identity: string): LeaderElector {
  const e = createLeaderElector({
    api: kubeLeaseApi(kc),
    namespace,
    name,
    identity,
    leaseDurationMs: 4_000,
    renewDeadlineMs: 3_000,
    retryPeriodMs: 500,
  });
  started.push(e);
  e.start();
  return e;
}

const holder = async (name: string) =>
  (await leases.readNamespacedLease({ namespace, name })).spec?.holderIdentity ?? "";

describe("leader election on the real API server", () => {
  it("lets exactly one of two replicas lead, and hands over on release", async () => {
    const a = elector("two", "replica-a");
    const b = elector("two", "replica-b");
    const [leader, standby] = await waitFor("a leader", () =>
      a.isLeading() ? [a, b] : b.isLeading() ? [b, a] : undefined,
    );
    for (let i = 0; i < 10; i++) {
      expect([a.isLeading(), b.isLeading()].filter(Boolean)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await holder("two")).toBe(leader === a ? "replica-a" : "replica-b");

    await leader.release();
    expect(leader.isLeading()).toBe(false);
    await waitFor("the standby to take over", () => (standby.isLeading() ? true : undefined), {
      timeoutMs: 10_000,
    });
    expect(await holder("two")).toBe(standby === a ? "replica-a" : "replica-b");
  });

  it("lets a standby take over from a holder that stopped without releasing, once the lease expires", async () => {
    const a = elector("crash", "replica-a");
    await waitFor("a to lead", () => (a.isLeading() ? true : undefined));
    const b = elector("crash", "replica-b");
    a.stop();
    await waitFor("b to take over", () => (b.isLeading() ? true : undefined), { timeoutMs: 20_000 });
    expect(await holder("crash")).toBe("replica-b");
  });

  it("makes the former holder observe loss when the lease is taken by hand", async () => {
    const a = elector("stolen", "replica-a");
    await waitFor("a to lead", () => (a.isLeading() ? true : undefined));
    const seen: boolean[] = [];
    a.leading$.subscribe((v) => seen.push(v));
    const lease = await leases.readNamespacedLease({ namespace, name: "stolen" });
    await leases.replaceNamespacedLease({
      namespace,
      name: "stolen",
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "intruder", renewTime: new V1MicroTime() } },
    });
    await waitFor("a to observe the loss", () => (a.isLeading() ? undefined : true), { timeoutMs: 10_000 });
    expect(seen).toEqual([true, false]);
  });
});
