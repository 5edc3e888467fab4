import { describe, expect, it } from "vitest";
import { kubeProxyArgs } from "./kube-proxy.ts";

describe("kubeProxyArgs", () => {
  const args = kubeProxyArgs({ kubeconfig: "/k", nodeName: "n", mode: "nftables", minSyncPeriod: "0s" });

  it("runs the kube-proxy component for the node, in the mode and min-sync period asked for", () => {
    expect(args[0]).toBe("kube-proxy");
    expect(args).toContain("--proxy-mode=nftables");
    expect(args).toContain("--hostname-override=n");
    // The one min-sync flag, for nftables mode too.
    expect(args).toContain("--iptables-min-sync-period=0s");
    expect(args).toContain("--cluster-cidr=10.250.0.0/16,fd00:10:250::/56");
  });

  it("touches no machine-wide setting and binds only the node's loopback", () => {
    expect(args).toEqual(
      expect.arrayContaining([
        "--conntrack-max-per-core=0",
        "--conntrack-tcp-timeout-established=0",
        "--conntrack-tcp-timeout-close-wait=0",
        "--metrics-bind-address=127.0.0.1:10249",
        "--healthz-bind-address=127.0.0.1:10256",
        "--oom-score-adj=0",
      ]),
    );
  });
});
