/**
 * `zen-lead record --out FILE`: watches a live cluster the way the controller does (the adapter's
 * own watch loop, with its recovery) and writes what the API server sent as an event log v1
 * (docs/event-log.md), until SIGINT/SIGTERM.
 *
 * The loop's transport is tapped to see the raw objects. Every completed list of a kind becomes one
 * RELIST_START / ADDED… / RELIST_END block holding *every* object of that kind known now: with
 * several namespaces each is listed on its own, but a relist in the log replaces the whole kind, so
 * the other namespaces' objects are repeated from the recorder's store.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatTimestamp, type Kind } from "@zen-lead/core";
import { kubeTransport, type WatchTransport, watchKind } from "@zen-lead/k8s-adapter";
import { type ApiObject, createEventLogWriter, type LogRecord } from "@zen-lead/sim";
import { flagOrEnv, loadKubeConfig, nameFlag, writableFile } from "./flags.ts";
import { usage } from "./usage-error.ts";

/** `zen-lead record --help`. */
export const RECORD_HELP = `usage: zen-lead record --out FILE [-n NS]... [--kubeconfig FILE]

Watches Services, Pods, zen-lead's EndpointSlices and Nodes and writes an event log (format v1,
docs/event-log.md) to FILE until interrupted (Ctrl-C or SIGTERM). Gzip-compressed when FILE ends
in .gz. Replay it with zen-lead replay FILE.

  --out FILE            where to write the log (required)
  -n, --namespace NS    record only NS (repeatable; default all namespaces)
  --kubeconfig FILE     kubeconfig to use (default: $ZEN_LEAD_KUBECONFIG, $KUBECONFIG, ~/.kube/config,
                        or in-cluster)`;

const OPTIONS = {
  out: { type: "string", short: "o" },
  namespace: { type: "string", short: "n", multiple: true },
  kubeconfig: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

const KINDS: readonly Kind[] = ["Node", "Service", "Pod", "EndpointSlice"];
const WATCH_TYPES: ReadonlySet<string> = new Set(["ADDED", "MODIFIED", "DELETED"]);

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function apiObject(raw: unknown): ApiObject | undefined {
  const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" && name !== "" ? (raw as ApiObject) : undefined;
}

function keyOf(o: ApiObject): string {
  const ns = o.metadata.namespace;
  return `${typeof ns === "string" ? ns : ""}/${o.metadata.name}`;
}

/** The namespace a collection path is scoped to, or undefined for all namespaces / cluster scope. */
function namespaceOf(path: string): string | undefined {
  return /\/namespaces\/([^/]+)\//.exec(path)?.[1];
}

/**
 * `zen-lead record --out FILE`: writes the cluster's objects and their changes as an event log
 * until SIGINT/SIGTERM, then exits the process (0; 1 when the log could not be written). Throws a
 * UsageError (exit 2) on bad flags.
 */
export async function record(args: readonly string[]): Promise<number> {
  let opts: { out: string; namespaces: string[]; kubeconfig: string | undefined };
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    if (values.help) {
      console.log(RECORD_HELP);
      return 0;
    }
    if (positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (values.out === undefined || values.out === "") throw new Error("--out FILE is required");
    writableFile("--out", values.out);
    opts = {
      out: values.out,
      namespaces: [...new Set((values.namespace ?? []).map((ns) => nameFlag("namespace", ns)))],
      kubeconfig: flagOrEnv(values.kubeconfig, "kubeconfig"),
    };
  } catch (error) {
    throw usage("record", error);
  }
  const kc = loadKubeConfig(opts.kubeconfig);
  const started = Date.now();
  const writer = createEventLogWriter(opts.out, {
    format: "zen-lead/event-log",
    version: 1,
    recordedAt: formatTimestamp(started),
    source: {
      cluster: kc.getCurrentCluster()?.server ?? kc.getCurrentContext(),
      namespaces: opts.namespaces.length > 0 ? opts.namespaces : null,
      recorder: `zen-lead ${version()}`,
    },
  });
  let last = 0;
  let records = 0;
  let failure: unknown;
  let stop: (why: string) => void = () => undefined;
  const write = (rec: Omit<LogRecord, "t">) => {
    if (failure !== undefined) return;
    last = Math.max(last, Date.now() - started);
    try {
      writer.write({ t: last, ...rec } as LogRecord);
      records++;
    } catch (error) {
      failure = error;
      stop("write failed");
    }
  };

  const subscriptions = KINDS.map((kind) => {
    /** Every object of this kind known now, by namespace/name. */
    const store = new Map<string, ApiObject>();
    /** Items of lists in progress, by collection path. */
    const listing = new Map<string, ApiObject[]>();
    const real = kubeTransport(kc);
    /** The first full list of this kind is in: later failures are retried, as `run` does. */
    let listed = false;
    const tap: WatchTransport = {
      async list(path, query, signal) {
        let page: Awaited<ReturnType<WatchTransport["list"]>>;
        try {
          page = await real.list(path, query, signal);
        } catch (error) {
          // Nothing recorded yet: an API server that cannot be reached (or refuses) is said once, exit 1.
          if (!listed) {
            failure ??= new Error(
              `cannot list ${kind}s: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
            );
            stop("list failed");
          }
          throw error;
        }
        const items = query.continue === undefined ? [] : (listing.get(path) ?? []);
        for (const item of page.items) {
          const o = apiObject(item);
          if (o !== undefined) items.push(o);
        }
        if (page.continue !== undefined) {
          listing.set(path, items);
          return page;
        }
        listing.delete(path);
        listed = true;
        const ns = namespaceOf(path);
        for (const [key, o] of store) if (ns === undefined || o.metadata.namespace === ns) store.delete(key);
        for (const o of items) store.set(keyOf(o), o);
        write({ kind, type: "RELIST_START" });
        for (const o of store.values()) write({ kind, type: "ADDED", object: o });
        write({
          kind,
          type: "RELIST_END",
          ...(opts.namespaces.length <= 1 && page.resourceVersion !== ""
            ? { object: { metadata: { resourceVersion: page.resourceVersion } } }
            : {}),
        });
        return page;
      },
      watch(path, query, onEvent, onDone) {
        return real.watch(
          path,
          query,
          (type, object) => {
            if (WATCH_TYPES.has(type)) {
              const o = apiObject(object);
              if (o !== undefined) {
                if (type === "DELETED") store.delete(keyOf(o));
                else store.set(keyOf(o), o);
                write({ kind, type: type as "ADDED" | "MODIFIED" | "DELETED", object: o });
              }
            } else if (type === "BOOKMARK") {
              const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
                ?.resourceVersion;
              write({
                kind,
                type: "BOOKMARK",
                ...(typeof rv === "string" ? { object: { metadata: { resourceVersion: rv } } } : {}),
              });
            }
            onEvent(type, object);
          },
          onDone,
        );
      },
    };
    return watchKind(kc, kind, {
      transport: tap,
      ...(opts.namespaces.length > 0 ? { namespaces: opts.namespaces } : {}),
      // Once recording has failed, its one line says it all.
      onDiagnostic: (line) => {
        if (failure === undefined) console.error(`zen-lead record: ${kind}: ${line}`);
      },
    }).subscribe();
  });

  const why = await new Promise<string>((resolve) => {
    stop = resolve;
    process.once("SIGINT", () => resolve("interrupted"));
    process.once("SIGTERM", () => resolve("terminated"));
  });
  for (const s of subscriptions) s.unsubscribe();
  let code = failure === undefined ? 0 : 1;
  try {
    await writer.close();
  } catch (error) {
    failure ??= error;
    code = 1;
  }
  if (failure !== undefined) {
    console.error(`zen-lead record: ${failure instanceof Error ? failure.message : String(failure)}`);
  } else {
    console.error(`zen-lead record: ${why}; wrote ${records} records to ${opts.out}`);
  }
  // The watches' sockets are closed by unsubscribing, but do not let a straggler hold the exit.
  process.exit(code);
}
