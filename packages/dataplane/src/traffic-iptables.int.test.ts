/**
 * The same traffic checks with kube-proxy in iptables mode, on a node whose namespaces are plain
 * network namespaces when this runs as root (the nftables tests use a user namespace): both ways
 * of building a node are exercised on every run.
 */
import { type Controller, startController } from "@zen-lead/k8s-adapter";
import { clusterConfig, testNamespace } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployApp } from "./app.ts";
import { type DataplaneNode, startNode } from "./node.ts";
import { expectOnly, failover, leaderOf, leaderProbe, opened, type TrafficContext } from "./test-app.ts";

const kc = clusterConfig();
let namespace = "";
let node: DataplaneNode | undefined;
let controller: Controller | undefined;

beforeAll(async () => {
  namespace = await testNamespace("iptables");
  node = await startNode({
    kc,
    proxyMode: "iptables",
    ...(process.getuid?.() === 0 ? { flavour: "plain" as const } : {}),
    conntrackTcpCloseTimeoutSeconds: 1,
  });
  controller = startController({ kc, namespaces: [namespace] });
});

afterAll(async () => {
  await controller?.stop();
  const failures = node?.failures() ?? [];
  await node?.stop();
  expect(failures).toEqual([]);
});

function context(): TrafficContext {
  if (node === undefined) throw new Error("the data-plane node did not start");
  return { kc, node, namespace };
}

describe("traffic through the leader Service (kube-proxy iptables)", () => {
  it("in steady state reaches the leader only", async () => {
    expect(context().node.proxyMode).toBe("iptables");
    await deployApp(kc, context().node, namespace, "steady");
    const leader = await leaderOf(kc, namespace, "steady");
    const probe = await leaderProbe(context(), "steady");
    const first = await probe.until(`${leader} to answer`, (r) => r.answer === leader);
    const steady = await opened(probe, first.at, 100);
    await probe.stop();
    expect(steady.length).toBeGreaterThanOrEqual(100);
    expectOnly(leader, steady, "steady state");
  });

  it("after a crash new connections reach the new leader, no third pod", async () => {
    await failover(context(), "crash", (leader) => context().node.crash(namespace, leader));
  });
});
