/** A tiny node:http server for /metrics, /healthz and /readyz: GET only, plain answers. */
import { createServer, type Server } from "node:http";
import type { ListenAddress } from "./flags.ts";

/** A route's answer (default content type: text/plain; charset=utf-8). */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/** Path (without query) -> its handler; a handler that throws answers 500 with the error. */
export type Routes = Readonly<Record<string, () => Reply | Promise<Reply>>>;

/** Listens on `address`; resolves once listening (rejects when the port cannot be bound). */
export function serve(address: ListenAddress, routes: Routes): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes[path];
    const answer = async (): Promise<Reply> => {
      if (route === undefined) return { status: 404, body: "not found\n" };
      if (req.method !== "GET" && req.method !== "HEAD") return { status: 405, body: "method not allowed\n" };
      return await route();
    };
    answer()
      .catch((error: unknown): Reply => ({ status: 500, body: `${String(error)}\n` }))
      .then((reply) => {
        res.writeHead(reply.status, { "content-type": reply.contentType ?? "text/plain; charset=utf-8" });
        res.end(req.method === "HEAD" ? undefined : reply.body);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** Stops accepting, drops open connections, resolves when closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
