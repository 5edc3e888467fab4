/**
 * The API server, reachable from inside a node's network namespace. The control plane listens on
 * the host's 127.0.0.1, which a network namespace cannot reach (and an unprivileged user cannot
 * wire one to the host): a Unix socket is a file, so it can. This process relays the socket to the
 * API server; processes/tcp-to-unix.ts, in the node's namespace, relays 127.0.0.1:6443 to the
 * socket. TLS passes through untouched (the serving certificate names 127.0.0.1).
 */
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Netns } from "./netns.ts";

const TCP_TO_UNIX = join(import.meta.dirname, "processes/tcp-to-unix.ts");
/** Where kube-proxy (or anything on the node) finds the API server. */
const NODE_API = { host: "127.0.0.1", port: 6443 };

export interface ApiRelay {
  /** The API server's URL inside the node's namespace. */
  readonly server: string;
  close(): Promise<void>;
}

export async function relayApiServer(kc: KubeConfig, node: Netns, socketPath: string): Promise<ApiRelay> {
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(server);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    relay.once("error", reject);
    relay.listen(socketPath, resolve);
  });
  // Connections kube-proxy keeps open must not hold this process when everything else is done.
  relay.unref();

  const child = node.spawn(
    process.execPath,
    [TCP_TO_UNIX, "--listen", `${NODE_API.host}:${NODE_API.port}`, "--unix", socketPath],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const listening = await new Promise<boolean>((resolve) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (l) =>
      resolve(l === "listening"),
    );
    child.once("close", () => resolve(false));
  });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once("close", resolve));
      child.kill("SIGKILL");
      await closed;
    }
    const closed = new Promise((resolve) => relay.close(resolve));
    for (const s of sockets) s.destroy();
    await closed;
  };
  if (!listening) {
    await close();
    throw new Error(
      `the API relay in the node's namespace did not start: ${stderr.trim().split("\n")[0] ?? ""}`,
    );
  }
  return { server: `https://${NODE_API.host}:${NODE_API.port}`, close };
}
