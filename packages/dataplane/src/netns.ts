/**
 * Network namespaces held by a process, entered with nsenter. No names under /run/netns: a
 * namespace lives exactly as long as its holder process, and every process started here gets
 * `PR_SET_PDEATHSIG=SIGKILL` (setpriv), so a killed test run leaves no namespace, route or
 * nftables table behind.
 *
 * Two flavours (docs/dataplane.md):
 * - `userns`: the node's namespaces are a new user namespace (current user mapped to root) plus a
 *   network namespace — what an unprivileged user can do (`unshare -Urn`). Pods are network
 *   namespaces created inside that user namespace, so the node's root can wire them.
 * - `plain`: network namespaces only (root).
 */
import { type ChildProcess, execFile, type SpawnOptions, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type NetnsFlavour = "userns" | "plain";

/**
 * The environment of every process started here: ip, nft and iptables live in the sbin
 * directories, which are not on an unprivileged user's PATH on Debian.
 */
export const TOOL_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [process.env.PATH ?? "/usr/bin:/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"].join(":"),
};

/**
 * Entering the node's user namespace. Keep the credentials: this user is already root there (the
 * namespace maps it to 0), and nsenter's own setgroups() is refused where `unshare -r` created it.
 */
const USERNS_ENTER = ["-U", "--preserve-credentials"];

/** One line saying why a command failed: the command and the first line of its stderr. */
export class CommandError extends Error {
  override readonly name = "CommandError";
}

/** Runs a command to completion; resolves with its stdout, rejects with a CommandError. */
export function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, env: TOOL_ENV }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const why = `${stderr}`.trim().split("\n")[0] || error.message.split("\n")[0];
      reject(new CommandError(`${[command, ...args].join(" ")}: ${why}`));
    });
  });
}

/** `setpriv` makes the command die with the process that spawned it (PR_SET_PDEATHSIG). */
function dieWithParent(command: string, args: readonly string[]): string[] {
  return ["setpriv", "--pdeathsig", "KILL", "--", command, ...args];
}

/** A network namespace (and, for `userns`, the user namespace it belongs to), held by a process. */
export class Netns {
  /** The holder's pid; `/proc/PID/ns/net` is the namespace. */
  readonly pid: number;
  readonly flavour: NetnsFlavour;
  private readonly holder: ChildProcess;

  private constructor(pid: number, flavour: NetnsFlavour, holder: ChildProcess) {
    this.pid = pid;
    this.flavour = flavour;
    this.holder = holder;
  }

  /**
   * A new namespace: a top-level one (the node) when `parent` is undefined, else one owned by the
   * parent's user namespace (a pod). Rejects with the holder's stderr when it cannot be created.
   */
  static async create(flavour: NetnsFlavour, parent?: Netns): Promise<Netns> {
    const unshare = flavour === "userns" && parent === undefined ? ["-U", "-r", "-n"] : ["-n"];
    // A pod's namespace must be created inside the node's user namespace (so the node's root
    // owns it); setpriv comes last, after nsenter/unshare changed credentials (which clears it).
    const argv = [
      ...(flavour === "userns" && parent !== undefined
        ? ["nsenter", "-t", String(parent.pid), ...USERNS_ENTER, "--"]
        : []),
      "unshare",
      ...unshare,
      "--",
      ...dieWithParent("sh", ["-c", "echo ready && exec sleep infinity"]),
    ];
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: TOOL_ENV,
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const ready = await new Promise<boolean>((resolve) => {
      lines.once("line", (line) => resolve(line === "ready"));
      child.once("exit", () => resolve(false));
      child.once("error", () => resolve(false));
    });
    lines.close();
    if (!ready || child.pid === undefined) {
      child.kill("SIGKILL");
      const why = stderr.trim().split("\n")[0] || "the holder process exited";
      throw new CommandError(`${argv.join(" ")}: ${why}`);
    }
    // The holder writes nothing more; it must not keep this process's event loop alive either.
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
    return new Netns(child.pid, flavour, child);
  }

  /** The nsenter prefix that runs a command in this namespace, as root of its user namespace. */
  private enter(): string[] {
    return [
      "nsenter",
      "-t",
      String(this.pid),
      ...(this.flavour === "userns" ? USERNS_ENTER : []),
      "-n",
      "--",
    ];
  }

  /** Runs a short command in the namespace; resolves with stdout, rejects with a CommandError. */
  run(command: string, args: readonly string[]): Promise<string> {
    const argv = this.enter();
    return run(argv[0] as string, [...argv.slice(1), command, ...args]);
  }

  /** Starts a long-lived process in the namespace; it dies with this process at the latest. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const argv = [...this.enter(), ...dieWithParent(command, args)];
    return spawn(argv[0] as string, argv.slice(1), { env: TOOL_ENV, ...options });
  }

  /** Writes a sysctl of this namespace (`net.ipv4.ip_forward` style key). */
  async sysctl(key: string, value: string | number): Promise<void> {
    await this.run("sh", ["-c", `echo ${value} > /proc/sys/${key.replaceAll(".", "/")}`]);
  }

  /** Ends the namespace (the holder); idempotent. Processes still in it keep it alive until they exit. */
  async close(): Promise<void> {
    if (this.holder.exitCode !== null || this.holder.signalCode !== null) return;
    const exited = new Promise((resolve) => this.holder.once("exit", resolve));
    this.holder.ref(); // wait for it
    this.holder.kill("SIGKILL");
    await exited;
  }
}
