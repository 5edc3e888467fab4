/**
 * Runs an unpacked image with runc the way the kubelet would run it as a pod's container under the
 * chart's restricted securityContext with `hostNetwork: true`: the image's entrypoint with the
 * pod's args, its user (65532), a read-only root filesystem, no capabilities, no privilege
 * escalation, an emptyDir at /tmp, and the ServiceAccount's token, CA and namespace mounted
 * read-only at /var/run/secrets/kubernetes.io/serviceaccount. The host's network namespace is
 * shared, so the container reaches the loopback-only API server and its ports are the host's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, succeed } from "./commands.ts";
import type { ImageConfig } from "./oci-image.ts";

/** Where a pod finds its ServiceAccount's credentials (the kubelet's projected volume). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface PodContainer {
  /** The container's id, unique among runc's containers under `stateDir`. */
  readonly id: string;
  /** The bundle directory: holds `rootfs/`; runc's config.json is written next to it. */
  readonly bundle: string;
  /** runc's state directory (`runc --root`). */
  readonly stateDir: string;
  readonly image: ImageConfig;
  /** The pod's `args`: they replace the image's Cmd, after its Entrypoint. */
  readonly args: readonly string[];
  /** Added to the image's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** A host directory holding `token`, `ca.crt` and `namespace`. */
  readonly serviceAccount: string;
  readonly hostname: string;
}

export interface RunningContainer {
  /** Everything the container wrote to stdout and stderr so far. */
  output(): string;
  /** The container's exit code (runc's own when it could not start it). */
  readonly exited: Promise<number | null>;
  /** `runc kill`: a signal to the container's first process, as the kubelet sends it. */
  kill(signal: "TERM" | "KILL"): Promise<void>;
  /** The host pid of the container's first process. */
  pid(): Promise<number>;
  /** Removes the container (killing it first if it still runs). */
  remove(): Promise<void>;
}

function uidGid(user: string | undefined): { uid: number; gid: number } {
  const [uid = "0", gid = uid] = (user ?? "0").split(":");
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid))
    throw new Error(`image user ${JSON.stringify(user)} is not numeric`);
  return { uid: Number(uid), gid: Number(gid) };
}

interface RuntimeSpec {
  process: Record<string, unknown>;
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { namespaces: { type: string }[] } & Record<string, unknown>;
}

/** Writes the bundle's config.json: runc's default spec, changed as described above. */
async function writeRuntimeSpec(pod: PodContainer): Promise<void> {
  const path = join(pod.bundle, "config.json");
  rmSync(path, { force: true });
  await succeed("runc", ["spec", "--bundle", pod.bundle]);
  const spec = JSON.parse(readFileSync(path, "utf8")) as RuntimeSpec;
  const env = [...(pod.image.Env ?? []), ...Object.entries(pod.env).map(([k, v]) => `${k}=${v}`)];
  spec.process = {
    ...spec.process,
    terminal: false,
    user: uidGid(pod.image.User),
    args: [...(pod.image.Entrypoint ?? []), ...pod.args],
    env,
    cwd: pod.image.WorkingDir || "/",
    capabilities: { bounding: [], effective: [], permitted: [], ambient: [] },
    noNewPrivileges: true,
  };
  spec.root = { path: "rootfs", readonly: true };
  spec.hostname = pod.hostname;
  spec.mounts.push(
    { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"] },
    {
      destination: SERVICE_ACCOUNT_DIR,
      type: "bind",
      source: pod.serviceAccount,
      options: ["rbind", "ro", "nosuid", "nodev", "noexec"],
    },
  );
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== "network");
  writeFileSync(path, JSON.stringify(spec, null, 2));
}

/** Starts the container (`runc run`, attached: its output comes back through runc). */
export async function startContainer(pod: PodContainer): Promise<RunningContainer> {
  await writeRuntimeSpec(pod);
  const runc = (...args: string[]) => ["--root", pod.stateDir, ...args];
  const child: ChildProcess = spawn("runc", runc("run", "--bundle", pod.bundle, pod.id), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code));
  });
  return {
    output: () => output,
    exited,
    kill: async (signal) => {
      await succeed("runc", runc("kill", pod.id, signal));
    },
    pid: async () => (JSON.parse(await succeed("runc", runc("state", pod.id))) as { pid: number }).pid,
    remove: async () => {
      await run("runc", runc("delete", "--force", pod.id));
      if (child.exitCode === null) await exited.catch(() => undefined);
    },
  };
}
