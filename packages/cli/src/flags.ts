/**
 * What the cluster-facing commands share: flags that may also come from `ZEN_LEAD_*` environment
 * variables (a flag wins), values checked up front (a bad one is a usage error: one line, exit 2),
 * and the KubeConfig (`--kubeconfig`, else in-cluster / $KUBECONFIG / ~/.kube/config).
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseDuration } from "@zen-lead/core";
import { KubeConfig } from "./kube-config.ts";
import { UsageError } from "./usage-error.ts";

/** `lease-duration` -> `ZEN_LEAD_LEASE_DURATION`. */
export function envName(flag: string): string {
  return `ZEN_LEAD_${flag.replace(/-/g, "_").toUpperCase()}`;
}

/** The flag's value, else its environment variable's (an empty variable counts as unset). */
export function flagOrEnv(
  value: string | undefined,
  flag: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (value !== undefined) return value;
  const fromEnv = env[envName(flag)];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** A positive Go-style duration ("15s", "1m30s", "500ms") in ms. */
export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new Error(`--${flag}: ${JSON.stringify(text)} is not a positive duration`);
  return ms;
}

/** Where a server listens (`--metrics-addr`, `--health-addr`). */
export interface ListenAddress {
  /** Undefined: every interface (":8080"). */
  readonly host: string | undefined;
  readonly port: number;
}

/** `[host]:port`, as Go's net.Listen takes it: ":8080", "127.0.0.1:9090", "[::1]:8081". */
export function addressFlag(flag: string, text: string): ListenAddress {
  const colon = text.lastIndexOf(":");
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (colon < 0 || !/^\d+$/.test(portText) || port > 65_535) {
    throw new Error(`--${flag}: ${JSON.stringify(text)} is not an address of the form [host]:port`);
  }
  let host = text.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host: host === "" ? undefined : host, port };
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A namespace (or other DNS-1123 label) name. */
export function nameFlag(flag: string, text: string): string {
  if (text.length > 63 || !DNS_1123_LABEL.test(text)) {
    throw new Error(`--${flag}: ${JSON.stringify(text)} is not a valid name (a DNS-1123 label)`);
  }
  return text;
}

/**
 * From a file, else the default chain ($KUBECONFIG, ~/.kube/config, in-cluster service account).
 * `context` (default: `$ZEN_LEAD_CONTEXT`, which `kubectl zen-lead --context` sets) picks a context
 * other than the kubeconfig's current one, as kubectl's `--context` does; one the kubeconfig does
 * not have is a usage error (exit 2). So are a file that cannot be read or parsed, and no
 * kubeconfig at all — where client-node would quietly fall back to `http://localhost:8080` and
 * every request would fail forever.
 */
export function loadKubeConfig(
  path: string | undefined,
  context: string | undefined = flagOrEnv(undefined, "context"),
): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) {
    try {
      kc.loadFromFile(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why = code === "ENOENT" ? "no such file" : (error as Error).message.split("\n")[0];
      throw new UsageError(`zen-lead: --kubeconfig ${path}: ${why}`);
    }
  } else {
    const fromEnv = (process.env.KUBECONFIG ?? "") !== "";
    const inCluster = (process.env.KUBERNETES_SERVICE_HOST ?? "") !== "";
    if (!fromEnv && !inCluster && !existsSync(join(homedir(), ".kube", "config"))) {
      throw new UsageError(
        "zen-lead: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod (its service account)",
      );
    }
    kc.loadFromDefault();
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) {
      throw new UsageError(`zen-lead: context ${JSON.stringify(context)} is not in the kubeconfig`);
    }
    kc.setCurrentContext(context);
  }
  // A file that parses but is no kubeconfig (say, any text file) has no cluster to talk to.
  if (kc.getCurrentCluster() === null) {
    const source = path === undefined ? "the kubeconfig" : `--kubeconfig ${path}`;
    throw new UsageError(`zen-lead: ${source}: no current cluster (is it a kubeconfig?)`);
  }
  return kc;
}

/** Throws unless `path` can be written: its directory exists and is writable (checked before a long run). */
export function writableFile(flag: string, path: string): void {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw new Error(`${flag} ${path}: is a directory, not a file`);
  }
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const why = (error as { code?: string }).code === "ENOENT" ? "does not exist" : "cannot be written";
    throw new Error(`${flag} ${path}: directory ${dir} ${why}`);
  }
}
