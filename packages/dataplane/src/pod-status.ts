/**
 * The pod status a kubelet writes, built from what the data-plane kubelet knows about a pod's
 * sandbox and its one process. Pure: times come in as RFC 3339 strings.
 */

/** The one process behind all of a pod's containers, as the kubelet last saw it. */
export type ContainerState =
  | { readonly running: true; readonly startedAt: string }
  | {
      readonly running: false;
      readonly startedAt: string;
      readonly finishedAt: string;
      /** Exit code, or 128 + signal number (137 for SIGKILL), as container runtimes report it. */
      readonly exitCode: number;
    };

export interface PodStatusInput {
  readonly containers: readonly { readonly name: string; readonly image: string }[];
  /** The node's InternalIPs, IPv4 first. */
  readonly hostIPs: readonly string[];
  /** The pod's IPs, IPv4 first. */
  readonly podIPs: readonly string[];
  /** When the kubelet started the pod. */
  readonly startTime: string;
  readonly state: ContainerState;
  /** Times the process was restarted after it exited. */
  readonly restartCount: number;
  /** When Ready (and ContainersReady) last changed, or startTime. */
  readonly readySince: string;
  /** The process's previous run, once it has been restarted. */
  readonly lastState?: ContainerState;
}

function stateOf(s: ContainerState): Record<string, unknown> {
  return s.running
    ? { running: { startedAt: s.startedAt } }
    : {
        terminated: {
          exitCode: s.exitCode,
          reason: s.exitCode === 0 ? "Completed" : "Error",
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
        },
      };
}

/**
 * `status` for a merge patch of the pod's status subresource: phase Running, the IPs, every
 * condition a kubelet sets (the list replaces the stored one, so PodScheduled is restated), and
 * one container status per container. Ready is true exactly while the process runs (no probes:
 * a running server is a ready one).
 */
export function podStatus(input: PodStatusInput): Record<string, unknown> {
  const ready = input.state.running;
  const condition = (type: string, status: boolean, since: string) => ({
    type,
    status: status ? "True" : "False",
    lastTransitionTime: since,
    ...(status ? {} : { reason: "ContainersNotReady", message: "the container's process is not running" }),
  });
  return {
    phase: "Running",
    hostIP: input.hostIPs[0],
    hostIPs: input.hostIPs.map((ip) => ({ ip })),
    podIP: input.podIPs[0],
    podIPs: input.podIPs.map((ip) => ({ ip })),
    startTime: input.startTime,
    conditions: [
      condition("PodReadyToStartContainers", true, input.startTime),
      condition("Initialized", true, input.startTime),
      condition("Ready", ready, input.readySince),
      condition("ContainersReady", ready, input.readySince),
      condition("PodScheduled", true, input.startTime),
    ],
    containerStatuses: input.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: "",
      ready,
      started: ready,
      restartCount: input.restartCount,
      state: stateOf(input.state),
      ...(input.lastState !== undefined ? { lastState: stateOf(input.lastState) } : {}),
    })),
  };
}
