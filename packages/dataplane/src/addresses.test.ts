import { describe, expect, it } from "vitest";
import { CLUSTER_CIDRS, HostNumbers, nodeAddresses, podAddresses } from "./addresses.ts";

describe("the address plan", () => {
  it("gives node k its /24 and /64, the bridge at .1 / ::1, in canonical IPv6 form", () => {
    expect(nodeAddresses(0)).toEqual({
      bridge: ["10.250.0.1", "fd00:10:250::1"],
      podCidrs: ["10.250.0.0/24", "fd00:10:250::/64"],
    });
    expect(nodeAddresses(26)).toEqual({
      bridge: ["10.250.26.1", "fd00:10:250:1a::1"],
      podCidrs: ["10.250.26.0/24", "fd00:10:250:1a::/64"],
    });
    expect(podAddresses(0, 2)).toEqual(["10.250.0.2", "fd00:10:250::2"]);
    expect(podAddresses(255, 254)).toEqual(["10.250.255.254", "fd00:10:250:ff::fe"]);
  });

  it("keeps every node inside the cluster CIDRs kube-proxy is given", () => {
    expect(CLUSTER_CIDRS).toEqual(["10.250.0.0/16", "fd00:10:250::/56"]);
    // /56 fixes fd00:0010:0250:00 and leaves the last byte of the 4th group to the node number.
    expect(nodeAddresses(255).podCidrs[1]).toBe("fd00:10:250:ff::/64");
  });

  it("refuses node numbers outside 0..255", () => {
    expect(() => nodeAddresses(256)).toThrow(/not in 0..255/);
    expect(() => nodeAddresses(-1)).toThrow(/not in 0..255/);
  });
});

describe("HostNumbers", () => {
  it("hands out 2..254 and reuses a released number only after every other free one", () => {
    const hosts = new HostNumbers();
    expect([hosts.take(), hosts.take()]).toEqual([2, 3]);
    hosts.release(2);
    const rest = Array.from({ length: 252 }, () => hosts.take());
    expect(rest[0]).toBe(4);
    expect(rest.at(-1)).toBe(2);
    expect(() => hosts.take()).toThrow(/no free pod address/);
  });
});
