/**
 * kube-proxy on a data-plane node: the real one, from the control plane's multi-call binary
 * (`zen-lead-cluster kube-proxy`, same Kubernetes release), running in the node's network
 * namespace and programming its nftables (or iptables) rules there only.
 */
import type { ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { CLUSTER_CIDRS } from "./addresses.ts";
import type { Netns } from "./netns.ts";
import type { ProxyMode } from "./support.ts";

/** kube-proxy's health endpoint inside the node's namespace (its own loopback: no clash). */
export const KUBE_PROXY_HEALTHZ = "http://127.0.0.1:10256/healthz";

export interface KubeProxyOptions {
  /** The `zen-lead-cluster` binary. */
  readonly binary: string;
  readonly kubeconfig: string;
  readonly nodeName: string;
  readonly mode: ProxyMode;
  /**
   * `--iptables-min-sync-period` (a Go duration; it governs nftables mode too — there is no
   * nftables flag). kube-proxy's default is 1s: the first change after a quiet period is programmed
   * at once, the next waits until the period since the last sync has passed.
   */
  readonly minSyncPeriod: string;
  /** Where its log goes. */
  readonly logPath: string;
}

/** The flags: everything on the node's own loopback, and no global sysctl touched. */
export function kubeProxyArgs(o: Omit<KubeProxyOptions, "binary" | "logPath">): string[] {
  return [
    "kube-proxy",
    `--kubeconfig=${o.kubeconfig}`,
    `--proxy-mode=${o.mode}`,
    `--hostname-override=${o.nodeName}`,
    `--cluster-cidr=${CLUSTER_CIDRS.join(",")}`,
    `--iptables-min-sync-period=${o.minSyncPeriod}`,
    // 0 = leave the kernel's conntrack settings alone (nf_conntrack_max is not per namespace).
    "--conntrack-max-per-core=0",
    "--conntrack-tcp-timeout-established=0",
    "--conntrack-tcp-timeout-close-wait=0",
    "--metrics-bind-address=127.0.0.1:10249",
    "--healthz-bind-address=127.0.0.1:10256",
    "--oom-score-adj=0",
    "--v=1",
  ];
}

export interface KubeProxy {
  readonly process: ChildProcess;
  readonly logPath: string;
  /** Why it exited, if it did (exit code or signal), else undefined. */
  exited(): string | undefined;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 5 s (it takes over a second to exit). */
  stop(): Promise<void>;
}

export function startKubeProxy(node: Netns, o: KubeProxyOptions): KubeProxy {
  const log = createWriteStream(o.logPath);
  const child = node.spawn(o.binary, kubeProxyArgs(o), { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exit: string | undefined;
  const done = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once("error", (error) => {
      exit = error.message;
      resolve();
    });
  });
  return {
    process: child,
    logPath: o.logPath,
    exited: () => exit,
    logTail(lines = 20) {
      try {
        return readFileSync(o.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    async stop() {
      if (exit === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await done;
        clearTimeout(timer);
      }
      await new Promise((resolve) => log.end(resolve));
    },
  };
}
