/**
 * Real traffic through `<svc>-leader` (issue 12 §3, §4): a data-plane node on the shared control
 * plane runs the real kube-proxy (nftables mode, its default 1 s min-sync period) and the pods as
 * network namespaces with real servers; a client on the node opens a new connection every 20 ms.
 * zen-lead runs in-process. Deadlines are generous and nothing is timed: the figures are in
 * `./scripts/bench dataplane`.
 */
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { clusterConfig, waitFor } from "@zen-lead/test-cluster";
import { beforeAll, describe, expect, it } from "vitest";
import { serviceUrls } from "./app.ts";
import { answered, expectSteadyLeader, failover, podNames, trafficNode } from "./test-app.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
// The conntrack setting keeps a reused source port from reaching a crashed pod through a stale
// CLOSE entry (docs/dataplane.md): that is the kernel's, not zen-lead's, and the benchmark measures it.
const context = trafficNode("traffic", { conntrackTcpCloseTimeoutSeconds: 1 });
let namespace = "";
beforeAll(() => {
  namespace = context().namespace;
});

describe("traffic through the leader Service (kube-proxy nftables)", () => {
  it("in steady state reaches the leader only, while the source Service reaches every pod", async () => {
    await expectSteadyLeader(context(), "steady");

    // The other pods are up and serving: through the source Service every pod answers.
    const source = await core.readNamespacedService({ namespace, name: "steady" });
    const spread = context().node.probe(serviceUrls(source), { intervalMs: 10 });
    await spread.until("every pod to answer", () => answered(spread.results).size === 3);
    await spread.stop();
    expect(answered(spread.results)).toEqual(new Set(await podNames(kc, namespace, "steady")));
  });

  it("after a crash (process killed, pod NotReady) new connections reach the new leader, no third pod", async () => {
    const { oldLeader } = await failover(context(), "crash", (leader) =>
      context().node.crash(namespace, leader),
    );
    // The crashed pod was restarted and is Ready again; leadership stays where it moved (sticky).
    const pod = await waitFor("the crashed pod to be Ready again", async () => {
      const p = await core.readNamespacedPod({ namespace, name: oldLeader });
      return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? p : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it("after a graceful delete (the old leader keeps serving 2 s after SIGTERM) the same holds", async () => {
    const { oldLeader } = await failover(
      context(),
      "graceful",
      async (leader) => {
        await core.deleteNamespacedPod({ namespace, name: leader });
      },
      { env: { DRAIN_MS: "2000" } },
    );
    // The kubelet finished the graceful deletion: the pod object is gone.
    await waitFor("the deleted leader's pod object to go", async () =>
      (await podNames(kc, namespace, "graceful")).includes(oldLeader) ? undefined : true,
    );
  });

  it("after a delete with grace period 0 the same holds", async () => {
    await failover(context(), "grace0", async (leader) => {
      await core.deleteNamespacedPod({ namespace, name: leader, gracePeriodSeconds: 0 });
    });
  });
});

describe("dual-stack on the real API server", () => {
  it("a RequireDualStack source gets a dual-stack leader Service and one slice per family, and both families reach the leader only, before and after a crash", async () => {
    const { oldLeader, newLeader, results } = await failover(
      context(),
      "dual",
      (leader) => context().node.crash(namespace, leader),
      { ipFamilyPolicy: "RequireDualStack" },
    );

    const service = await core.readNamespacedService({ namespace, name: "dual-leader" });
    expect(service.spec?.ipFamilyPolicy).toBe("RequireDualStack");
    expect(service.spec?.ipFamilies).toEqual(["IPv4", "IPv6"]);
    expect(service.spec?.clusterIPs?.map((ip) => (ip.includes(":") ? "IPv6" : "IPv4"))).toEqual([
      "IPv4",
      "IPv6",
    ]);

    const slices = await discovery.listNamespacedEndpointSlice({
      namespace,
      labelSelector: "kubernetes.io/service-name=dual-leader",
    });
    const pod = await core.readNamespacedPod({ namespace, name: newLeader });
    const podIPs = pod.status?.podIPs?.map((p) => p.ip) ?? [];
    expect(podIPs).toHaveLength(2);
    expect(
      slices.items
        .map((s) => ({
          family: s.addressType,
          endpoints: s.endpoints?.map((e) => [e.targetRef?.name, e.addresses]),
        }))
        .sort((a, b) => a.family.localeCompare(b.family)),
    ).toEqual([
      { family: "IPv4", endpoints: [[newLeader, [podIPs[0]]]] },
      { family: "IPv6", endpoints: [[newLeader, [podIPs[1]]]] },
    ]);

    // Both families were probed, and each saw the old leader, then the new one (failover()).
    expect(new Set(results.map((r) => r.target))).toEqual(new Set(serviceUrls(service)));
    expect(answered(results)).toEqual(new Set([oldLeader, newLeader]));
  });
});
