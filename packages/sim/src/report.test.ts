import { describe, expect, it } from "vitest";
import { runSimulation } from "./engine.ts";
import type { SimReport, TimedChange } from "./model.ts";
import { renderJson } from "./report-json.ts";
import { renderText } from "./report-text.ts";
import { testSimulation } from "./testing.ts";
import { formatAbsolute, formatDuration, formatOffset } from "./time-format.ts";

/** A run that touches every moving part: failures from the PRNG, a restart, a watch gap, a drain. */
function busyRun(seed: number): SimReport {
  const timeline: TimedChange[] = [
    {
      at: 1_000,
      change: {
        type: "apiBehaviour",
        behaviour: { writeFailureRate: 0.8, writeFailureCodes: [409, 429, 500] },
      },
    },
    {
      at: 1_200,
      change: {
        type: "pod",
        target: { leaderOf: "default/web" },
        action: { type: "setReady", ready: false },
      },
    },
    {
      at: 1_900,
      change: { type: "pod", target: { pod: "default/web-0" }, action: { type: "setReady", ready: true } },
    },
    { at: 2_400, change: { type: "pod", target: { leaderOf: "default/web" }, action: { type: "delete" } } },
    { at: 4_000, change: { type: "apiBehaviour", behaviour: { writeFailureRate: 0 } } },
    { at: 5_000, change: { type: "controllerRestart" } },
    { at: 6_000, change: { type: "watchGap", kind: "Pod", until: 7_500 } },
    {
      at: 6_500,
      change: { type: "pod", target: { onNode: "node-2" }, action: { type: "terminate", graceMs: 2_000 } },
    },
  ];
  return runSimulation(testSimulation({ pods: 5, seed, timeline, endAt: 30_000 }));
}

describe("reports", () => {
  it("are byte-identical for the same simulation, in text and JSON", () => {
    const first = busyRun(11);
    const second = busyRun(11);
    expect(renderText(second)).toBe(renderText(first));
    expect(renderJson(second)).toBe(renderJson(first));
    expect(first.stats.failedWrites).toBeGreaterThan(0);
    expect(first.violations).toEqual([]);
    // Another seed draws other failures.
    expect(renderJson(busyRun(12))).not.toBe(renderJson(first));
  });

  it("render the leader timeline, leader changes with latency, writes and violations as text", () => {
    const report = runSimulation(
      testSimulation({
        api: { watchLatencyMs: 20, writeLatencyMs: 7 },
        timeline: [
          {
            at: 10_000,
            change: {
              type: "pod",
              target: { leaderOf: "default/web" },
              action: { type: "setReady", ready: false },
            },
          },
        ],
      }),
    );
    const text = renderText(report);
    expect(text.split("\n").slice(0, 20)).toEqual([
      "zen-lead simulation: test (scenario, seed 1)",
      "  start +0.000s (2025-01-01T00:00:00.000Z)",
      "  end   +60.000s (2025-01-01T00:01:00.000Z)",
      "  9 events, 4 writes (0 failed), 2 leader changes (1 failover), 0 decode failures",
      "  publish latency over 2 leader changes: min 7ms, mean 17ms, max 27ms",
      "  0 violations",
      "",
      "Service default/web -> default/web-leader",
      "  2 leader changes, 1 failover, 0s without a leader, 4 writes",
      "  Leaders",
      "    +0.000s     .. +10.020s     web-0  (Elected)",
      "    +10.020s    .. end          web-1  (LeaderNotReady)",
      "  Leader changes",
      "    +0.000s      (none) -> web-0  Elected  trigger +0.000s  slice +0.007s  latency 7ms",
      "    +10.020s     web-0 -> web-1  LeaderNotReady  trigger +10.000s  slice +10.027s  latency 27ms",
      "  Warnings",
      "    (none)",
      "  Pods",
      "    web-0  created +0.000s; Ready +0.000s..+10.000s",
      "    web-1  created +0.000s; Ready +0.000s..end",
    ]);
    expect(text).toContain(
      "    +10.027s     update  EndpointSlice  default/web-leader-ipv4  200  (for default/web)\n",
    );
    expect(text.endsWith("Decode failures (0 reports)\n    none\n\nViolations\n    none\n")).toBe(true);
  });

  it("serialize to JSON with the documented keys in order, leaving out absent fields", () => {
    const report = runSimulation(testSimulation());
    const json = JSON.parse(renderJson(report));
    expect(Object.keys(json)).toEqual([
      "formatVersion",
      "name",
      "source",
      "seed",
      "epochMs",
      "startedAt",
      "endAt",
      "stats",
      "services",
      "writes",
      "violations",
      "decodeFailures",
    ]);
    expect(Object.keys(json.stats)).toEqual([
      "events",
      "writes",
      "failedWrites",
      "leaderChanges",
      "failovers",
      "decodeFailures",
      "publishLatencyMs",
    ]);
    expect(json.decodeFailures).toEqual([]);
    expect(json.startedAt).toBe("2025-01-01T00:00:00.000Z");
    expect(Object.keys(json.services[0])).toEqual([
      "service",
      "leaderService",
      "optedIn",
      "totals",
      "leadership",
      "leaderChanges",
      "pods",
      "warnings",
    ]);
    expect(json.services[0].totals).toEqual({ leaderChanges: 1, failovers: 0, leaderlessMs: 0, writes: 2 });
    expect(json.stats).toMatchObject({ leaderChanges: 1, failovers: 0 });
    expect(json.services[0].leaderChanges[0]).toEqual({
      at: 0,
      to: "web-0",
      cause: "Elected",
      triggerAt: 0,
      sliceAt: 5,
      latencyMs: 5,
    });
    expect(Object.keys(json.writes[0])).toEqual(["at", "verb", "kind", "object", "status", "source"]);
  });

  it("count what their limits leave out", () => {
    const timeline: TimedChange[] = [];
    for (let i = 1; i <= 20; i++) {
      timeline.push({
        at: i * 1_000,
        change: {
          type: "pod",
          target: { leaderOf: "default/web" },
          action: { type: "setReady", ready: false },
        },
      });
      timeline.push({
        at: i * 1_000 + 500,
        change: {
          type: "pod",
          target: { pod: `default/web-${i % 3}` },
          action: { type: "setReady", ready: true },
        },
      });
    }
    const report = runSimulation(testSimulation({ timeline }), {
      limits: { writes: 4, leaderChanges: 3, leadership: 2, readyIntervals: 2 },
    });
    const web = report.services[0];
    expect(report.writes).toHaveLength(4);
    expect(web?.leaderChanges).toHaveLength(3);
    expect(web?.leadership).toHaveLength(2);
    const { leaderChanges } = report.stats;
    expect(leaderChanges).toBeGreaterThan(20);
    expect(report.stats.publishLatencyMs?.count).toBe(leaderChanges);
    const omitted = report.omitted;
    expect(omitted).toMatchObject({ writes: report.stats.writes - 4, leaderChanges: leaderChanges - 3 });
    expect(omitted?.leadership).toBeGreaterThan(10);
    expect(omitted?.readyIntervals).toBeGreaterThan(10);
    // A Service's totals count everything too, and agree with the whole run's.
    expect(web?.totals).toMatchObject({ leaderChanges, writes: report.stats.writes });
    // Each of the 20 NotReady turns took leadership from a sitting leader: the one Service's
    // failovers are the run's; its leader changes count the elections (the first one) too.
    expect(web?.totals.failovers).toBe(20);
    expect(report.stats.failovers).toBe(20);
    expect(leaderChanges).toBeGreaterThan(20);
    expect(renderText(report)).toContain(
      `Not listed (report limits; the stats count them): ${omitted?.leadership} leadership, ${leaderChanges - 3} leaderChanges`,
    );
  });
});

describe("time formats", () => {
  it("print offsets, absolute UTC times and durations without locale or time zone", () => {
    expect(formatOffset(0)).toBe("+0.000s");
    expect(formatOffset(12_345)).toBe("+12.345s");
    expect(formatOffset(-250)).toBe("-0.250s");
    expect(formatOffset(3_600_000.4)).toBe("+3600.000s");
    expect(formatAbsolute(Date.UTC(2025, 0, 1), 12_345)).toBe("2025-01-01T00:00:12.345Z");
    expect(formatDuration(27)).toBe("27ms");
    expect(formatDuration(2_005)).toBe("2.005s");
  });
});
