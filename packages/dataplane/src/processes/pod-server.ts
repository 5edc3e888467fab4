/**
 * The "container" of a data-plane pod: an HTTP server that answers every request with its pod's
 * name, on each of the pod's TCP container ports, IPv4 and IPv6.
 *
 *   node pod-server.ts --name POD --port 8080 [--port 9090 ...]
 *
 * Prints `listening` once every port is bound (the kubelet then reports the pod Ready). SIGTERM:
 * exits at once, or after `DRAIN_MS` (from the container's env) during which it keeps answering
 * new connections, as an application with a pre-stop delay would.
 */
import { createServer, type Server } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { name: { type: "string" }, port: { type: "string", multiple: true, default: [] } },
});
const name = values.name ?? "";
const ports = values.port.map(Number);
if (name === "" || ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  process.stderr.write("usage: pod-server.ts --name POD --port N [--port N ...]\n");
  process.exit(2);
}
const drainMs = Number(process.env.DRAIN_MS ?? "0") || 0;
// Before anything else: a SIGTERM must never find the default action (death) in place.
process.once("SIGTERM", () => {
  setTimeout(() => process.exit(0), drainMs);
});

const servers: Server[] = ports.map(() =>
  createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain", connection: "close" });
    response.end(name);
  }),
);
await Promise.all(
  servers.map(
    (server, i) =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        // "::" with IPV6_V6ONLY off (Linux's default) takes IPv4 too.
        server.listen(ports[i], "::", resolve);
      }),
  ),
);
process.stdout.write("listening\n");
