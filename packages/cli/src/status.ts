/**
 * `zen-lead status [-n NS] [SERVICE]`: a read-only table of opted-in Services, from the cluster as it
 * is now, judged by the core's own rules: the cluster's Services, pods and zen-lead's slices are
 * folded through `step` (as a restarted controller would), so ownership, name collisions and
 * candidates are what zen-lead itself decides. The leader shown is the pod that receives traffic
 * (the endpoint of zen-lead's own slice), never a name on a Service that routes nowhere; a source
 * zen-lead may not write for (a NameCollision, say) shows as blocked. LAST REASON is the warning
 * standing now, else why the leader leads (`zen-lead.io/leader-reason`), else the reason of
 * zen-lead's latest Event on the Service.
 */
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  ANNOTATIONS,
  decisionOf,
  decode,
  disqualification,
  initialState,
  isZenLeadSlice,
  type Kind,
  leaderSliceName,
  mapValues,
  observedOwned,
  parseTimestamp,
  podOf,
  readSourceConfig,
  type State,
  step,
} from "@zen-lead/core";
import { REPORTING_CONTROLLER, SLICE_SELECTOR } from "@zen-lead/k8s-adapter";
import { getObject, listAll, type RawObject } from "./cluster-read.ts";
import { flagOrEnv, loadKubeConfig, nameFlag } from "./flags.ts";
import { UsageError, usage } from "./usage-error.ts";

/** `zen-lead status --help`. */
export const STATUS_HELP = `usage: zen-lead status [-n NS] [SERVICE] [--kubeconfig FILE]

Lists the Services opted in to zen-lead (zen-lead.io/enabled: "true") with the pod their leader
Service sends traffic to (<blocked> when zen-lead may write nothing for them, e.g. NameCollision),
since when it leads, how many Ready candidates they have, and the last reason: the warning standing
now, else why the leader leads, else zen-lead's latest Event on the Service. Read-only.

  -n, --namespace NS    only this namespace (default: all namespaces)
  --kubeconfig FILE     kubeconfig to use (default: $ZEN_LEAD_KUBECONFIG, $KUBECONFIG, ~/.kube/config,
                        or in-cluster)`;

const DISCOVERY = "/apis/discovery.k8s.io/v1";

const OPTIONS = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** One opted-in Service as `zen-lead status` shows it. */
export interface StatusRow {
  readonly namespace: string;
  readonly service: string;
  /** Its leader Service's name; "" when zen-lead has not written one. */
  readonly leaderService: string;
  /** The leader pod, undefined when there is none. */
  readonly leader: string | undefined;
  /** Its leader Service's `leader-since` annotation (RFC 3339), shown whether or not it routes anywhere. */
  readonly since: string | undefined;
  /** Ready candidate pods. */
  readonly ready: number;
  /** The reason of zen-lead's latest Event on the Service. */
  readonly lastReason: string | undefined;
  /**
   * Set when the pod receiving the leader traffic is not the one zen-lead would publish now (it is
   * gone, NotReady, ... — `why` — and `next` would receive it, undefined for none): zen-lead has
   * not moved it, so it is not running, not leading, or cannot reach the cluster. Unset when zen-lead
   * publishes no endpoint on purpose (a standing warning says why, in `lastReason`).
   */
  readonly stale?: { readonly why: string; readonly next: string | undefined };
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

/** Warnings that mean zen-lead writes nothing for the source. */
const BLOCKING: ReadonlySet<string> = new Set([
  "NameCollision",
  "NoSelector",
  "ExternalNameSource",
  "DecodeFailed",
]);

/**
 * The core's view of one namespace: its Services and pods, zen-lead's slices, and — so that a
 * foreign slice squatting a name zen-lead wants is seen — any other slice at such a name.
 */
async function foldNamespace(
  kc: KubeConfig,
  namespace: string,
  services: readonly RawObject[],
): Promise<State> {
  const [pods, ownSlices] = await Promise.all([
    listAll(kc, "/api/v1", "pods", namespace),
    listAll(kc, DISCOVERY, "endpointslices", namespace, { labelSelector: SLICE_SELECTOR }),
  ]);
  const fold = (state: State, kind: Kind, objects: readonly RawObject[]) =>
    step(state, { type: "resync", kind, objects: objects.map((o) => decode(kind, o)) });
  let state = fold(fold(initialState(Date.now()), "Service", services), "Pod", pods);
  state = step(state, { type: "synced", kind: "Node" }); // zones change nothing shown here
  const seen = new Set(ownSlices.map((o) => o.metadata?.name));
  const others: RawObject[] = [];
  for (const svc of mapValues(state.services)) {
    const config = readSourceConfig(svc);
    if (!config.optedIn || !config.usable) continue;
    for (const family of svc.ipFamilies.length > 0 ? svc.ipFamilies : (["IPv4"] as const)) {
      const name = leaderSliceName(config.config.leaderServiceName, family);
      if (seen.has(name)) continue;
      const other = await getObject(kc, DISCOVERY, "endpointslices", namespace, name);
      if (other !== undefined) others.push(other);
    }
  }
  return fold(state, "EndpointSlice", [...ownSlices, ...others]);
}

/** Why a pod cannot lead any more, as status says it: `gone`, or its disqualification reason. */
function gone(state: State, namespace: string, pod: string): string {
  const view = podOf(state, namespace, pod);
  return view === undefined ? "gone" : (disqualification(view) ?? "not chosen");
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
  const byNamespace = new Map<string, RawObject[]>();
  for (const s of services) {
    const n = s.metadata?.namespace ?? "";
    byNamespace.set(n, [...(byNamespace.get(n) ?? []), s]);
  }
  const rows: StatusRow[] = [];
  for (const [ns, nsServices] of byNamespace) {
    const sources = nsServices.filter(
      (s) =>
        s.metadata?.annotations?.[ANNOTATIONS.enabled] === "true" &&
        (service === undefined || s.metadata?.name === service),
    );
    if (sources.length === 0) continue;
    const [state, events] = await Promise.all([
      foldNamespace(kc, ns, nsServices),
      listAll(kc, "/apis/events.k8s.io/v1", "events", ns) as Promise<RawEvent[]>,
    ]);
    for (const s of sources) {
      const name = s.metadata?.name ?? "";
      const decision = decisionOf(state, `${ns}/${name}`);
      const owned = decision === undefined ? [] : observedOwned(state, `${ns}/${name}`, decision.source.uid);
      const leaderService = owned.find((o) => o.kind === "Service");
      // A warning that blocks the source says more than any other standing beside it.
      const warning = decision?.warnings.find((w) => BLOCKING.has(w.reason)) ?? decision?.warnings[0];
      const blocked = warning !== undefined && BLOCKING.has(warning.reason);
      // Who receives traffic: the endpoint of zen-lead's own slice (never a stray one).
      const receiving = owned.flatMap((o) =>
        o.kind === "EndpointSlice" && isZenLeadSlice(o) ? o.endpoints : [],
      )[0]?.podName;
      // Whom zen-lead would publish: its wanted slice's endpoint, not the elected leader, as it
      // publishes no endpoint on purpose at times (a named port the leader lacks, no address of
      // the Service's family): that is a standing warning, not a controller that is not running.
      const next = (decision?.desired ?? []).flatMap((o) =>
        o.kind === "EndpointSlice" ? o.endpoints : [],
      )[0]?.podName;
      const stale =
        blocked || decision?.desired === undefined || receiving === next
          ? undefined
          : { why: receiving === undefined ? "no endpoint" : gone(state, ns, receiving), next };
      const annotations = leaderService?.kind === "Service" ? leaderService.annotations : {};
      const latest = events
        .filter(
          (e) =>
            e.reportingController === REPORTING_CONTROLLER &&
            e.regarding?.kind === "Service" &&
            e.regarding.name === name,
        )
        .sort((a, b) => eventTime(b) - eventTime(a))[0];
      // A refusal the shell said (WriteRejected) stands while the leader Service is missing or
      // still names another pod than its slice: the refused write has not landed yet.
      const refused =
        latest?.reason === "WriteRejected" &&
        (leaderService === undefined || annotations[ANNOTATIONS.leaderPod] !== receiving);
      rows.push({
        namespace: ns,
        service: name,
        leaderService: leaderService?.name ?? "",
        // Nobody receives traffic through a leader Service that does not exist.
        leader: blocked ? "<blocked>" : leaderService === undefined ? undefined : receiving,
        since: blocked ? undefined : annotations[ANNOTATIONS.leaderSince],
        ready: decision?.candidates ?? 0,
        lastReason:
          warning?.reason ??
          (refused ? "WriteRejected" : (annotations[ANNOTATIONS.leaderReason] ?? latest?.reason)),
        ...(stale !== undefined ? { stale } : {}),
      });
    }
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service));
}

/** The rows as a kubectl-style table (ages counted to `now`, epoch ms). */
export function renderTable(rows: readonly StatusRow[], now = Date.now()): string {
  const header = ["NAMESPACE", "SERVICE", "LEADER SERVICE", "LEADER", "SINCE", "READY", "LAST REASON"];
  const cells = rows.map((r) => {
    const since = r.since === undefined ? undefined : parseTimestamp(r.since);
    return [
      r.namespace,
      r.service,
      r.leaderService || "-",
      r.stale !== undefined && r.leader !== undefined
        ? `${r.leader} (${r.stale.why})`
        : (r.leader ?? "<none>"),
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

/**
 * `zen-lead status [SERVICE]`: prints the table. Resolves to 0; throws a UsageError (exit 2) on bad
 * flags or a SERVICE that is not found or not opted in.
 */
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
      const key = `${opts.namespace}/${opts.service}`;
      const svc = await getObject(kc, "/api/v1", "services", opts.namespace ?? "default", opts.service);
      const enabled = svc?.metadata?.annotations?.[ANNOTATIONS.enabled];
      // Say why: no such Service, or an opt-in value zen-lead refuses (its InvalidAnnotation Event).
      const why =
        svc === undefined
          ? `there is no Service ${key}`
          : enabled !== undefined && enabled !== "false"
            ? `Service ${key} is not opted in to zen-lead: ${ANNOTATIONS.enabled} is ${JSON.stringify(enabled)}, and only "true" opts in`
            : `Service ${key} is not opted in to zen-lead`;
      throw new UsageError(`zen-lead status: ${why}`);
    }
    if (opts.namespace !== undefined) {
      // A mistyped namespace is not an empty one (a 403 here: the user may not read namespaces).
      const namespace = await getObject(kc, "/api/v1", "namespaces", undefined, opts.namespace).catch(
        () => ({}),
      );
      if (namespace === undefined)
        throw new UsageError(`zen-lead status: there is no namespace ${opts.namespace}`);
    }
    console.log(
      `No Services opted in to zen-lead${opts.namespace === undefined ? "" : ` in ${opts.namespace}`}.`,
    );
    return 0;
  }
  console.log(renderTable(rows));
  for (const line of staleNotes(rows)) console.log(line);
  return 0;
}

/** One line per row whose leader traffic goes where zen-lead would not send it now. */
export function staleNotes(rows: readonly StatusRow[]): string[] {
  return rows.flatMap((r) => {
    if (r.stale === undefined) return [];
    const now =
      r.leader === undefined
        ? "no pod receives its leader traffic"
        : `${r.leader} still receives its leader traffic (${r.stale.why})`;
    const would =
      r.stale.next === undefined
        ? "zen-lead would leave it without a leader"
        : `zen-lead would move it to ${r.stale.next}`;
    return [
      `note: ${r.namespace}/${r.service}: ${now}; ${would} — is \`zen-lead run\` running and holding its Lease?`,
    ];
  });
}
