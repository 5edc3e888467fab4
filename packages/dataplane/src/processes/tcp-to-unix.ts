/**
 * Inside the node's network namespace: a TCP listener whose connections are piped to a Unix socket
 * (a file, so reachable from any network namespace) where the harness relays them to the API
 * server on the host's loopback. This is how kube-proxy on the node reaches the control plane.
 *
 *   node tcp-to-unix.ts --listen 127.0.0.1:6443 --unix /tmp/.../api.sock
 *
 * Prints `listening` once bound.
 */
import { connect, createServer } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { listen: { type: "string" }, unix: { type: "string" } } });
const match = /^(.+):(\d+)$/.exec(values.listen ?? "");
if (match === null || values.unix === undefined) {
  process.stderr.write("usage: tcp-to-unix.ts --listen HOST:PORT --unix PATH\n");
  process.exit(2);
}
const unixPath = values.unix;
const server = createServer((client) => {
  const upstream = connect(unixPath);
  client.pipe(upstream).pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(Number(match[2]), match[1], () => process.stdout.write("listening\n"));
