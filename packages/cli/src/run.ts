/**
 * `zen-lead run`: the controller. Wiring only: the adapter's watches, core and applier
 * (startController), the Lease among replicas, Events on the source Services, JSON logs, metrics
 * and health endpoints, and a bounded shutdown on SIGTERM/SIGINT.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { decisionOf, isSynced, type State } from "@zen-lead/core";
import {
  createEventRecorder,
  createLeaderElector,
  createWatchLiveness,
  DEFAULT_BURST,
  DEFAULT_QPS,
  type DriftReport,
  isNamespaceTerminating,
  isPermanentRefusal,
  kubeEventSink,
  kubeLeaseApi,
  onRequest,
  PERMANENT_REFUSAL_MAX_BACKOFF_MS,
  startController,
  statusOf,
  type WriteAction,
  type WriteTrace,
} from "@zen-lead/k8s-adapter";
import { pino } from "pino";
import { filter, skip } from "rxjs";
import {
  addressFlag,
  durationFlag,
  envName,
  flagOrEnv,
  type ListenAddress,
  loadKubeConfig,
  nameFlag,
} from "./flags.ts";
import { createMetrics } from "./metrics.ts";
import { OtherInstallCheck } from "./other-install-check.ts";
import { parseFlags } from "./parse-flags.ts";
import { Recreations } from "./recreations.ts";
import { Refusals, refusalNote } from "./refusals.ts";
import { closeServer, serve } from "./serve.ts";
import { usage } from "./usage-error.ts";

/** `zen-lead run --help`. */
export const RUN_HELP = `usage: zen-lead run [options]

Runs the controller: watches Services, Pods, Nodes and zen-lead's EndpointSlices, and keeps each
opted-in Service's leader Service pointing at one Ready pod. Replicas share the work through a
Lease: one writes, the others stand by with warm watches. Every option may also be given as an
environment variable (shown in brackets); a flag wins over its variable.

  --kubeconfig FILE        kubeconfig to use; default in-cluster config   [ZEN_LEAD_KUBECONFIG]
  -n, --namespace NS       watch only NS (repeatable); default all        [ZEN_LEAD_NAMESPACE, comma-separated]
  --metrics-addr ADDR      serve /metrics on [host]:port (default :8080)  [ZEN_LEAD_METRICS_ADDR]
  --health-addr ADDR       serve /healthz, /readyz (default :8081)        [ZEN_LEAD_HEALTH_ADDR]
  --lease-namespace NS     the Lease's namespace (default: the pod's own, else "default")
                                                                          [ZEN_LEAD_LEASE_NAMESPACE]
  --lease-name NAME        the Lease's name (default zen-lead)            [ZEN_LEAD_LEASE_NAME]
  --lease-duration D       default 15s                                    [ZEN_LEAD_LEASE_DURATION]
  --renew-deadline D       default 10s                                    [ZEN_LEAD_RENEW_DEADLINE]
  --retry-period D         default 2s                                     [ZEN_LEAD_RETRY_PERIOD]
  --identity NAME          this replica's name in the Lease (default: hostname)
                                                                          [ZEN_LEAD_IDENTITY]
  --watch-timeout D        restart a watch not heard from for D (default 30s, at least 4s)
                                                                          [ZEN_LEAD_WATCH_TIMEOUT]
  --kube-api-qps N         writes per second to the API server, sustained (default ${DEFAULT_QPS})
                                                                          [ZEN_LEAD_KUBE_API_QPS]
  --kube-api-burst N       writes allowed at once after a quiet spell (default ${DEFAULT_BURST})
                                                                          [ZEN_LEAD_KUBE_API_BURST]
  --log-level LEVEL        trace, debug, info, warn, error, fatal, silent (default info)
                                                                          [ZEN_LEAD_LOG_LEVEL]

SIGTERM or SIGINT stops the watches, waits for writes in flight, hands the Lease back and exits 0
(exit 1 if that takes longer than the shutdown deadline, 10 s).`;

const OPTIONS = {
  kubeconfig: { type: "string" },
  namespace: { type: "string", short: "n", multiple: true },
  "metrics-addr": { type: "string" },
  "health-addr": { type: "string" },
  "lease-namespace": { type: "string" },
  "lease-name": { type: "string" },
  "lease-duration": { type: "string" },
  "renew-deadline": { type: "string" },
  "retry-period": { type: "string" },
  identity: { type: "string" },
  "watch-timeout": { type: "string" },
  "kube-api-qps": { type: "string" },
  "kube-api-burst": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The flags whose value is a number or a duration: `--kube-api-qps -5` is their value, refused as such. */
const NUMERIC_FLAGS = [
  "lease-duration",
  "renew-deadline",
  "retry-period",
  "watch-timeout",
  "kube-api-qps",
  "kube-api-burst",
] as const;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** The service account's namespace file: where the controller's own pod runs. */
const POD_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Shutdown must finish within this (Kubernetes' default grace period is 30 s; stay well inside). */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/** `zen-lead run`'s settings, from flags, environment and defaults (RUN_HELP). */
export interface RunConfig {
  readonly kubeconfig: string | undefined;
  /** Empty: all namespaces. */
  readonly namespaces: readonly string[];
  readonly metricsAddr: ListenAddress;
  readonly healthAddr: ListenAddress;
  readonly leaseNamespace: string;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly identity: string;
  /** A watch not heard from for this long is dead (watch.ts); the server ends each after half. */
  readonly watchTimeoutMs: number;
  /** The client-side write limit: sustained writes per second, and the burst (the applier's bucket). */
  readonly kubeApiQps: number;
  readonly kubeApiBurst: number;
  readonly logLevel: LogLevel;
}

/** The shortest `--watch-timeout`: the server ends each watch after half of it, in whole seconds. */
export const MIN_WATCH_TIMEOUT_MS = 4_000;

/** A positive number (`--kube-api-qps`: fractions allowed) or a positive integer. */
function positiveFlag(flag: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${flag}: ${JSON.stringify(text)} is not a positive ${integer ? "integer" : "number"}`);
  }
  return n;
}

function podNamespace(): string | undefined {
  try {
    const ns = readFileSync(POD_NAMESPACE_FILE, "utf8").trim();
    return ns === "" ? undefined : ns;
  } catch {
    return undefined;
  }
}

/** Flags, then environment, then defaults. Undefined for --help; throws UsageError on bad input. */
export function parseRunConfig(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): RunConfig | undefined {
  try {
    const { values, positionals } = parseFlags(
      { args, options: OPTIONS, allowPositionals: true },
      NUMERIC_FLAGS,
    );
    if (values.help) return undefined;
    if (positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const get = (flag: keyof typeof OPTIONS & string) => {
      const value = values[flag as keyof typeof values];
      return flagOrEnv(typeof value === "string" ? value : undefined, flag, env);
    };
    const nsFromEnv = env[envName("namespace")];
    const namespaces = (
      values.namespace ?? (nsFromEnv === undefined || nsFromEnv === "" ? [] : nsFromEnv.split(","))
    ).map((ns) => nameFlag("namespace", ns.trim()));
    const logLevel = get("log-level") ?? "info";
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new Error(`--log-level: ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(", ")}`);
    }
    const leaseDurationMs = durationFlag("lease-duration", get("lease-duration") ?? "15s");
    const renewDeadlineMs = durationFlag("renew-deadline", get("renew-deadline") ?? "10s");
    const retryPeriodMs = durationFlag("retry-period", get("retry-period") ?? "2s");
    if (renewDeadlineMs >= leaseDurationMs)
      throw new Error("--renew-deadline must be shorter than --lease-duration");
    if (retryPeriodMs >= renewDeadlineMs)
      throw new Error("--retry-period must be shorter than --renew-deadline");
    const watchTimeoutMs = durationFlag("watch-timeout", get("watch-timeout") ?? "30s");
    if (watchTimeoutMs < MIN_WATCH_TIMEOUT_MS) throw new Error("--watch-timeout must be at least 4s");
    const kubeApiQps = positiveFlag("kube-api-qps", get("kube-api-qps") ?? String(DEFAULT_QPS), false);
    const kubeApiBurst = positiveFlag("kube-api-burst", get("kube-api-burst") ?? String(DEFAULT_BURST), true);
    const identity = get("identity") ?? hostname();
    if (identity === "") throw new Error("--identity must not be empty");
    return {
      kubeconfig: get("kubeconfig"),
      namespaces: [...new Set(namespaces)],
      metricsAddr: addressFlag("metrics-addr", get("metrics-addr") ?? ":8080"),
      healthAddr: addressFlag("health-addr", get("health-addr") ?? ":8081"),
      leaseNamespace: nameFlag("lease-namespace", get("lease-namespace") ?? podNamespace() ?? "default"),
      leaseName: get("lease-name") ?? "zen-lead",
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      identity,
      watchTimeoutMs,
      kubeApiQps,
      kubeApiBurst,
      logLevel: logLevel as LogLevel,
    };
  } catch (error) {
    throw usage("run", error);
  }
}

function sameAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.port === b.port && a.host === b.host;
}

/** Warnings the shell makes of a write's outcome: logged with the write's fields, not again as Events. */
const SAID_WITH_THE_WRITE: ReadonlySet<string> = new Set([
  "WriteRejected",
  "DriftNotCorrected",
  "StrayEndpointSlice",
]);

/** Write outcomes worth a warning: the write failed, or did not bring the object where it should be (a refusal: `Refusals`). */
const WARN_STATUSES: ReadonlySet<string> = new Set(["conflict", "retrying", "drifted"]);

/** The note of a DriftNotCorrected Event: which fields of which object, kept so by whom. */
export function driftNote(kind: string, name: string, drift: DriftReport | undefined): string {
  const fields = drift?.fields.join(", ") || "some fields";
  const by =
    drift !== undefined && drift.managers.length > 0 ? ` (field manager ${drift.managers.join(", ")})` : "";
  return `${kind} ${name} still differs from what zen-lead wants after taking it over: ${fields}${by}`;
}

/** A write's trace as ms since the epoch (µs precision): comparable with other processes' clocks. */
export function epochTrace(trace: WriteTrace): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [stage, at] of Object.entries(trace))
    if (typeof at === "number") out[stage] = Math.round((performance.timeOrigin + at) * 1000) / 1000;
  return out;
}

/**
 * Why zen-lead deletes one of its objects, for the info line every deletion gets: its Service opted
 * out or went, or no longer needs it (another leader name, an IP family it no longer serves).
 */
export function deletionReason(action: WriteAction, state: State | undefined): string {
  const decision = state === undefined ? undefined : decisionOf(state, action.source);
  if (decision === undefined || !decision.optedIn)
    return `Service ${action.source} is not opted in to zen-lead (any more), or is gone`;
  return `Service ${action.source} no longer needs it (its leader Service's name or its IP families changed)`;
}

/** The ClusterIP of a Service as the server answered a write, if any. */
function clusterIPOf(object: unknown): string | undefined {
  const ip = (object as { spec?: { clusterIP?: unknown } } | undefined)?.spec?.clusterIP;
  return typeof ip === "string" && ip !== "" ? ip : undefined;
}

/** What a replica refused its Lease (401, 403) says, once: what is refused and what to fix. */
export function leaseRefusalNote(namespace: string, name: string, error: unknown): string {
  const retryS = PERMANENT_REFUSAL_MAX_BACKOFF_MS / 1000;
  return `the API server refuses the Lease ${namespace}/${name} (HTTP ${statusOf(error)}): this replica cannot lead, and no leader Service is kept while no replica leads; give zen-lead's ServiceAccount get, create and update on leases (coordination.k8s.io) in ${namespace}, or set --lease-namespace/--lease-name to a Lease it may use; asking again every ${retryS} s`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `zen-lead run`: the controller, until SIGTERM/SIGINT; then a bounded shutdown (the Lease released)
 * exits the process (0; 1 past SHUTDOWN_DEADLINE_MS). Throws a UsageError (exit 2) on bad flags.
 */
export async function run(args: readonly string[]): Promise<number> {
  const config = parseRunConfig(args);
  if (config === undefined) {
    console.log(RUN_HELP);
    return 0;
  }
  const log = pino({
    name: "zen-lead",
    level: config.logLevel,
    base: { identity: config.identity },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  // Node's own warnings go to the JSON log, not to stderr beside it (nothing printed outside the log).
  process.removeAllListeners("warning");
  process.on("warning", (warning) => log.warn({ warning: warning.name }, warning.message));
  const kc = loadKubeConfig(config.kubeconfig);
  // Listen from the start: a SIGTERM during start-up still gets the orderly shutdown below.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });

  /** The Lease's refusal (401, 403) last said, so that its repeats are not. */
  let leaseRefusal: string | undefined;
  // Whether every watch is live: /readyz, and the Lease (a replica blind to the cluster does not
  // hold it; one whose watches come back tries at once).
  const liveness = createWatchLiveness();
  const elector = createLeaderElector({
    api: kubeLeaseApi(kc),
    namespace: config.leaseNamespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    onError: (error) => {
      const lease = `${config.leaseNamespace}/${config.leaseName}`;
      metrics.onLeaseError(statusOf(error));
      if (!isPermanentRefusal(error)) {
        log.warn({ lease, err: errorText(error) }, "lease request failed");
        return;
      }
      // Only the operator can fix this: said once (again if the refusal changes), then counted.
      const err = errorText(error);
      if (err === leaseRefusal) log.debug({ lease, err }, "lease request refused again");
      else log.warn({ lease, err }, leaseRefusalNote(config.leaseNamespace, config.leaseName, error));
      leaseRefusal = err;
    },
    blindForMs: () => liveness.blindForMs(),
    wake$: liveness.live$.pipe(filter(Boolean)),
    onHandOver: (blindForMs) => {
      metrics.onHandOver();
      log.warn(
        { lease: `${config.leaseNamespace}/${config.leaseName}`, blindForMs, notLive: liveness.notLive() },
        "handing the lease over: the watches have not seen the cluster for longer than the renew deadline",
      );
    },
  });
  const recorder = createEventRecorder({
    sink: kubeEventSink(kc),
    instance: config.identity,
    onError: (problem) => {
      if (problem.kind === "read-back-failed") {
        log.warn(
          { err: errorText(problem.error) },
          "could not read back zen-lead's Events; standing warnings may be repeated",
        );
        return;
      }
      const { namespace, name } = problem.action.source;
      // The namespace is going away, and the Service with it: nobody will read that Event.
      if (problem.kind === "api-error" && isNamespaceTerminating(problem.error)) {
        log.debug(
          { namespace, service: name, reason: problem.action.reason },
          "event not recorded: namespace terminating",
        );
        return;
      }
      log.warn(
        {
          namespace,
          service: name,
          reason: problem.action.reason,
          ...(problem.kind === "api-error" ? { err: errorText(problem.error) } : {}),
        },
        problem.kind === "rate-limited" ? "event rate-limited" : "event not recorded",
      );
    },
    // Said once per real occurrence: a standing warning read back from the cluster is not re-logged.
    onOutcome: (event, outcome) => {
      if (outcome === "already-recorded" || SAID_WITH_THE_WRITE.has(event.reason)) return;
      const { namespace, name } = event.source;
      const change = event.leaderChange;
      if (change !== undefined) {
        log.info(
          { namespace, service: name, pod: change.to, previous: change.from, reason: change.cause },
          event.note,
        );
      } else if (event.eventType === "Warning") {
        log.warn({ namespace, service: name, reason: event.reason }, event.note);
      } else {
        log.info({ namespace, service: name, reason: event.reason }, event.note);
      }
    },
  });

  // Skip the first value (not live before the first lists): log only changes.
  const liveSub = liveness.live$.pipe(skip(1)).subscribe((live) => {
    if (live) log.info("watches live: zen-lead sees the cluster");
    else log.info({ notLive: liveness.notLive() }, "watches not live");
  });
  let controller: ReturnType<typeof startController> | undefined;
  const recreations = new Recreations();
  const refusals = new Refusals();
  const metrics = createMetrics({
    state: () => controller?.state(),
    live: () => liveness.live(),
    writeQueue: () => controller?.writeQueue() ?? { pending: 0, inFlight: 0 },
    shellWarnings: () =>
      refusals
        .standing(Date.now())
        .map((r) => ({ namespace: r.action.namespace, service: r.service, reason: "WriteRejected" })),
  });
  const requestsSub = onRequest(kc, (method, code) => metrics.onRequest(method, code));
  let otherInstallFailures = 0;
  const otherInstall = new OtherInstallCheck({
    kc,
    identity: config.identity,
    namespaces: config.namespaces,
    leaseDurationMs: config.leaseDurationMs,
    onFound: (other) => {
      const note = `another zen-lead install (instance ${other.instance}) also announces leader changes for this Service: two installs over one namespace do every change twice and race each other's writes; keep one (docs/deploy.md, "Two installs over one namespace")`;
      // The recorder logs it at warn with the Event (once: the check finds at most one).
      recorder.record({
        type: "event",
        source: { namespace: other.namespace, name: other.source },
        eventType: "Warning",
        reason: "OtherInstall",
        note,
      });
      metrics.onOtherInstall();
    },
    // Said once at warn (RBAC without events: list makes it fail for good), then at debug.
    onError: (error) => {
      const fields = { err: errorText(error) };
      const note = "could not list Events to look for another zen-lead install over these namespaces";
      if (otherInstallFailures++ === 0) log.warn(fields, note);
      else log.debug(fields, note);
    },
  });
  const leadingSub = elector.leading$.subscribe((leading) => {
    metrics.setLeading(leading);
    otherInstall.leading(leading, Date.now());
    if (!leading) refusals.clear();
    if (leading && leaseRefusal !== undefined) {
      log.info({ lease: `${config.leaseNamespace}/${config.leaseName}` }, "the Lease is no longer refused");
      leaseRefusal = undefined;
    }
    log.info(
      { lease: `${config.leaseNamespace}/${config.leaseName}`, leading },
      leading ? "lease acquired" : "not leading",
    );
  });

  controller = startController({
    kc,
    ...(config.namespaces.length > 0 ? { namespaces: config.namespaces } : {}),
    elector,
    liveness,
    watchTimeoutMs: config.watchTimeoutMs,
    qps: config.kubeApiQps,
    burst: config.kubeApiBurst,
    beforeLeading: () => void recorder.readBack(config.namespaces),
    onClusterEvent: (event) => metrics.onClusterEvent(event),
    onActions: (actions) => {
      metrics.onActions(actions);
      for (const a of actions) {
        if (a.type !== "report") continue;
        metrics.onReport(a);
        log.warn({ object: a.object, reason: a.reason }, a.message);
      }
    },
    onEvent: (event) => {
      metrics.onEvent(event);
      recorder.record(event);
      if (event.reason === "LeaderChanged") otherInstall.announced(Date.now());
    },
    onWriteResult: (result) => {
      metrics.onWriteResult(result);
      const recreated = recreations.see(result);
      if (recreated === "another-writer") metrics.onRecreated(result.action.kind);
      // A write into a namespace being deleted: nothing there is worth keeping, or saying.
      const terminating = result.status === "rejected" && isNamespaceTerminating(result.error);
      const refusal = terminating ? undefined : refusals.see(result, Date.now());
      const { action } = result;
      const service = action.source.slice(action.source.indexOf("/") + 1);
      const fields = {
        namespace: action.namespace,
        service,
        kind: action.kind,
        name: action.name,
        status: result.status,
        durationMs: result.durationMs,
        ...(result.retryInMs !== undefined ? { retryInMs: result.retryInMs } : {}),
        ...(result.error !== undefined ? { err: errorText(result.error) } : {}),
        ...(result.drift !== undefined
          ? { fields: result.drift.fields, managers: result.drift.managers }
          : {}),
        ...(result.trace !== undefined ? { trace: epochTrace(result.trace) } : {}),
      };
      if (result.status === "drifted" && action.type === "apply") {
        const note = driftNote(action.kind, action.name, result.drift);
        log.warn(fields, note);
        recorder.record({
          type: "event",
          source: { namespace: action.namespace, name: service, uid: action.desired.owner.uid },
          eventType: "Warning",
          reason: "DriftNotCorrected",
          note,
        });
      } else if (action.type === "delete" && action.stray === true && result.status === "deleted") {
        const note = `deleted EndpointSlice ${action.name}: another controller made it for the leader Service (someone gave that Service a selector), and it sent the leader's traffic to every pod it listed`;
        log.warn(fields, note);
        const source = { namespace: action.namespace, name: service };
        recorder.record({ type: "event", source, eventType: "Warning", reason: "StrayEndpointSlice", note });
      } else if (terminating) log.debug(fields, "write not made: namespace terminating");
      else if (refusal?.type === "refused") {
        // Said once per distinct refusal; the core asks again every 30 s (counted, at debug).
        const note = refusalNote(refusal.refusal);
        log.warn(fields, note);
        const uid = action.type === "apply" ? action.desired.owner.uid : undefined;
        const source = { namespace: action.namespace, name: service, ...(uid !== undefined ? { uid } : {}) };
        recorder.record({ type: "event", source, eventType: "Warning", reason: "WriteRejected", note });
      } else if (refusal?.type === "repeated")
        log.debug({ ...fields, refusals: refusal.refusal.count }, "write rejected again");
      else if (WARN_STATUSES.has(result.status)) log.warn(fields, `write ${result.status}`);
      else if (result.status === "replaced")
        log.info(fields, "write replaced the object: another writer's fields removed");
      else if (action.type === "delete" && result.status === "deleted")
        log.info(
          fields,
          `deleted ${action.kind} ${action.name}: ${deletionReason(action, controller?.state())}`,
        );
      else if (recreated !== undefined) {
        const by = recreated === "zen-lead" ? "zen-lead had deleted it" : "another writer had deleted it";
        const ip = action.kind === "Service" ? clusterIPOf(result.object) : undefined;
        const newIP =
          ip === undefined
            ? ""
            : `; it has a new ClusterIP, ${ip}: clients that kept the old one must resolve its name again`;
        log.info(fields, `created the object again: ${by}${newIP}`);
      } else log.debug(fields, `write ${result.status}`);
      if (refusal?.type === "lifted") {
        const { count, since } = refusal.refusal;
        log.info(
          { ...fields, refusals: count, refusedForMs: Date.now() - since },
          `${action.kind} ${action.name} written: the API server accepts it again after refusing it ${count} time(s)`,
        );
      }
    },
    onDiagnostic: (line, detail) => {
      metrics.onDiagnostic(detail);
      const fields = {
        kind: detail.kind,
        ...(detail.namespace !== undefined ? { namespace: detail.namespace } : {}),
      };
      const said = { ...fields, what: detail.what, reason: detail.reason, delayMs: detail.delayMs };
      if (detail.what === "listed") log.debug({ ...fields, objects: detail.objects }, line);
      // A list that failed (refused, unreachable, forbidden) is the operator's to fix; a relist
      // asked for by the server (410, delay 0) or a watch to renew is routine.
      else if (detail.what === "relist" && (detail.delayMs ?? 0) > 0) log.warn(said, line);
      else log.info(said, line);
    },
  });

  /** Ready: every watch has listed (the core is synced) and is live now. */
  const readiness = (): string | undefined => {
    const state = controller?.state();
    if (state === undefined || !isSynced(state)) return "watches not synced";
    if (!liveness.live()) return `watches not live: ${liveness.notLive().join(", ")}`;
    return undefined;
  };
  const health = {
    "/healthz": () => ({ status: 200, body: "ok\n" }),
    "/readyz": () => {
      const problem = readiness();
      return problem === undefined ? { status: 200, body: "ok\n" } : { status: 503, body: `${problem}\n` };
    },
  };
  const metricsRoute = {
    "/metrics": async () => ({
      status: 200,
      body: await metrics.registry.metrics(),
      contentType: metrics.registry.contentType,
    }),
  };
  const servers = sameAddress(config.metricsAddr, config.healthAddr)
    ? [serve(config.metricsAddr, { ...metricsRoute, ...health })]
    : [serve(config.metricsAddr, metricsRoute), serve(config.healthAddr, health)];
  const listening = await Promise.allSettled(servers);
  const failed = listening.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    await controller.stop();
    for (const r of listening) if (r.status === "fulfilled") await closeServer(r.value);
    throw new Error(`cannot listen: ${errorText((failed as PromiseRejectedResult).reason)}`);
  }
  const open = listening.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  log.info(
    {
      namespaces: config.namespaces.length > 0 ? config.namespaces : "all",
      lease: `${config.leaseNamespace}/${config.leaseName}`,
      metricsAddr: open[0]?.address(),
      healthAddr: open[open.length - 1]?.address(),
    },
    "zen-lead started",
  );

  const signal = await signalled;
  log.info({ signal }, "shutting down: stopping watches, draining writes, releasing the lease");
  const deadline = setTimeout(() => {
    log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "shutdown deadline passed; exiting");
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  // The watches stop now: that is no news (no "watches not live" line).
  liveSub.unsubscribe();
  await controller.stop({ release: true });
  recorder.close();
  otherInstall.close();
  leadingSub.unsubscribe();
  requestsSub();
  await Promise.all(open.map(closeServer));
  clearTimeout(deadline);
  log.info("stopped");
  log.flush();
  // Nothing we own is left running, but a client library's keep-alive socket could hold the loop.
  process.exit(0);
}
