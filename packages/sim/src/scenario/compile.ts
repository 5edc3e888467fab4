/**
 * Scenario -> Simulation: a translation, nothing more. The cluster sections become the world
 * model's WorldSpec, and each fault the world change (or engine change) that carries it out when
 * it happens; what the cluster's own controllers and kubelets then do — which pod a leader crash
 * hits, the replacement, its node, name and Ready time, a rollout's steps — is decided at run time
 * by the world model (world/world.ts), so it is exact whatever the faults before it did.
 */
import { ANNOTATIONS, parseDuration } from "@zen-lead/core";
import {
  DEFAULT_API_BEHAVIOUR,
  type PodAction,
  type PodTarget,
  type Simulation,
  type TimedChange,
  type WorldChange,
} from "../model.ts";
import type { WorldSpec } from "../world/spec.ts";
import { busyUntil } from "../world/world.ts";
import type { Fault, PodRef, Scenario, TimelineEntry } from "./types.ts";

/** Run on after the world is quiet: write retries (the core's 30 s in-flight window) and timers finish. */
export const SETTLE_MS = 60_000;

export function compileScenario(s: Scenario): Simulation {
  const world: WorldSpec = { nodes: s.nodes, services: s.services, deployments: s.deployments, pods: s.pods };
  const changes: { at: number; seq: number; change: WorldChange }[] = [];
  const ordered = [...s.timeline].sort((a, b) => a.at - b.at || a.index - b.index);
  for (const entry of ordered) {
    for (const { at, change } of translate(entry)) changes.push({ at, seq: changes.length, change });
  }
  const timeline: TimedChange[] = changes
    .sort((a, b) => a.at - b.at || a.seq - b.seq)
    .map(({ at, change }) => ({ at, change }));
  return {
    name: s.name,
    source: "scenario",
    seed: s.seed,
    epochMs: s.epochMs,
    api: {
      ...DEFAULT_API_BEHAVIOUR,
      watchLatencyMs: s.api.watchLatencyMs,
      writeLatencyMs: s.api.writeLatencyMs,
    },
    initial: [],
    world,
    timeline,
    endAt: s.untilMs ?? busyUntil(world, timeline) + SETTLE_MS + maxMinReady(s),
  };
}

function target(ref: PodRef): PodTarget {
  return ref.type === "leaderOf" ? { leaderOf: ref.service } : { ref };
}

const deletion = (graceMs: number): PodAction =>
  graceMs === 0 ? { type: "delete" } : { type: "terminate", graceMs };

/** The changes one fault makes, at their times. */
function translate(entry: TimelineEntry): TimedChange[] {
  const t = entry.at;
  const f: Fault = entry.fault;
  const where = ["timeline", entry.index, f.type];
  const at = (change: WorldChange, time = t): TimedChange => ({ at: time, change });
  switch (f.type) {
    case "crashLeader":
      return [at({ type: "pod", target: { leaderOf: f.service }, action: { type: "delete" }, where })];
    case "deletePod":
      return [at({ type: "pod", target: target(f.target), action: deletion(f.graceMs), where })];
    case "readiness":
      return [
        at({ type: "pod", target: target(f.target), action: { type: "setReady", ready: f.ready }, where }),
      ];
    case "flap":
      // Each cycle: NotReady, Ready again `every` later (the same pod), the next cycle `every` after.
      return Array.from({ length: f.times }, (_, k) =>
        at(
          {
            type: "pod",
            target: target(f.target),
            action: { type: "setReady", ready: false, revertAfterMs: f.everyMs },
            where,
          },
          t + 2 * k * f.everyMs,
        ),
      );
    case "rollingUpdate":
      return [at({ type: "rollingUpdate", deployment: f.deployment })];
    case "drainNode":
      return [
        at({ type: "drainNode", node: f.node, ...(f.graceMs !== undefined ? { graceMs: f.graceMs } : {}) }),
      ];
    case "annotate":
      return [
        at({
          type: "annotate",
          service: f.service,
          annotations: f.annotations,
          where: [...where, "annotations"],
        }),
      ];
    case "stripLabels":
      return [at({ type: "stripLabels", service: f.service })];
    case "restartController":
      return [at({ type: "controllerRestart" })];
    case "watchGap":
      return [at({ type: "watchGap", kind: f.kind, until: t + f.forMs })];
    case "apiLatency":
      return [
        at({
          type: "apiBehaviour",
          behaviour: {
            ...(f.writeMs !== undefined ? { writeLatencyMs: f.writeMs } : {}),
            ...(f.watchMs !== undefined ? { watchLatencyMs: f.watchMs } : {}),
          },
        }),
      ];
    case "apiFailures":
      return [
        at({ type: "apiBehaviour", behaviour: { writeFailureRate: f.rate, writeFailureCodes: f.codes } }),
        ...(f.forMs !== undefined
          ? [at({ type: "apiBehaviour", behaviour: { writeFailureRate: 0 } }, t + f.forMs)]
          : []),
      ];
    case "scale":
      return [at({ type: "scale", deployment: f.deployment, replicas: f.replicas })];
  }
}

/** The longest min-ready-duration any Service asks for (the run waits it out at the end). */
function maxMinReady(s: Scenario): number {
  let max = 0;
  const consider = (value: string | null | undefined) => {
    const ms = typeof value === "string" ? parseDuration(value) : undefined;
    if (ms !== undefined && ms > max) max = ms;
  };
  for (const svc of s.services) consider(svc.annotations[ANNOTATIONS.minReadyDuration]);
  for (const e of s.timeline) {
    if (e.fault.type === "annotate") consider(e.fault.annotations[ANNOTATIONS.minReadyDuration]);
  }
  return max;
}
