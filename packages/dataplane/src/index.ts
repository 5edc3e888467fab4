/**
 * @zen-lead/dataplane (private) — real traffic for the integration tests, the data-plane benchmark
 * and the demo: `startNode()` plays one machine of the cluster (kube-proxy, a kubelet that runs
 * the pods bound to it as network namespaces with real servers) and gives clients on it.
 */
export type { NetnsFlavour } from "./netns.ts";
export {
  type DataplaneNode,
  DataplaneUnavailable,
  type NodeOptions,
  type Placement,
  startNode,
} from "./node.ts";
export { httpUrl, Probe, type ProbeOptions, type ProbeResult, tally } from "./probe.ts";
export { dataplaneSupport, type ProxyMode, type Support } from "./support.ts";
