/**
 * A control plane of one's own, for code that breaks it on purpose (the fault suite): started with
 * tools/cluster/up.sh, torn down with down.sh, and its components stopped, frozen and restarted
 * through the supervisor's control socket (tools/cluster/control.go). No vitest here: the fault
 * script runs outside it.
 */
import { connect } from "node:net";
import { clusterDown, clusterUp } from "./lifecycle.ts";
import type { ClusterState } from "./state.ts";

/** What the control socket does to one component (control.go). */
export type ControlCommand = "kill" | "stop" | "cont" | "start" | "restart" | "pid";

/** The cluster's components by their control-socket names. */
export type Component = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kwok";

export interface OwnCluster {
  readonly state: ClusterState;
  readonly statePath: string;
  /** Runs one control command; resolves with the component's pid (0 when it is down). */
  control(command: ControlCommand, component: Component): Promise<number>;
  /** Tears the cluster down (idempotent). */
  stop(): Promise<void>;
}

/** One command on the supervisor's control socket: one line out, one JSON line back. */
export function controlSocket(path: string, command: ControlCommand, component: Component): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${command} ${component}\n`));
    socket.on("data", (chunk: string) => {
      reply += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      try {
        const answer = JSON.parse(reply) as { ok?: boolean; pid?: number; error?: string };
        if (answer.ok === true) resolve(answer.pid ?? 0);
        else reject(new Error(`${command} ${component}: ${answer.error ?? "no answer"}`));
      } catch {
        reject(new Error(`${command} ${component}: no answer from the cluster's control socket`));
      }
    });
  });
}

/**
 * Starts a cluster (building it first if needed) that tears itself down if `watchPid` (default:
 * this process) exits without calling `stop()`.
 */
export async function startOwnCluster(options: { readonly watchPid?: number } = {}): Promise<OwnCluster> {
  const { statePath, state } = await clusterUp(["--watch-pid", String(options.watchPid ?? process.pid)]);
  let stopped: Promise<void> | undefined;
  return {
    state,
    statePath,
    control: (command, component) => controlSocket(state.controlSocket, command, component),
    stop() {
      stopped ??= clusterDown(statePath);
      return stopped;
    },
  };
}
