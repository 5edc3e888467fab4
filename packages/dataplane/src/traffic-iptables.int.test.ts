/**
 * The same traffic checks with kube-proxy in iptables mode, on a node whose namespaces are plain
 * network namespaces when this runs as root (the nftables tests use a user namespace): both ways
 * of building a node are exercised on every run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectSteadyLeader, failover, trafficNode } from "./test-app.ts";

const context = trafficNode("iptables", {
  proxyMode: "iptables",
  ...(process.getuid?.() === 0 ? { flavour: "plain" as const } : {}),
  conntrackTcpCloseTimeoutSeconds: 1,
});
let namespace = "";
beforeAll(() => {
  namespace = context().namespace;
});

describe("traffic through the leader Service (kube-proxy iptables)", () => {
  it("in steady state reaches the leader only", async () => {
    expect(context().node.proxyMode).toBe("iptables");
    await expectSteadyLeader(context(), "steady");
  });

  it("after a crash new connections reach the new leader, no third pod", async () => {
    await failover(context(), "crash", (leader) => context().node.crash(namespace, leader));
  });
});
