/**
 * Raw requests to the API server with the KubeConfig's credentials and TLS. Raw, because the core
 * decodes API JSON as the server sends it (the typed clients turn timestamps into Dates and drop
 * unknown fields), and because the applier needs the status code and `Retry-After` of every answer.
 *
 * Every request to one KubeConfig goes through one connection pool (`connection.ts`; client-node
 * would build a new one per call), and reports to that server's health (`server-health.ts`): an
 * answer that shows the server up wakes the watch loops waiting for it.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { type Dispatcher, request as undiciRequest } from "undici";
import { type ApiConnection, createApiConnection } from "./connection.ts";
import { createServerHealth, type ServerHealth, showsServerUp } from "./server-health.ts";

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** A non-2xx answer (or a failure to get one: `status` 0). */
export class ApiError extends Error {
  readonly status: number;
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** The Status object's `reason` (`AlreadyExists`, `Conflict`, `Expired`, ...), when there is one. */
  readonly reason: string | undefined;
  /** The fields the Status's `details.causes` name (`metadata.uid`, ...). */
  readonly fields: readonly string[];

  constructor(
    status: number,
    message: string,
    reason?: string,
    retryAfterMs?: number,
    fields: readonly string[] = [],
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    this.fields = fields;
  }
}

/**
 * The HTTP status of any error: ApiError's `status`, a client's `statusCode` or `code` (client-node's
 * Watch and ApiException), else 0 (no answer: a network failure).
 */
export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  const e = error as { code?: unknown; statusCode?: unknown; status?: unknown } | null;
  for (const value of [e?.statusCode, e?.code, e?.status]) if (typeof value === "number") return value;
  return 0;
}

/**
 * The API server's refusal to create anything in a namespace being deleted: 403, "... because it is
 * being terminated" (its NamespaceTerminating cause). Nothing will read what was refused.
 */
export function isNamespaceTerminating(error: unknown): boolean {
  return (
    statusOf(error) === 403 &&
    /because it is being terminated/.test((error as Error | undefined)?.message ?? "")
  );
}

function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Told of every answered request (`code` 0: no answer): for a request counter. */
export type RequestListener = (method: Method, code: number) => void;

interface Server {
  readonly connection: ApiConnection;
  readonly health: ServerHealth;
  readonly listeners: Set<RequestListener>;
}

/** One pool and one health per KubeConfig (and so per API server), for the life of the KubeConfig. */
const servers = new WeakMap<KubeConfig, Server>();

function serverOf(kc: KubeConfig): Server {
  let server = servers.get(kc);
  if (server === undefined) {
    const connection = createApiConnection(kc);
    const health = createServerHealth({
      probe: (signal) => request(kc, "GET", "/readyz", { signal }),
    });
    server = { connection, health, listeners: new Set() };
    servers.set(kc, server);
  }
  return server;
}

/** Tells `listener` of every request to the KubeConfig's API server from now on; returns the undo. */
export function onRequest(kc: KubeConfig, listener: RequestListener): () => void {
  const { listeners } = serverOf(kc);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The health of the KubeConfig's API server, as every request to it sees it. */
export function serverHealth(kc: KubeConfig): ServerHealth {
  return serverOf(kc).health;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

/**
 * Sends one request through the shared pool; resolves with the response once its headers are in.
 * Network failures reject with ApiError status 0.
 */
async function send(kc: KubeConfig, method: Method, path: string, options: RequestOptions) {
  let server: Server;
  try {
    server = serverOf(kc);
  } catch (error) {
    throw new ApiError(0, errorText(error));
  }
  const url = new URL(server.connection.server + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  try {
    Object.assign(headers, await server.connection.headers());
    const dispatcher = await server.connection.dispatcher();
    const seq = server.health.sent();
    // undici's request(), not fetch(): no WHATWG streams and Headers per call, a fraction of the
    // garbage at 100 writes/s.
    const response = await undiciRequest(url, {
      method,
      headers,
      ...(dispatcher !== undefined ? { dispatcher } : {}),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    if (showsServerUp(response.statusCode)) server.health.answered(seq);
    for (const listener of server.listeners) listener(method, response.statusCode);
    return response;
  } catch (error) {
    for (const listener of server.listeners) listener(method, 0);
    throw new ApiError(0, `${method} ${path}: ${errorText(error)}`);
  }
}

type Response = Dispatcher.ResponseData;

const ok = (response: Response) => response.statusCode >= 200 && response.statusCode < 300;

/** The ApiError for a non-2xx answer, from its Status body. */
async function failure(method: Method, path: string, response: Response): Promise<ApiError> {
  const text = await response.body.text().catch(() => "");
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const status = json as
    | { message?: unknown; reason?: unknown; details?: { causes?: { field?: unknown }[] } }
    | undefined;
  const causes = Array.isArray(status?.details?.causes) ? status.details.causes : [];
  const fields = causes.flatMap((c) => (typeof c?.field === "string" ? [c.field] : []));
  const message = typeof status?.message === "string" ? status.message : text.slice(0, 200);
  const after = response.headers["retry-after"];
  return new ApiError(
    response.statusCode,
    `${method} ${path}: ${response.statusCode} ${message}`,
    typeof status?.reason === "string" ? status.reason : undefined,
    retryAfter(typeof after === "string" ? after : (after?.[0] ?? null)),
    fields,
  );
}

/**
 * Sends one request; resolves with the parsed JSON body of a 2xx answer (undefined when the body
 * is empty or not JSON), rejects with ApiError (status 0: no answer).
 */
export async function request(
  kc: KubeConfig,
  method: Method,
  path: string,
  options: RequestOptions = {},
): Promise<unknown> {
  const response = await send(kc, method, path, options);
  if (!ok(response)) throw await failure(method, path, response);
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw new ApiError(0, `${method} ${path}: ${errorText(error)}`);
  }
  try {
    return text === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A GET whose body is read as it arrives (a watch): resolves with the body of a 2xx answer once
 * its headers are in (chunks as they come), rejects with ApiError otherwise. Abort with
 * `options.signal`; a body that is not read to its end must be aborted.
 */
export async function openStream(
  kc: KubeConfig,
  path: string,
  options: RequestOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  const response = await send(kc, "GET", path, options);
  if (!ok(response)) throw await failure("GET", path, response);
  return response.body;
}
