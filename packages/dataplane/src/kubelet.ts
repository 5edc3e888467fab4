/**
 * The kubelet of a data-plane node, as far as traffic needs one: it watches the pods bound to its
 * node and runs each as a sandbox (a network namespace on the node's bridge, with an IPv4 and an
 * IPv6 address) holding one real process (processes/pod-server.ts, answering the pod's name on
 * its container ports), and writes the pod's status as a kubelet would.
 *
 * Life cycle of a pod (all steps of one pod run in order, one at a time):
 * - bound here, not deleted -> sandbox, process; once it listens: Running, Ready, IPs;
 * - its process exits (a crash: `crash()` sends SIGKILL) -> NotReady at once, restarted after
 *   `restartDelayMs`, Ready again once it listens;
 * - deletionTimestamp set (graceful delete) -> SIGTERM, SIGKILL after the grace period, sandbox
 *   removed, then the pod object deleted with grace 0 (uid precondition), as a kubelet finishes a
 *   graceful deletion;
 * - the object is gone (deleted with grace 0) -> SIGKILL, sandbox removed.
 * No probes: Ready means "the process runs and has bound its ports".
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CoreV1Api, type KubeConfig, type V1Pod, Watch } from "@kubernetes/client-node";
import { request, statusOf } from "@zen-lead/k8s-adapter";
import { HostNumbers, podAddresses } from "./addresses.ts";
import { Netns } from "./netns.ts";
import { type ContainerState, podStatus } from "./pod-status.ts";

const POD_SERVER = join(import.meta.dirname, "processes/pod-server.ts");
/** A pod that declares no TCP container port gets its server on this one. */
const DEFAULT_POD_PORT = 8080;

export interface KubeletOptions {
  readonly kc: KubeConfig;
  readonly nodeName: string;
  /** The node's namespace; its bridge `br0` is where pods are plugged in. */
  readonly node: Netns;
  /** The node's number in the address plan (addresses.ts). */
  readonly nodeNumber: number;
  /** The node's InternalIPs, IPv4 first (the pods' hostIPs). */
  readonly hostIPs: readonly string[];
  /** Delay before a crashed process is restarted, ms. */
  readonly restartDelayMs: number;
  readonly log: (line: string) => void;
}

interface PodRun {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly { readonly name: string; readonly image: string }[];
  readonly ports: readonly number[];
  readonly env: Readonly<Record<string, string>>;
  readonly startTime: string;
  phase: "running" | "terminating" | "gone";
  host?: number | undefined;
  ips?: readonly [string, string];
  sandbox?: Netns | undefined;
  process?: ChildProcess;
  exited?: Promise<void>;
  state?: ContainerState;
  lastState?: ContainerState | undefined;
  restartCount: number;
  readySince: string;
  /** The tail of every step of this pod: steps run one after another. */
  chain: Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (p: ChildProcess | undefined) =>
  p !== undefined && p.exitCode === null && p.signalCode === null;
const key = (namespace: string, name: string) => `${namespace}/${name}`;

function podRunOf(pod: V1Pod): Omit<PodRun, "phase" | "restartCount" | "readySince" | "chain"> {
  const containers = pod.spec?.containers ?? [];
  const ports = containers.flatMap((c) =>
    (c.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => p.containerPort),
  );
  const env: Record<string, string> = {};
  for (const c of containers) for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return {
    uid: pod.metadata?.uid ?? "",
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    containers: containers.map((c) => ({ name: c.name, image: c.image ?? "" })),
    ports: ports.length > 0 ? [...new Set(ports)] : [DEFAULT_POD_PORT],
    env,
    startTime: now(),
  };
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  private readonly hosts = new HostNumbers();
  private readonly problems: string[] = [];
  private stopped = false;
  private watchRequest: { abort(): void } | undefined;
  private loopDone: Promise<void> = Promise.resolve();

  private readonly o: KubeletOptions;

  constructor(options: KubeletOptions) {
    this.o = options;
  }

  /** Starts watching the node's pods; resolves once the first list has been taken in. */
  async start(): Promise<void> {
    let synced: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      synced = resolve;
    });
    this.loopDone = this.loop(synced);
    await first;
  }

  /** Failures the kubelet met (status writes, sandboxes, the watch), one line each. */
  failures(): readonly string[] {
    return this.problems;
  }

  /**
   * Kills the pod's process with SIGKILL, as a crash would; resolves once it has exited (the
   * NotReady status is then on its way). Rejects if the pod has no running process here.
   */
  async crash(namespace: string, name: string): Promise<void> {
    const run = this.find(namespace, name);
    if (run === undefined || !alive(run.process))
      throw new Error(`pod ${key(namespace, name)} has no running process on ${this.o.nodeName}`);
    run.process?.kill("SIGKILL");
    await run.exited;
  }

  /** Stops the loop, kills every pod's process, removes the sandboxes and deletes the pod objects. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watchRequest?.abort();
    await this.loopDone;
    await Promise.all(
      [...this.runs.values()].map((run) => {
        run.phase = "gone"; // no restart from here on
        return this.enqueue(run, async () => {
          await this.teardown(run);
          await this.deleteObject(run);
        });
      }),
    );
  }

  private find(namespace: string, name: string): PodRun | undefined {
    for (const run of this.runs.values()) {
      if (run.namespace === namespace && run.name === name && run.phase !== "gone") return run;
    }
    return undefined;
  }

  private problem(line: string): void {
    this.problems.push(line);
    this.o.log(`kubelet: ${line}`);
  }

  private enqueue(run: PodRun, step: () => Promise<void>): Promise<void> {
    run.chain = run.chain.then(step).catch((error: unknown) => {
      this.problem(
        `${key(run.namespace, run.name)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return run.chain;
  }

  private async loop(synced: () => void): Promise<void> {
    const core = this.o.kc.makeApiClient(CoreV1Api);
    const fieldSelector = `spec.nodeName=${this.o.nodeName}`;
    while (!this.stopped) {
      try {
        const list = await core.listPodForAllNamespaces({ fieldSelector });
        const seen = new Set<string>();
        for (const pod of list.items) {
          seen.add(pod.metadata?.uid ?? "");
          this.observe(pod);
        }
        for (const run of this.runs.values()) if (!seen.has(run.uid)) this.forget(run);
        synced();
        // The client ends a watch after 30 s without data; then this lists again (idempotent).
        await new Promise<void>((resolve) => {
          new Watch(this.o.kc)
            .watch(
              "/api/v1/pods",
              { fieldSelector, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
              (type: string, pod: V1Pod) => {
                if (type === "ADDED" || type === "MODIFIED") this.observe(pod);
                else if (type === "DELETED") {
                  const run = this.runs.get(pod.metadata?.uid ?? "");
                  if (run !== undefined) this.forget(run);
                } else if (type === "ERROR") this.watchRequest?.abort(); // expired: list again
              },
              () => resolve(),
            )
            .then(
              (req) => {
                this.watchRequest = req;
                if (this.stopped) req.abort();
              },
              (error: unknown) => {
                this.o.log(`kubelet: watch failed (${String(error)}); listing again`);
                resolve();
              },
            );
        });
      } catch (error) {
        if (!this.stopped) this.o.log(`kubelet: list failed (${String(error)}); retrying`);
      }
      if (!this.stopped) await sleep(500);
    }
    synced();
  }

  /** A pod as the API shows it: start it, or begin its graceful termination. */
  private observe(pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? "";
    const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
    let run = this.runs.get(uid);
    if (run === undefined) {
      const phase = pod.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") return;
      const started = now();
      run = {
        ...podRunOf(pod),
        phase: "running",
        restartCount: 0,
        readySince: started,
        chain: Promise.resolve(),
      };
      this.runs.set(uid, run);
      const r = run;
      if (deleting) this.terminate(r, 0);
      else this.enqueue(r, () => this.startPod(r));
      return;
    }
    if (deleting && run.phase === "running")
      this.terminate(run, pod.metadata?.deletionGracePeriodSeconds ?? 30);
  }

  /** The object is gone (deleted with grace 0, or missing from a relist): stop everything. */
  private forget(run: PodRun): void {
    if (run.phase === "gone") return;
    run.phase = "gone";
    run.process?.kill("SIGKILL");
    this.enqueue(run, async () => {
      await this.teardown(run);
      this.runs.delete(run.uid);
    });
  }

  private terminate(run: PodRun, graceSeconds: number): void {
    run.phase = "terminating";
    this.enqueue(run, async () => {
      if (alive(run.process)) {
        run.process?.kill("SIGTERM");
        const timer = setTimeout(() => run.process?.kill("SIGKILL"), graceSeconds * 1000);
        await run.exited;
        clearTimeout(timer);
      }
      await this.teardown(run);
      await this.deleteObject(run);
      run.phase = "gone";
      this.runs.delete(run.uid);
    });
  }

  /** The sandbox: a network namespace with a veth on the node's bridge, IPv4 and IPv6. */
  private async startPod(run: PodRun): Promise<void> {
    if (run.phase !== "running") return;
    const host = this.hosts.take();
    run.host = host;
    const [v4, v6] = podAddresses(this.o.nodeNumber, host);
    const [gw4, gw6] = this.o.hostIPs;
    run.ips = [v4, v6];
    run.sandbox = await Netns.create(this.o.node.flavour, this.o.node);
    const veth = `zlp${host}`;
    await this.o.node.run("ip", [
      "link",
      "add",
      veth,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      String(run.sandbox.pid),
    ]);
    await this.o.node.run("ip", ["link", "set", veth, "master", "br0", "up"]);
    await run.sandbox.run("sh", [
      "-c",
      [
        "ip link set lo up",
        `ip addr add ${v4}/24 dev eth0`,
        `ip -6 addr add ${v6}/64 dev eth0 nodad`,
        "ip link set eth0 up",
        `ip route add default via ${gw4}`,
        `ip -6 route add default via ${gw6}`,
      ].join(" && "),
    ]);
    await this.startProcess(run);
  }

  /** Starts the pod's process; once it listens, reports the pod Ready. */
  private async startProcess(run: PodRun): Promise<void> {
    if (run.phase !== "running" || run.sandbox === undefined) return;
    const args = [POD_SERVER, "--name", run.name, ...run.ports.flatMap((p) => ["--port", String(p)])];
    const child = run.sandbox.spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...run.env },
    });
    const startedAt = now();
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    run.process = child;
    run.exited = new Promise((resolve) => child.once("close", () => resolve()));
    child.once("close", (code, signal) => this.exited(run, child, startedAt, code, signal, stderr));
    const listening = await new Promise<boolean>((resolve) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.once("line", (line) => resolve(line === "listening"));
      child.once("close", () => resolve(false));
    });
    if (!listening) {
      child.kill("SIGKILL"); // its exit is reported as a crash
      return;
    }
    run.lastState = run.state?.running === false ? run.state : run.lastState;
    run.state = { running: true, startedAt };
    run.readySince = now();
    await this.writeStatus(run);
  }

  /** The process ended. Unless the pod is being stopped, that is a crash: NotReady, then restart. */
  private exited(
    run: PodRun,
    child: ChildProcess,
    startedAt: string,
    code: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
  ): void {
    if (run.process !== child || run.phase !== "running") return;
    if (run.state?.running !== true && stderr !== "") {
      this.problem(
        `${key(run.namespace, run.name)}: the server did not start: ${stderr.trim().split("\n").at(-1)}`,
      );
    }
    const signals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15 };
    const exitCode = code ?? 128 + (signals[signal ?? ""] ?? 0);
    run.state = { running: false, startedAt, finishedAt: now(), exitCode };
    run.readySince = now();
    this.enqueue(run, () => this.writeStatus(run));
    this.enqueue(run, async () => {
      await sleep(this.o.restartDelayMs);
      if (run.phase !== "running") return;
      run.restartCount++;
      await this.startProcess(run);
    });
  }

  private async writeStatus(run: PodRun): Promise<void> {
    if (run.phase === "gone" || run.state === undefined || run.ips === undefined) return;
    const status = podStatus({
      containers: run.containers,
      hostIPs: this.o.hostIPs,
      podIPs: run.ips,
      startTime: run.startTime,
      state: run.state,
      restartCount: run.restartCount,
      readySince: run.readySince,
      ...(run.lastState !== undefined ? { lastState: run.lastState } : {}),
    });
    try {
      await request(this.o.kc, "PATCH", `/api/v1/namespaces/${run.namespace}/pods/${run.name}/status`, {
        // The uid is immutable: a patch meant for an older pod of the same name is refused.
        body: { metadata: { uid: run.uid }, status },
        contentType: "application/merge-patch+json",
      });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  private async teardown(run: PodRun): Promise<void> {
    if (alive(run.process)) {
      run.process?.kill("SIGKILL");
      await run.exited;
    }
    if (run.host !== undefined) {
      await this.o.node.run("ip", ["link", "del", `zlp${run.host}`]).catch(() => undefined);
      this.hosts.release(run.host);
      run.host = undefined;
    }
    await run.sandbox?.close();
    run.sandbox = undefined;
  }

  /** Deletes the pod object with grace 0, only if it is still this pod (uid precondition). */
  private async deleteObject(run: PodRun): Promise<void> {
    try {
      await request(this.o.kc, "DELETE", `/api/v1/namespaces/${run.namespace}/pods/${run.name}`, {
        body: {
          kind: "DeleteOptions",
          apiVersion: "v1",
          gracePeriodSeconds: 0,
          preconditions: { uid: run.uid },
        },
      });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw error;
    }
  }
}
