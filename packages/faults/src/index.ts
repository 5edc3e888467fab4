/**
 * @zen-lead/faults — the fault suite: a stage of zen-lead replicas on a real control plane
 * (`startSuite`), faults injected one at a time (`FAULTS`, `loadFault`, `runFault`), and the
 * independent invariant watcher (`startInvariantWatcher`). `./scripts/faults` runs them all.
 */
export {
  FAULTS,
  type Fault,
  type FaultContext,
  type FaultResult,
  formatResult,
  type LoadOptions,
  loadFault,
  runFault,
  WRITES_PER_FAILOVER,
} from "./faults.ts";
export {
  type InvariantWatcher,
  type InvariantWatcherOptions,
  startInvariantWatcher,
  type Violation,
  type ViolationKind,
} from "./invariants.ts";
export { leaseHolder, type Replica, type ReplicaOptions, startReplica } from "./replicas.ts";
export { type Suite, type SuiteOptions, startSuite } from "./suite.ts";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.ts";
export { createWorkload, type Workload, type WorkloadOptions } from "./workload.ts";
