/**
 * A data-plane node: a Node object in the cluster, and behind it a network namespace that plays
 * the machine — a bridge for its pods, routes for the Service ranges, the real kube-proxy, the
 * kubelet loop (kubelet.ts) and clients (probe.ts). See docs/dataplane.md for the topology.
 *
 *   host (the test, the benchmark, the demo; the control plane on 127.0.0.1)
 *     |  unix socket: API relay (api-relay.ts)
 *   node netns: lo (127.0.0.1:6443 -> API), br0 10.250.k.1/24 + fd00:10:250:k::1/64,
 *     |         routes 10.96.0.0/16 and fd00:10:96::/112 via br0, kube-proxy, probers
 *     +-- veth -- pod netns: eth0 10.250.k.n + fd00:10:250:k::n, pod-server.ts
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig, V1Toleration } from "@kubernetes/client-node";
import { request, statusOf } from "@zen-lead/k8s-adapter";
import { nodeAddresses } from "./addresses.ts";
import { relayApiServer } from "./api-relay.ts";
import { clusterBinary } from "./cluster-binary.ts";
import { KUBE_PROXY_HEALTHZ, type KubeProxy, startKubeProxy } from "./kube-proxy.ts";
import { Kubelet } from "./kubelet.ts";
import { Netns, type NetnsFlavour } from "./netns.ts";
import { Probe, type ProbeOptions } from "./probe.ts";
import { dataplaneSupport, type ProxyMode } from "./support.ts";

/** Label and NoSchedule taint of data-plane nodes: only pods that tolerate it land there. */
export const DATAPLANE_LABEL = "zen-lead.io/dataplane";

/** The node cannot run here (missing tools, no namespaces, ...): `message` says why, in one line. */
export class DataplaneUnavailable extends Error {
  override readonly name = "DataplaneUnavailable";
}

export interface NodeOptions {
  readonly kc: KubeConfig;
  /** The `zen-lead-cluster` multi-call binary (its `kube-proxy`). Default: clusterBinary(). */
  readonly binary?: string;
  /** Namespaces with or without a user namespace; default: see dataplaneSupport. */
  readonly flavour?: NetnsFlavour;
  /** kube-proxy's `--proxy-mode`. Default nftables. */
  readonly proxyMode?: ProxyMode;
  /** kube-proxy's `--iptables-min-sync-period` (Go duration). Default "1s", kube-proxy's own default. */
  readonly minSyncPeriod?: string;
  /**
   * The node's `net.netfilter.nf_conntrack_tcp_timeout_close`, seconds. Default: the kernel's (10).
   * 1 keeps a client that reuses a source port from being NATed to a crashed pod through a stale
   * CLOSE entry (kubernetes/kubernetes#101607; docs/dataplane.md).
   */
  readonly conntrackTcpCloseTimeoutSeconds?: number;
  /**
   * Delay before the kubelet restarts a crashed pod's process, ms. Default 2000: after kube-proxy's
   * usual 1 s window, so a client sees the crash before the restart.
   */
  readonly restartDelayMs?: number;
  /** How long kube-proxy may take to become healthy, ms. Default 60 s. */
  readonly timeoutMs?: number;
  /** Progress and kubelet problems, one line each. Default: nothing. */
  readonly log?: (line: string) => void;
}

/** Pod spec fields that put a pod on this node (the scheduler does the binding). */
export interface Placement {
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: V1Toleration[];
}

export interface DataplaneNode {
  /** The Node object's name: `zen-lead-dataplane-<k>`. */
  readonly name: string;
  readonly flavour: NetnsFlavour;
  readonly proxyMode: ProxyMode;
  readonly minSyncPeriod: string;
  /** The node's InternalIPs (its bridge), IPv4 first. */
  readonly hostIPs: readonly [string, string];
  readonly placement: Placement;
  /** kube-proxy's log file (removed by stop() unless ZEN_LEAD_DATAPLANE_KEEP=1). */
  readonly kubeProxyLog: string;
  /** A client in the node's namespace: a new connection to the targets every `intervalMs`. */
  probe(targets: readonly string[], options?: ProbeOptions): Probe;
  /** Kills the pod's process (SIGKILL); resolves once it exited. See Kubelet.crash. */
  crash(namespace: string, pod: string): Promise<void>;
  /** What went wrong so far (kubelet failures, kube-proxy exiting), one line each. */
  failures(): readonly string[];
  /** Deletes the pods bound here and the Node, stops kube-proxy, removes the namespaces. */
  stop(): Promise<void>;
}

const NODE_PREFIX = "zen-lead-dataplane-";

/** Creates the Node object under the first free number: the API server hands out numbers atomically. */
async function registerNode(kc: KubeConfig): Promise<{ k: number; name: string }> {
  for (let k = 0; k < 256; k++) {
    const name = `${NODE_PREFIX}${k}`;
    const { podCidrs } = nodeAddresses(k);
    try {
      await request(kc, "POST", "/api/v1/nodes", {
        body: {
          apiVersion: "v1",
          kind: "Node",
          metadata: {
            name,
            labels: {
              "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux",
              [DATAPLANE_LABEL]: "true",
            },
          },
          spec: {
            podCIDR: podCidrs[0],
            podCIDRs: [...podCidrs],
            taints: [{ key: DATAPLANE_LABEL, value: "true", effect: "NoSchedule" }],
          },
        },
      });
      return { k, name };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
  }
  throw new Error(`all 256 data-plane node names (${NODE_PREFIX}0..255) are taken`);
}

/** What a kubelet reports about its node: addresses (kube-proxy reads them), room for pods, Ready. */
async function writeNodeStatus(kc: KubeConfig, name: string, hostIPs: readonly string[]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const room = { cpu: "64", memory: "256Gi", pods: "250" };
  await request(kc, "PATCH", `/api/v1/nodes/${name}/status`, {
    contentType: "application/merge-patch+json",
    body: {
      status: {
        addresses: [
          ...hostIPs.map((address) => ({ type: "InternalIP", address })),
          { type: "Hostname", address: name },
        ],
        capacity: room,
        allocatable: room,
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      },
    },
  });
}

/** The cluster's Service ranges, from its ServiceCIDR objects. */
async function serviceCidrs(kc: KubeConfig): Promise<string[]> {
  const list = (await request(kc, "GET", "/apis/networking.k8s.io/v1/servicecidrs")) as {
    items?: { spec?: { cidrs?: string[] } }[];
  };
  return (list.items ?? []).flatMap((item) => item.spec?.cidrs ?? []);
}

/** A kubeconfig for kube-proxy: the same credentials, the API server at the relay's address. */
function nodeKubeconfig(kc: KubeConfig, server: string): object {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  const ca =
    cluster?.caData ?? (cluster?.caFile ? readFileSync(cluster.caFile).toString("base64") : undefined);
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "c", cluster: { server, ...(ca !== undefined ? { "certificate-authority-data": ca } : {}) } },
    ],
    users: [
      {
        name: "u",
        user: {
          ...(user?.token ? { token: user.token } : {}),
          ...(user?.certData ? { "client-certificate-data": user.certData } : {}),
          ...(user?.keyData ? { "client-key-data": user.keyData } : {}),
          ...(user?.certFile ? { "client-certificate": user.certFile } : {}),
          ...(user?.keyFile ? { "client-key": user.keyFile } : {}),
        },
      },
    ],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    "current-context": "c",
  };
}

/** Polls kube-proxy's /healthz from inside the node until it answers 200. */
async function waitHealthy(ns: Netns, proxy: KubeProxy, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = proxy.exited();
    if (exit !== undefined) {
      throw new Error(`kube-proxy exited (${exit}); last lines of ${proxy.logPath}:\n${proxy.logTail()}`);
    }
    const [result] = await new Probe(ns, [KUBE_PROXY_HEALTHZ], { count: 1, timeoutMs: 1000 }).done();
    if (result?.answer !== null && result?.answer !== undefined) return;
    if (Date.now() > deadline) {
      throw new Error(
        `kube-proxy not healthy after ${timeoutMs} ms; last lines of ${proxy.logPath}:\n${proxy.logTail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Starts a data-plane node on the cluster `kc` points at. Rejects with DataplaneUnavailable when
 * this machine cannot run one (dataplaneSupport), with another error if a part fails to start
 * (what was started is stopped again). Resolves once kube-proxy is healthy and the kubelet has
 * taken in the pods already bound here.
 */
export async function startNode(options: NodeOptions): Promise<DataplaneNode> {
  const mode = options.proxyMode ?? "nftables";
  const minSyncPeriod = options.minSyncPeriod ?? "1s";
  const log = options.log ?? (() => undefined);
  const support = await dataplaneSupport(mode, options.flavour);
  if (!support.ok) throw new DataplaneUnavailable(support.reason);
  const binary = options.binary ?? (await clusterBinary());

  const { kc } = options;
  const dir = mkdtempSync(join(tmpdir(), "zen-lead-dataplane-"));
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse())
      await step().catch((error: unknown) => log(`stop: ${String(error)}`));
    if (process.env.ZEN_LEAD_DATAPLANE_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { k, name } = await registerNode(kc);
    cleanups.push(async () => {
      await request(kc, "DELETE", `/api/v1/nodes/${name}`).catch(() => undefined);
    });
    const { bridge } = nodeAddresses(k);
    await writeNodeStatus(kc, name, bridge);

    const ns = await Netns.create(support.flavour);
    cleanups.push(() => ns.close());
    const routes = (await serviceCidrs(kc)).map((cidr) =>
      cidr.includes(":")
        ? `ip -6 route add ${cidr} dev br0 src ${bridge[1]}`
        : `ip route add ${cidr} dev br0 src ${bridge[0]}`,
    );
    // Without a route for the Service ranges, connect() fails with ENETUNREACH before nftables
    // ever sees the packet (the namespace has no default route).
    await ns.run("sh", [
      "-c",
      [
        "ip link set lo up",
        "ip link add br0 type bridge",
        `ip addr add ${bridge[0]}/24 dev br0`,
        `ip -6 addr add ${bridge[1]}/64 dev br0 nodad`,
        "ip link set br0 up",
        ...routes,
      ].join(" && "),
    ]);
    if (options.conntrackTcpCloseTimeoutSeconds !== undefined) {
      await ns.sysctl(
        "net.netfilter.nf_conntrack_tcp_timeout_close",
        options.conntrackTcpCloseTimeoutSeconds,
      );
    }

    const relay = await relayApiServer(kc, ns, join(dir, "api.sock"));
    cleanups.push(() => relay.close());
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, JSON.stringify(nodeKubeconfig(kc, relay.server)), { mode: 0o600 });

    const kubeProxyLog = join(dir, "kube-proxy.log");
    const proxy = startKubeProxy(ns, {
      binary,
      kubeconfig,
      nodeName: name,
      mode,
      minSyncPeriod,
      logPath: kubeProxyLog,
    });
    cleanups.push(() => proxy.stop());
    await waitHealthy(ns, proxy, options.timeoutMs ?? 60_000);
    log(
      `node ${name}: kube-proxy (${mode}, min-sync ${minSyncPeriod}) healthy; namespaces: ${support.flavour}`,
    );

    const kubelet = new Kubelet({
      kc,
      nodeName: name,
      node: ns,
      nodeNumber: k,
      hostIPs: bridge,
      restartDelayMs: options.restartDelayMs ?? 2000,
      log,
    });
    await kubelet.start();
    cleanups.push(() => kubelet.stop());

    let stopped: Promise<void> | undefined;
    return {
      name,
      flavour: support.flavour,
      proxyMode: mode,
      minSyncPeriod,
      hostIPs: bridge,
      placement: {
        nodeSelector: { "kubernetes.io/hostname": name },
        tolerations: [{ key: DATAPLANE_LABEL, operator: "Equal", value: "true", effect: "NoSchedule" }],
      },
      kubeProxyLog,
      probe: (targets, probeOptions) => new Probe(ns, targets, probeOptions),
      crash: (namespace, pod) => kubelet.crash(namespace, pod),
      failures: () => {
        const exit = proxy.exited();
        return [
          ...kubelet.failures(),
          ...(exit !== undefined && stopped === undefined ? [`kube-proxy exited (${exit})`] : []),
        ];
      },
      stop: () => {
        stopped ??= cleanup();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
