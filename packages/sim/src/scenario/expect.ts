/**
 * A scenario's `expect:` section checked against a run's report: one line per unmet expectation,
 * naming the expectation the way the file does (`expect.leaderAt[1]`). Empty: all met.
 */
import type { ServiceReport, SimReport } from "../model.ts";
import { formatDuration } from "../time-format.ts";
import type { PodDirectory } from "../world/world.ts";
import type { Scenario, StaticPodRef } from "./types.ts";

/** Does a pod as the report names it (`name` or `namespace/name`) denote `key` (`namespace/name`)? */
function samePod(reported: string, key: string): boolean {
  return reported === key || (!reported.includes("/") && key.endsWith(`/${reported}`));
}

/** The leader the report says `service` had at `at` (undefined: none). */
export function leaderAt(service: ServiceReport, at: number): string | undefined {
  let found: string | undefined;
  for (const p of service.leadership) {
    if (p.from <= at && (p.to === undefined || at < p.to)) found = p.pod;
  }
  return found;
}

/** Failovers that moved leadership away from a sitting leader (the first election is not one). */
export function countedFailovers(service: ServiceReport): ServiceReport["leaderChanges"] {
  return service.leaderChanges.filter((f) => f.from !== undefined);
}

/**
 * What checking a scenario's expectations found, one line each: `invalid`, expectations that name
 * a pod the run never had (the scenario's own mistake, like any other reference to a pod it does
 * not define: docs/scenarios.md); `unmet`, expectations the run did not meet.
 */
export interface ExpectationCheck {
  readonly invalid: readonly string[];
  readonly unmet: readonly string[];
}

/**
 * The scenario's expectations against the report of its run; `pods` (the run's, see runScenario)
 * names the pods the expectations refer to by ordinal.
 */
export function checkExpectations(
  scenario: Scenario,
  report: SimReport,
  pods: PodDirectory,
): ExpectationCheck {
  const e = scenario.expect;
  const problems: string[] = [];
  const invalid: string[] = [];
  const aliases = new Map<string, string>();
  for (const p of pods.created) if (p.alias !== undefined) aliases.set(p.pod, p.alias);
  const label = (reported: string) => {
    for (const [key, alias] of aliases) if (samePod(reported, key)) return `${reported} (${alias})`;
    return reported;
  };
  const resolve = (where: string, ref: StaticPodRef): string | undefined => {
    const r = pods.resolve(ref);
    if ("error" in r) {
      invalid.push(`${where}: ${r.error}`);
      return undefined;
    }
    return r.pod;
  };
  const serviceOf = (where: string, service: string): ServiceReport | undefined => {
    const found = report.services.find((s) => s.service === service);
    if (found === undefined)
      problems.push(`${where}: the report has no service ${service} (is it opted in?)`);
    return found;
  };

  if (e.noViolations === true && report.violations.length > 0) {
    const v = report.violations[0];
    problems.push(
      `expect.noViolations: ${report.violations.length} violation${report.violations.length === 1 ? "" : "s"}, the first at ${formatDuration(v?.at ?? 0)}: ${v?.invariant}: ${v?.message}`,
    );
  }

  e.leaderAt.forEach((l, i) => {
    const where = `expect.leaderAt[${i}]`;
    const svc = serviceOf(where, l.service);
    const want = l.pod === null ? null : resolve(where, l.pod);
    if (svc === undefined || want === undefined) return;
    const got = leaderAt(svc, l.at);
    const ok = want === null ? got === undefined : got !== undefined && samePod(got, want);
    if (!ok) {
      problems.push(
        `${where}: at ${formatDuration(l.at)} ${l.service} ${got === undefined ? "has no leader" : `is led by ${label(got)}`}, expected ${want === null ? "no leader" : label(want)}`,
      );
    }
  });

  e.leaderOneOf.forEach((l, i) => {
    const where = `expect.leaderOneOf[${i}]`;
    const svc = serviceOf(where, l.service);
    const wants = l.pods.map((p) => resolve(where, p));
    if (svc === undefined || wants.some((w) => w === undefined)) return;
    const got = leaderAt(svc, l.at);
    if (got === undefined || !wants.some((w) => w !== undefined && samePod(got, w))) {
      problems.push(
        `${where}: at ${formatDuration(l.at)} ${l.service} ${got === undefined ? "has no leader" : `is led by ${label(got)}`}, expected one of ${wants.map((w) => label(w ?? "")).join(", ")}`,
      );
    }
  });

  e.failovers.forEach((f, i) => {
    const where = `expect.failovers[${i}]`;
    const svc = serviceOf(where, f.service);
    if (svc === undefined) return;
    const counted = countedFailovers(svc);
    const n = counted.length;
    const list = counted
      .map((x) => `${formatDuration(x.at)} ${x.from ?? "-"} -> ${x.to ?? "none"} (${x.cause})`)
      .join("; ");
    const had = `${f.service} had ${n} failover${n === 1 ? "" : "s"}${n > 0 ? ` (${list})` : ""}`;
    if (f.count !== undefined && n !== f.count) problems.push(`${where}: ${had}, expected ${f.count}`);
    if (f.atLeast !== undefined && n < f.atLeast)
      problems.push(`${where}: ${had}, expected at least ${f.atLeast}`);
    if (f.atMost !== undefined && n > f.atMost)
      problems.push(`${where}: ${had}, expected at most ${f.atMost}`);
    if (f.maxLatencyMs !== undefined) {
      for (const x of counted) {
        if (x.latencyMs === undefined) {
          problems.push(`${where}: the failover at ${formatDuration(x.at)} (${x.cause}) was never published`);
        } else if (x.latencyMs > f.maxLatencyMs) {
          problems.push(
            `${where}: the failover at ${formatDuration(x.at)} (${x.cause}) took ${formatDuration(x.latencyMs)}, expected at most ${formatDuration(f.maxLatencyMs)}`,
          );
        }
      }
    }
  });

  e.warnings.forEach((w, i) => {
    const where = `expect.warnings[${i}]`;
    const svc = serviceOf(where, w.service);
    if (svc === undefined || svc.warnings.some((x) => x.reason === w.reason)) return;
    const seen = svc.warnings.map((x) => `${x.reason} at ${formatDuration(x.at)}`).join(", ");
    problems.push(
      `${where}: ${w.service} never warned ${w.reason} (${seen === "" ? "no warnings" : `warnings: ${seen}`})`,
    );
  });

  e.noWarnings.forEach((service, i) => {
    const svc = report.services.find((s) => s.service === service);
    const first = svc?.warnings[0];
    if (first !== undefined) {
      problems.push(
        `expect.noWarnings[${i}]: ${service} warned ${first.reason} at ${formatDuration(first.at)}: ${first.message}`,
      );
    }
  });

  e.writesAtMost.forEach((limit, i) => {
    const { count, fromMs = 0, toMs = Number.POSITIVE_INFINITY } = limit;
    const writes = report.writes.filter((w) => w.at >= fromMs && w.at <= toMs);
    if (writes.length <= count) return;
    const window =
      limit.fromMs === undefined && limit.toMs === undefined
        ? ""
        : ` between ${formatDuration(fromMs)} and ${toMs === Number.POSITIVE_INFINITY ? "the end" : formatDuration(toMs)}`;
    const shown = writes
      .slice(0, 4)
      .map((w) => `${formatDuration(w.at)} ${w.verb} ${w.kind} ${w.object} ${w.status}`)
      .join("; ");
    problems.push(
      `expect.writesAtMost[${i}]: ${writes.length} writes${window}, expected at most ${count} (${shown}${writes.length > 4 ? "; ..." : ""})`,
    );
  });
  return { invalid, unmet: problems };
}
