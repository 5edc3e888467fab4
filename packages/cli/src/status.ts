/**
 * `zen-lead status [-n NS] [SERVICE]`: a read-only table of opted-in Services, from the cluster as it
 * is now — who leads and since when (the leader Service's annotations, which the controller writes),
 * how many pods could lead (counted by the core's own candidate rule), and the reason of the latest
 * Event zen-lead recorded on the Service.
 */
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  ANNOTATIONS,
  decodePod,
  isCandidate,
  isFailure,
  LABELS,
  MANAGED_BY,
  parseTimestamp,
} from "@zen-lead/core";
import { REPORTING_CONTROLLER } from "@zen-lead/k8s-adapter";
import { listAll, type RawObject } from "./cluster-read.ts";
import { flagOrEnv, loadKubeConfig, nameFlag } from "./flags.ts";
import { UsageError, usage } from "./usage-error.ts";

export const STATUS_HELP = `usage: zen-lead status [-n NS] [SERVICE] [--kubeconfig FILE]

Lists the Services opted in to zen-lead (zen-lead.io/enabled: "true") with their leader pod, since
when it leads, how many Ready candidates they have, and the reason of zen-lead's latest Event on
the Service. Read-only.

  -n, --namespace NS    only this namespace (default: all namespaces)
  --kubeconfig FILE     kubeconfig to use (default: $ZEN_LEAD_KUBECONFIG, $KUBECONFIG, ~/.kube/config,
                        or in-cluster)`;

const OPTIONS = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export interface StatusRow {
  readonly namespace: string;
  readonly service: string;
  readonly leaderService: string;
  readonly leader: string | undefined;
  readonly since: string | undefined;
  readonly ready: number;
  readonly lastReason: string | undefined;
}

interface RawEvent extends RawObject {
  readonly reason?: string;
  readonly reportingController?: string;
  readonly regarding?: { readonly kind?: string; readonly name?: string };
  readonly eventTime?: string;
  readonly series?: { readonly lastObservedTime?: string };
  readonly deprecatedLastTimestamp?: string;
  readonly metadata?: RawObject["metadata"] & { readonly creationTimestamp?: string };
}

function eventTime(e: RawEvent): number {
  for (const t of [
    e.series?.lastObservedTime,
    e.eventTime,
    e.deprecatedLastTimestamp,
    e.metadata?.creationTimestamp,
  ]) {
    if (typeof t === "string") {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return 0;
}

/** A Service selector (equality only): every pair must be present. */
function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The rows, sorted by namespace then name. */
export async function statusRows(
  kc: KubeConfig,
  namespace: string | undefined,
  service: string | undefined,
): Promise<StatusRow[]> {
  const services = await listAll(kc, "/api/v1", "services", namespace);
  const sources = services.filter(
    (s) =>
      s.metadata?.annotations?.[ANNOTATIONS.enabled] === "true" &&
      (service === undefined || s.metadata?.name === service),
  );
  const rows: StatusRow[] = [];
  const byNamespace = new Map<string, RawObject[]>();
  for (const s of sources) {
    const n = s.metadata?.namespace ?? "";
    byNamespace.set(n, [...(byNamespace.get(n) ?? []), s]);
  }
  for (const [ns, nsSources] of byNamespace) {
    const [pods, events] = await Promise.all([
      listAll(kc, "/api/v1", "pods", ns),
      listAll(kc, "/apis/events.k8s.io/v1", "events", ns) as Promise<RawEvent[]>,
    ]);
    const podViews = pods.flatMap((p) => {
      const d = decodePod(p);
      return isFailure(d) ? [] : [d];
    });
    for (const s of nsSources) {
      const name = s.metadata?.name ?? "";
      const leaderSvc = services.find(
        (o) =>
          o.metadata?.namespace === ns &&
          o.metadata?.labels?.[LABELS.managedBy] === MANAGED_BY &&
          o.metadata?.labels?.[LABELS.sourceService] === name,
      );
      const selector = (s.spec as { selector?: Record<string, string> } | undefined)?.selector;
      const ready =
        selector === undefined || Object.keys(selector).length === 0
          ? 0
          : podViews.filter((p) => selects(selector, p.labels) && isCandidate(p)).length;
      const latest = events
        .filter(
          (e) =>
            e.reportingController === REPORTING_CONTROLLER &&
            e.regarding?.kind === "Service" &&
            e.regarding.name === name,
        )
        .sort((a, b) => eventTime(b) - eventTime(a))[0];
      rows.push({
        namespace: ns,
        service: name,
        leaderService: leaderSvc?.metadata?.name ?? "",
        leader: leaderSvc?.metadata?.annotations?.[ANNOTATIONS.leaderPod],
        since: leaderSvc?.metadata?.annotations?.[ANNOTATIONS.leaderSince],
        ready,
        lastReason: latest?.reason,
      });
    }
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}

export function renderTable(rows: readonly StatusRow[], now = Date.now()): string {
  const header = ["NAMESPACE", "SERVICE", "LEADER SERVICE", "LEADER", "SINCE", "READY", "LAST REASON"];
  const cells = rows.map((r) => {
    const since = r.since === undefined ? undefined : parseTimestamp(r.since);
    return [
      r.namespace,
      r.service,
      r.leaderService || "-",
      r.leader ?? "<none>",
      r.since === undefined ? "-" : `${r.since}${since === undefined ? "" : ` (${age(now - since)})`}`,
      String(r.ready),
      r.lastReason ?? "-",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  return [header, ...cells]
    .map((line) =>
      line
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export async function status(args: readonly string[]): Promise<number> {
  let opts: { namespace: string | undefined; service: string | undefined; kubeconfig: string | undefined };
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    if (values.help) {
      console.log(STATUS_HELP);
      return 0;
    }
    if (positionals.length > 1) throw new Error(`expected at most one SERVICE, got ${positionals.length}`);
    opts = {
      namespace: values.namespace === undefined ? undefined : nameFlag("namespace", values.namespace),
      service: positionals[0],
      kubeconfig: flagOrEnv(values.kubeconfig, "kubeconfig"),
    };
  } catch (error) {
    throw usage("status", error);
  }
  if (opts.service !== undefined && opts.namespace === undefined) opts.namespace = "default";
  const kc = loadKubeConfig(opts.kubeconfig);
  const rows = await statusRows(kc, opts.namespace, opts.service);
  if (rows.length === 0) {
    if (opts.service !== undefined) {
      throw new UsageError(
        `zen-lead status: Service ${opts.namespace}/${opts.service} is not opted in to zen-lead`,
      );
    }
    console.log(
      `No Services opted in to zen-lead${opts.namespace === undefined ? "" : ` in ${opts.namespace}`}.`,
    );
    return 0;
  }
  console.log(renderTable(rows));
  return 0;
}
