/**
 * One connection pool per API server, shared by watches, lists, writes, the Lease and Events.
 *
 * Why: @kubernetes/client-node 2.0.1 builds a new undici Agent — a new pool, new TLS handshakes —
 * on every `applySecurityAuthentication()` call. Per request, under
 * 50 writes/s, that kept hundreds of connections open and grew the holder's memory by 350 MB.
 *
 * The pool is an undici Agent that speaks HTTP/2 when the server offers it (the API server does):
 * every request and watch is a stream on one TCP connection. Dead connections are found by:
 * - HTTP/2 PINGs every `PING_INTERVAL_MS`: a ping still unanswered at the next one tears the
 *   session down (undici), so a silently dead connection is found within 2 × 5 s;
 * - a response-headers deadline of `HEADERS_TIMEOUT_MS` (on HTTP/2 a stream that times out also
 *   makes undici ping the session);
 * - TCP keepalive after `TCP_KEEPALIVE_DELAY_MS` idle (Node sets only the idle time; the probe
 *   interval and count are the kernel's, minutes on Linux, so this alone is not enough);
 * - and, for watches, the watch deadline (`watch.ts`), which holds on HTTP/1.1 too.
 *
 * TLS material (CA, client certificate) is read once, when the pool is built; credentials that
 * rotate (bearer tokens, token files, exec plugins) are asked of the KubeConfig again when the last
 * answer is `CREDENTIALS_TTL_MS` old (`headers()`; asking reads the CA file too, in a pod). A cluster
 * with a `proxy-url` uses the client's own proxy dispatcher, built once.
 */
import type { RequestOptions as HttpsRequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";

/** An HTTP/2 PING every this often; an unanswered one ends the connection at the next. */
export const PING_INTERVAL_MS = 5_000;
/** A request whose response headers have not arrived after this fails (status 0). */
export const HEADERS_TIMEOUT_MS = 30_000;
/** TCP keepalive probes start after this much idle time. */
export const TCP_KEEPALIVE_DELAY_MS = 15_000;
/** Request headers (credentials) are reused for this long. client-go re-reads a token file every minute. */
export const CREDENTIALS_TTL_MS = 10_000;

export interface ApiConnection {
  /** The server's base URL, from the kubeconfig's current cluster. */
  readonly server: string;
  /** The shared pool (built on first use); undefined only when the client would use none either. */
  dispatcher(): Promise<Dispatcher | undefined>;
  /** The request headers carrying the current credentials (at most `CREDENTIALS_TTL_MS` old). */
  headers(): Promise<Readonly<Record<string, string>>>;
}

function headerValues(opts: HttpsRequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  if (typeof opts.auth === "string" && opts.auth !== "") {
    headers.authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  }
  return headers;
}

async function buildDispatcher(kc: KubeConfig): Promise<Dispatcher | undefined> {
  const cluster = kc.getCurrentCluster();
  if (cluster?.proxyUrl !== undefined && cluster.proxyUrl !== "") {
    // Proxies (http, https, socks) are the client's business; build its dispatcher once. Loaded
    // only here: the client's index loads every generated API model (~45 MiB).
    const { HttpMethod, RequestContext } = await import("@kubernetes/client-node");
    const ctx = new RequestContext(cluster.server, HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    return ctx.getDispatcher();
  }
  const opts: HttpsRequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const tls = {
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.pfx !== undefined ? { pfx: opts.pfx } : {}),
    ...(opts.passphrase !== undefined ? { passphrase: opts.passphrase } : {}),
    ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
  };
  return new Agent({
    allowH2: true,
    h2Options: { pingInterval: PING_INTERVAL_MS },
    headersTimeout: HEADERS_TIMEOUT_MS,
    connect: { ...tls, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS },
  });
}

/**
 * A connection to the kubeconfig's current cluster (uncached: `http.ts` keeps one per KubeConfig).
 * `now` (default Date.now) times the credentials' reuse.
 */
export function createApiConnection(kc: KubeConfig, now: () => number = Date.now): ApiConnection {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("no current cluster in the kubeconfig");
  let pool: Promise<Dispatcher | undefined> | undefined;
  let credentials: { readonly headers: Promise<Record<string, string>>; readonly at: number } | undefined;
  return {
    server: cluster.server,
    dispatcher() {
      pool ??= buildDispatcher(kc).catch((error: unknown) => {
        pool = undefined; // try again on the next request
        throw error;
      });
      return pool;
    },
    headers() {
      const t = now();
      if (credentials === undefined || t - credentials.at >= CREDENTIALS_TTL_MS) {
        const opts: HttpsRequestOptions = {};
        const headers = kc.applyToHTTPSOptions(opts).then(() => headerValues(opts));
        // A failure (an exec plugin that failed) is not kept: the next request asks again.
        headers.catch(() => {
          if (credentials?.headers === headers) credentials = undefined;
        });
        credentials = { headers, at: t };
      }
      return credentials.headers;
    },
  };
}
