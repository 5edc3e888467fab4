/**
 * Raw requests to the API server with the KubeConfig's credentials and TLS (the same way the
 * client's own `Watch` does it). Raw, because the core decodes API JSON as the server sends it (the
 * typed clients turn timestamps into Dates and drop unknown fields), and because the applier needs
 * the status code and `Retry-After` of every answer.
 */
import { HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";
import { fetch } from "undici";

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

/** The HTTP status of any error: ApiError's, the client Watch's `statusCode`, else 0 (network). */
export function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : 0;
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

const METHODS = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
} as const;

/** Sends one request; resolves with the parsed JSON body of a 2xx answer, rejects with ApiError. */
export async function request(
  kc: KubeConfig,
  method: keyof typeof METHODS,
  path: string,
  options: RequestOptions = {},
): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ApiError(0, "no current cluster in the kubeconfig");
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  const ctx = new RequestContext(url.toString(), METHODS[method]);
  await kc.applySecurityAuthentication(ctx);
  const headers: Record<string, string> = { ...ctx.getHeaders(), accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const dispatcher = ctx.getDispatcher();
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, {
      method,
      headers,
      ...(dispatcher !== undefined ? { dispatcher } : {}),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new ApiError(0, `${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok) return json;
  const status = json as
    | { message?: unknown; reason?: unknown; details?: { causes?: { field?: unknown }[] } }
    | undefined;
  const causes = Array.isArray(status?.details?.causes) ? status.details.causes : [];
  const fields = causes.flatMap((c) => (typeof c?.field === "string" ? [c.field] : []));
  const message = typeof status?.message === "string" ? status.message : text.slice(0, 200);
  throw new ApiError(
    response.status,
    `${method} ${path}: ${response.status} ${message}`,
    typeof status?.reason === "string" ? status.reason : undefined,
    retryAfter(response.headers.get("retry-after")),
    fields,
  );
}
