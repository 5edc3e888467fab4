/**
 * A TCP proxy between one zen-lead replica and the API server, to break the network the ways real
 * networks break:
 *
 * - `freeze()`: open connections go silent in both directions — no reset, no FIN; the kernel still
 *   acknowledges, so only the application can notice (a NAT or load balancer that lost its state).
 *   New connections work.
 * - `drop()`: open connections are reset (RST). New connections work.
 * - `partition()`: open connections go silent, and new ones are accepted but never answered (a
 *   black hole), until `heal()`, which lets everything flow again (delayed data included).
 *
 * Silence is `pause()` on both sockets: nothing is read, so the peer's writes pile up in buffers
 * as they would behind a dead link.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  silent: boolean;
}

export interface TcpProxy {
  /** The local port replicas connect to. */
  readonly port: number;
  freeze(): void;
  drop(): void;
  partition(): void;
  /** Ends a partition (and un-freezes): held connections flow again, new ones are forwarded. */
  heal(): void;
  /** Connections open through the proxy now. */
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let blackhole = false;

  const pump = (pair: Pair, from: Socket, to: Socket) => {
    from.on("data", (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (!pair.silent) from.resume();
        });
      }
    });
  };
  const silence = (pair: Pair) => {
    pair.silent = true;
    pair.client.pause();
    pair.upstream?.pause();
  };
  const forward = (pair: Pair) => {
    pair.silent = false;
    if (pair.upstream === undefined) {
      const upstream = tcpConnect(target.port, target.host);
      pair.upstream = upstream;
      pump(pair, pair.client, upstream);
      pump(pair, upstream, pair.client);
      upstream.on("error", () => pair.client.destroy());
      upstream.on("close", () => {
        pair.client.destroy();
        pairs.delete(pair);
      });
    }
    pair.client.resume();
    pair.upstream.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    const pair: Pair = { client, upstream: undefined, silent: true };
    pairs.add(pair);
    client.on("error", () => pair.upstream?.destroy());
    client.on("close", () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (!blackhole) forward(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    port,
    freeze() {
      for (const pair of pairs) silence(pair);
    },
    drop() {
      for (const pair of pairs) {
        pair.client.resetAndDestroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
    },
    partition() {
      blackhole = true;
      for (const pair of pairs) silence(pair);
    },
    heal() {
      blackhole = false;
      for (const pair of pairs) if (pair.silent && !pair.client.destroyed) forward(pair);
    },
    connections: () => pairs.size,
    close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
