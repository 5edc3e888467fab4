/**
 * What the simulated cluster runs, as the world model (world.ts) reads it: nodes, Services,
 * Deployments and bare pods, after validation (namespaces and defaults filled in, durations in
 * milliseconds). A scenario's cluster sections resolve to exactly these (scenario/resolve.ts);
 * the world model creates the objects and, at run time, acts as the cluster's own controllers.
 */

/** A container port of a pod (as in a pod spec). */
export interface ContainerPortSpec {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

/** A node; pods are placed on nodes in order. */
export interface NodeSpec {
  readonly name: string;
  /** Its `topology.kubernetes.io/zone` label; absent: none. */
  readonly zone?: string;
}

/** A Deployment: its ReplicaSet keeps `replicas` pods, replacing lost ones, rolling updates one at a time. */
export interface DeploymentSpec {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  /** Pod template labels (default `app: <name>`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly containerPorts: readonly ContainerPortSpec[];
  /** From a pod's creation to the kubelet turning its Ready condition True (ms). */
  readonly readyAfterMs: number;
  /** Grace period of its pods (ms): rolling updates, scale-downs, drains. */
  readonly terminationGraceMs: number;
  /** Nodes its pods spread over, in order (default: every node). */
  readonly nodes: readonly string[];
  /** How long before the start the Deployment was created (its first pod one second later), ms. */
  readonly ageMs: number;
}

/** A pod no controller owns: nothing replaces it. */
export interface BarePodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The node it runs on (a NodeSpec's name). */
  readonly node: string;
  readonly containerPorts: readonly ContainerPortSpec[];
  /** Whether the kubelet ever turns it Ready (`readyAfterMs` after creation). */
  readonly ready: boolean;
  /** `Running`, `Succeeded`, `Failed`... */
  readonly phase: string;
  /** How long before the start it was created, ms. */
  readonly ageMs: number;
  /** From its creation to the kubelet turning it Ready, ms. */
  readonly readyAfterMs: number;
}

/** A port of a Service (as in a Service spec; `nodePort` given or allocated for NodePort/LoadBalancer). */
export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly appProtocol?: string;
  readonly nodePort?: number;
}

/** A Service; zen-lead acts on those annotated `zen-lead.io/enabled: "true"`. */
export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Values may hold `{{<deployment>#<n>}}`, replaced by that pod's name when the Service is stored. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Absent: a Service without a selector. */
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePortSpec[];
  readonly type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  /** `clusterIP: None`. */
  readonly headless: boolean;
  /** In order: the first is primary; two make it dual-stack. */
  readonly ipFamilies: readonly ("IPv4" | "IPv6")[];
  /** For type ExternalName. */
  readonly externalName?: string;
}

/**
 * The cluster a scenario runs: created at time 0, in this order (nodes, bare pods, each
 * Deployment's pods, Services), with names and uids drawn from the simulation's seed.
 */
export interface WorldSpec {
  readonly nodes: readonly NodeSpec[];
  readonly services: readonly ServiceSpec[];
  readonly deployments: readonly DeploymentSpec[];
  readonly pods: readonly BarePodSpec[];
}

/**
 * A pod named the way a scenario names one, resolved by the world model when it is used: a literal
 * name (its namespace given, or found among the pods), or the n-th pod a Deployment created
 * (`web#2`). `text` is the reference as written, for messages.
 */
export type PodRef =
  | { readonly type: "name"; readonly text: string; readonly namespace?: string; readonly name: string }
  | {
      readonly type: "ordinal";
      readonly text: string;
      readonly namespace: string;
      readonly deployment: string;
      readonly ordinal: number;
    };
