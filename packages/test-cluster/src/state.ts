/** The state file tools/cluster/up.sh writes (docs/control-plane.md), as tests read it. */
export interface ClusterState {
  readonly schemaVersion: number;
  readonly kubernetesVersion: string;
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly token: string;
  readonly caFile: string;
  readonly logDir: string;
  /** Nodes kwok manages: pods bound there become Running and Ready with an IP. */
  readonly nodes: readonly string[];
  /** Nodes nobody manages: tests write their pods' status themselves (as a kubelet would). */
  readonly manualNodes: readonly string[];
  /** Loopback ports by component (`apiserver`, `etcdClient`, ...). */
  readonly ports: Readonly<Record<string, number>>;
  /** The supervisor's Unix socket that stops, freezes and restarts one component (own-cluster.ts). */
  readonly controlSocket: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterState;
  }
}
