/**
 * What the simulated cluster runs, as the world model (world.ts) reads it: nodes, Services,
 * Deployments and bare pods, after validation (namespaces and defaults filled in, durations in
 * milliseconds). A scenario's cluster sections resolve to exactly these (scenario/resolve.ts);
 * the world model creates the objects and, at run time, acts as the cluster's own controllers.
 */

export interface ContainerPortSpec {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: "TCP" | "UDP" | "SCTP";
}

export interface NodeSpec {
  readonly name: string;
  readonly zone?: string;
}

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

export interface BarePodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly node: string;
  readonly containerPorts: readonly ContainerPortSpec[];
  /** Whether the kubelet ever turns it Ready (`readyAfterMs` after creation). */
  readonly ready: boolean;
  readonly phase: string;
  readonly ageMs: number;
  readonly readyAfterMs: number;
}

export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: "TCP" | "UDP" | "SCTP";
  readonly appProtocol?: string;
  readonly nodePort?: number;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Values may hold `{{<deployment>#<n>}}`, replaced by that pod's name when the Service is stored. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePortSpec[];
  readonly type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  readonly headless: boolean;
  readonly ipFamilies: readonly ("IPv4" | "IPv6")[];
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
