/**
 * The address plan of data-plane nodes. Node number `k` (0–255, unique per cluster: it is part of
 * the Node's name) owns `10.250.k.0/24` and `fd00:10:250:k::/64`; its bridge is `.1` / `::1` and
 * its pods get hosts 2–254 of both. All nodes together are the cluster CIDR kube-proxy is given.
 */

/** Both families of all data-plane pods (kube-proxy's `--cluster-cidr`). */
export const CLUSTER_CIDRS = ["10.250.0.0/16", "fd00:10:250::/56"] as const;

export interface NodeAddresses {
  /** The bridge's addresses, which are also the node's InternalIPs: IPv4 first. */
  readonly bridge: readonly [string, string];
  /** The node's pod CIDRs (`spec.podCIDRs`): IPv4 first. */
  readonly podCidrs: readonly [string, string];
}

/** `fd00:10:250:k::` in canonical form (RFC 5952: no `:0::`), as the kernel and API print it. */
function v6Prefix(k: number): string {
  return k === 0 ? "fd00:10:250::" : `fd00:10:250:${k.toString(16)}::`;
}

export function nodeAddresses(k: number): NodeAddresses {
  if (!Number.isInteger(k) || k < 0 || k > 255) throw new RangeError(`node number ${k} is not in 0..255`);
  return {
    bridge: [`10.250.${k}.1`, `${v6Prefix(k)}1`],
    podCidrs: [`10.250.${k}.0/24`, `${v6Prefix(k)}/64`],
  };
}

/** A pod's addresses on node `k`, host number `n` (2–254): IPv4 first. */
export function podAddresses(k: number, n: number): readonly [string, string] {
  return [`10.250.${k}.${n}`, `${v6Prefix(k)}${n.toString(16)}`];
}

/**
 * Host numbers 2–254 handed out first-in first-out: a released address goes to the back, so a new
 * pod does not get the address of one that just died (whose conntrack entries may still live).
 */
export class HostNumbers {
  private readonly free: number[] = Array.from({ length: 253 }, (_, i) => i + 2);

  /** The next free host number; throws when all 253 are in use. */
  take(): number {
    const n = this.free.shift();
    if (n === undefined) throw new Error("no free pod address on this node (253 pods running)");
    return n;
  }

  release(n: number): void {
    if (!this.free.includes(n)) this.free.push(n);
  }
}
