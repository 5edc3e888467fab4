/**
 * What a run records for its report, as it happens: per source Service the leadership periods,
 * leader changes (with when their slice was published), warnings; pod lanes; every write; invariant
 * violations; objects the controller could not decode. Memory is bounded whatever the run's
 * length: each list keeps its first items up to a limit and counts the rest (`omitted`), while the
 * stats count everything — so a replay of a million-event log reports in constant memory, and a
 * scenario (well under the limits) in full.
 */
import { type Decision, type LeaderChange, selectorMatches } from "@zen-lead/core";
import {
  type DecodeFailureRecord,
  isFailedWrite,
  type LeaderChangeRecord,
  type LeadershipPeriod,
  type PodLane,
  type ReportOmissions,
  type ServiceReport,
  type ServiceTotals,
  type Violation,
  type WriteRecord,
} from "./model.ts";

/** How many items each list of the report keeps (the rest are counted in `omitted`). */
export interface ReportLimits {
  readonly writes: number;
  readonly violations: number;
  /** Per source Service. */
  readonly leadership: number;
  /** Per source Service. */
  readonly leaderChanges: number;
  /** Per source Service. */
  readonly warnings: number;
  /** Pod lanes in the whole run. */
  readonly pods: number;
  /** Ready intervals per pod lane. */
  readonly readyIntervals: number;
  /** Decode-failure records (one per run of an object's reports with one message). */
  readonly decodeFailures: number;
}

/** Generous enough that a scenario reports in full; a long replay's lists stay bounded. */
export const DEFAULT_LIMITS: ReportLimits = {
  writes: 5_000,
  violations: 1_000,
  leadership: 200,
  leaderChanges: 200,
  warnings: 200,
  pods: 2_000,
  readyIntervals: 50,
  decodeFailures: 1_000,
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A leader change whose slice has not been seen yet. */
interface PendingSlice {
  readonly to: string | undefined;
  readonly triggerAt: number;
  /** The listed record to complete (undefined when the list was full: the stats still count it). */
  readonly record: Mutable<LeaderChangeRecord> | undefined;
}

interface SourceTrace {
  readonly key: string;
  readonly namespace: string;
  leaderService: string | undefined;
  selector: Readonly<Record<string, string>> | undefined;
  /** Its last decision's `optedIn` (a deleted Service keeps what it was). */
  optedIn: boolean;
  readonly leadership: Mutable<LeadershipPeriod>[];
  /** The leader's pod uid, and its open period (undefined when the list was full). */
  leaderUid: string | undefined;
  open: Mutable<LeadershipPeriod> | undefined;
  readonly leaderChanges: Mutable<LeaderChangeRecord>[];
  pending: PendingSlice[];
  readonly warnings: { readonly at: number; readonly reason: string; readonly message: string }[];
  readonly totals: Mutable<ServiceTotals>;
  /** Since when its decision names no leader (undefined: it has one, or no decision). */
  leaderlessSince: number | undefined;
}

interface Lane {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  labels: Readonly<Record<string, string>>;
  readonly created: number;
  deleted: number | undefined;
  readonly ready: { from: number; to?: number }[];
  /** Ready right now (the open interval may be unlisted when the lane's list is full). */
  isReady: boolean;
}

/** Which pod a lane follows: `key` is `namespace/name`. */
export interface PodIdentity {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** At most this many leader changes per source wait for their slice; older ones never got one. */
const MAX_PENDING = 8;

/**
 * The run's record for its report (module comment). Sources are keyed `namespace/name`, times are
 * virtual ms; the engine calls it as things happen, then reads the report's parts at the end.
 */
export class Trace {
  readonly #limits: ReportLimits;
  readonly #sources = new Map<string, SourceTrace>();
  readonly #writes: WriteRecord[] = [];
  readonly #violations: Violation[] = [];
  readonly #lanes: Lane[] = [];
  /** Lanes of the pods that exist now, by `namespace/name`; null: exists but not listed. */
  readonly #current = new Map<string, Lane | null>();
  readonly #omitted: Mutable<ReportOmissions> = {
    writes: 0,
    violations: 0,
    leadership: 0,
    leaderChanges: 0,
    warnings: 0,
    pods: 0,
    readyIntervals: 0,
    decodeFailures: 0,
  };
  readonly #decodeFailures: Mutable<DecodeFailureRecord>[] = [];
  /** Each object's latest listed decode-failure record, by the core's object name. */
  readonly #lastDecodeFailure = new Map<string, Mutable<DecodeFailureRecord>>();
  /** Every decode failure the controller reported, listed or not. */
  decodeFailureCount = 0;
  /** Every write request that reached the API server, listed or not. */
  writeCount = 0;
  /** Of those, the ones that failed (`isFailedWrite`). */
  failedWrites = 0;
  /** Every LeaderChanged, listed or not. */
  leaderChangeCount = 0;
  /** Of those, the failovers (leadership taken from a sitting leader). */
  failoverCount = 0;
  readonly #latency = { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: 0 };

  constructor(limits: ReportLimits) {
    this.#limits = limits;
  }

  #source(key: string): SourceTrace {
    let source = this.#sources.get(key);
    if (source === undefined) {
      const slash = key.indexOf("/");
      source = {
        key,
        namespace: slash === -1 ? "" : key.slice(0, slash),
        leaderService: undefined,
        selector: undefined,
        optedIn: false,
        leadership: [],
        leaderUid: undefined,
        open: undefined,
        leaderChanges: [],
        pending: [],
        warnings: [],
        totals: { leaderChanges: 0, failovers: 0, leaderlessMs: 0, writes: 0 },
        leaderlessSince: undefined,
      };
      this.#sources.set(key, source);
    }
    return source;
  }

  /** The controller's decision for a source after an event: a new leader opens a period. */
  decision(key: string, decision: Decision | undefined, at: number): void {
    const source = this.#sources.get(key) ?? (decision === undefined ? undefined : this.#source(key));
    if (source === undefined) return;
    if (decision !== undefined) {
      source.optedIn = decision.optedIn;
      if (decision.leaderServiceName !== undefined) {
        source.leaderService = `${decision.source.namespace}/${decision.leaderServiceName}`;
      }
      if (decision.basis !== undefined) source.selector = decision.basis.service.selector;
    }
    const leader = decision?.leader;
    // A Service that is gone or not opted in (no decision, or one that is not opted in: opted out,
    // or an `enabled` value zen-lead refused) wants no leader: that is not leaderless.
    const leaderless = decision?.optedIn === true && leader === undefined;
    if (leaderless) source.leaderlessSince ??= at;
    else if (source.leaderlessSince !== undefined) {
      source.totals.leaderlessMs += at - source.leaderlessSince;
      source.leaderlessSince = undefined;
    }
    if (leader?.podUid === source.leaderUid) return;
    if (source.open !== undefined) source.open.to = at;
    source.open = undefined;
    source.leaderUid = leader?.podUid;
    if (leader === undefined) return;
    if (source.leadership.length >= this.#limits.leadership) {
      this.#omitted.leadership++;
      return;
    }
    source.open = { pod: leader.podName, from: at, reason: leader.reason };
    source.leadership.push(source.open);
  }

  /** A LeaderChanged event (a failover when it had a leader), whose slice is still to be published. */
  leaderChange(key: string, change: LeaderChange, at: number, triggerAt: number): void {
    const source = this.#source(key);
    this.leaderChangeCount++;
    source.totals.leaderChanges++;
    if (change.from !== undefined) {
      this.failoverCount++;
      source.totals.failovers++;
    }
    let record: Mutable<LeaderChangeRecord> | undefined;
    if (source.leaderChanges.length < this.#limits.leaderChanges) {
      record = {
        at,
        ...(change.from !== undefined ? { from: change.from } : {}),
        ...(change.to !== undefined ? { to: change.to } : {}),
        cause: change.cause,
        triggerAt,
      };
      source.leaderChanges.push(record);
    } else this.#omitted.leaderChanges++;
    source.pending.push({ to: change.to, triggerAt, record });
    if (source.pending.length > MAX_PENDING) source.pending.shift();
  }

  /**
   * The API accepted a slice for this source naming `pod` (undefined: no endpoint). It completes
   * the latest leader change to that pod; earlier ones still waiting were superseded before theirs was.
   */
  sliceWritten(key: string, pod: string | undefined, at: number): void {
    const source = this.#sources.get(key);
    if (source === undefined || source.pending.length === 0) return;
    let match = -1;
    for (let i = source.pending.length - 1; i >= 0; i--) {
      if (source.pending[i]?.to === pod) {
        match = i;
        break;
      }
    }
    if (match === -1) return;
    const pending = source.pending[match] as PendingSlice;
    source.pending = source.pending.slice(match + 1);
    const latency = at - pending.triggerAt;
    if (pending.record !== undefined) {
      pending.record.sliceAt = at;
      pending.record.latencyMs = latency;
    }
    this.#latency.count++;
    this.#latency.sum += latency;
    this.#latency.min = Math.min(this.#latency.min, latency);
    this.#latency.max = Math.max(this.#latency.max, latency);
  }

  /** A Warning the controller raised for a source. */
  warning(key: string, reason: string, message: string, at: number): void {
    const source = this.#source(key);
    if (source.warnings.length < this.#limits.warnings) source.warnings.push({ at, reason, message });
    else this.#omitted.warnings++;
  }

  /** A write reached the API server (counted for its source, and as failed when it did). */
  write(record: WriteRecord): void {
    this.writeCount++;
    const source = this.#sources.get(record.source);
    if (source !== undefined) source.totals.writes++;
    if (isFailedWrite(record)) this.failedWrites++;
    if (this.#writes.length < this.#limits.writes) this.#writes.push(record);
    else this.#omitted.writes++;
  }

  /** An invariant broke. */
  violation(violation: Violation): void {
    if (this.#violations.length < this.#limits.violations) this.#violations.push(violation);
    else this.#omitted.violations++;
  }

  /**
   * The controller reported an object it could not decode (a core ReportAction). The report
   * extends the object's latest record when its message is the same; otherwise it starts a record,
   * or, the list being full, is counted in `omitted` (as are the object's later reports).
   */
  decodeFailure(object: string, reason: string, message: string, at: number): void {
    this.decodeFailureCount++;
    const last = this.#lastDecodeFailure.get(object);
    if (last !== undefined && last.message === message && last.reason === reason) {
      last.count++;
      last.lastAt = at;
      return;
    }
    if (this.#decodeFailures.length >= this.#limits.decodeFailures) {
      this.#omitted.decodeFailures++;
      this.#lastDecodeFailure.delete(object);
      return;
    }
    const record = { at, object, reason, message, count: 1, lastAt: at };
    this.#decodeFailures.push(record);
    this.#lastDecodeFailure.set(object, record);
  }

  /** The listed decode failures, by first report. */
  decodeFailures(): readonly DecodeFailureRecord[] {
    return this.#decodeFailures.map((d) => ({ ...d }));
  }

  /** Every violation, listed or not. */
  get violationCount(): number {
    return this.#violations.length + this.#omitted.violations;
  }

  /**
   * A pod was stored (created or changed); `ready` says whether it is a Ready candidate now. `pod`
   * is the API model's record (its `key`, `namespace/name`, is the string the model stores it
   * under: reusing it spares building and hashing one per event).
   */
  podStored(pod: PodIdentity, labels: Readonly<Record<string, string>>, ready: boolean, at: number): void {
    const { key, namespace, name, uid } = pod;
    let lane = this.#current.get(key);
    if (lane !== undefined && lane !== null && lane.uid !== uid) {
      this.podRemoved(pod, at); // the name now holds another pod
      lane = undefined;
    }
    if (lane === undefined) {
      if (this.#lanes.length >= this.#limits.pods) {
        this.#omitted.pods++;
        this.#current.set(key, null);
        return;
      }
      lane = { namespace, name, uid, labels, created: at, deleted: undefined, ready: [], isReady: false };
      this.#lanes.push(lane);
      this.#current.set(key, lane);
    }
    if (lane === null) return;
    lane.labels = labels;
    if (ready === lane.isReady) return;
    lane.isReady = ready;
    const open = lane.ready[lane.ready.length - 1];
    if (!ready) {
      if (open !== undefined && open.to === undefined) open.to = at;
    } else if (lane.ready.length < this.#limits.readyIntervals) lane.ready.push({ from: at });
    else this.#omitted.readyIntervals++;
  }

  /** A pod was deleted from the API: its lane and any open Ready interval end. */
  podRemoved(pod: Pick<PodIdentity, "key">, at: number): void {
    const key = pod.key;
    const lane = this.#current.get(key);
    this.#current.delete(key);
    if (lane === undefined || lane === null) return;
    lane.deleted = at;
    const open = lane.ready[lane.ready.length - 1];
    if (lane.isReady && open !== undefined && open.to === undefined) open.to = at;
    lane.isReady = false;
  }

  /**
   * The per-Service reports at the end of the run (`endAt` closes the time without a leader),
   * sorted by Service, with each Service's pods (matched by its selector).
   */
  services(endAt: number): ServiceReport[] {
    const keys = [...this.#sources.keys()].sort();
    return keys.map((key) => {
      const source = this.#sources.get(key) as SourceTrace;
      const selector = source.selector;
      const pods: PodLane[] = [];
      if (selector !== undefined && Object.keys(selector).length > 0) {
        for (const lane of this.#lanes) {
          if (lane.namespace !== source.namespace || !selectorMatches(selector, lane.labels)) continue;
          pods.push({
            pod: lane.name,
            created: lane.created,
            ...(lane.deleted !== undefined ? { deleted: lane.deleted } : {}),
            ready: lane.ready.map((r) => ({ from: r.from, ...(r.to !== undefined ? { to: r.to } : {}) })),
          });
        }
        pods.sort((a, b) => a.created - b.created || (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
      }
      const open = source.leaderlessSince === undefined ? 0 : Math.max(0, endAt - source.leaderlessSince);
      return {
        service: key,
        ...(source.leaderService !== undefined ? { leaderService: source.leaderService } : {}),
        optedIn: source.optedIn,
        totals: { ...source.totals, leaderlessMs: source.totals.leaderlessMs + open },
        leadership: source.leadership.map((p) => ({ ...p })),
        leaderChanges: source.leaderChanges.map((f) => ({ ...f })),
        pods,
        warnings: source.warnings.map((w) => ({ ...w })),
      };
    });
  }

  /** The listed writes, in the order they reached the API server. */
  writes(): readonly WriteRecord[] {
    return this.#writes;
  }

  /** The listed violations, by time. */
  violations(): readonly Violation[] {
    return [...this.#violations].sort((a, b) => a.at - b.at);
  }

  /** How many items each list left out; undefined when none did. */
  omitted(): ReportOmissions | undefined {
    const o = this.#omitted;
    const any = Object.values(o).some((n) => n > 0);
    return any ? { ...o } : undefined;
  }

  /**
   * Trigger-to-slice latency (ms) over every leader change whose slice was published, the mean rounded
   * to µs; undefined when none was.
   */
  latency(): { count: number; min: number; mean: number; max: number } | undefined {
    const l = this.#latency;
    if (l.count === 0) return undefined;
    return { count: l.count, min: l.min, mean: Math.round((l.sum / l.count) * 1000) / 1000, max: l.max };
  }
}
