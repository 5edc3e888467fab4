import { describe, expect, it } from "vitest";
import { runSimulation, startSimulation } from "./engine.ts";
import type { SimReport, TimedChange } from "./model.ts";
import { testSimulation } from "./testing.ts";

const WEB = "default/web";

function service(report: SimReport) {
  const found = report.services.find((s) => s.service === WEB);
  if (found === undefined) throw new Error("no report for default/web");
  return found;
}

describe("runSimulation", () => {
  it("elects the oldest Ready pod and publishes it, with no violations", () => {
    const report = runSimulation(testSimulation());
    const web = service(report);
    expect(web.leaderService).toBe("default/web-leader");
    expect(web.leadership).toEqual([{ pod: "web-0", from: 0, reason: "Elected" }]);
    expect(web.leaderChanges).toEqual([
      { at: 0, to: "web-0", cause: "Elected", triggerAt: 0, sliceAt: 5, latencyMs: 5 },
    ]);
    expect(report.writes.map((w) => [w.at, w.verb, w.kind, w.object, w.status])).toEqual([
      [5, "create", "EndpointSlice", "default/web-leader-ipv4", 201],
      // The leader Service once its slice's create is seen (docs/semantics.md).
      [15, "create", "Service", "default/web-leader", 201],
    ]);
    expect(web.pods.map((p) => [p.pod, p.created, p.ready])).toEqual([
      ["web-0", 0, [{ from: 0 }]],
      ["web-1", 0, [{ from: 0 }]],
      ["web-2", 0, [{ from: 0 }]],
    ]);
    expect(report.violations).toEqual([]);
  });

  it("fails over when the leader turns NotReady: latency is one watch and one write", () => {
    const report = runSimulation(
      testSimulation({
        api: { watchLatencyMs: 20, writeLatencyMs: 7 },
        timeline: [
          {
            at: 10_000,
            change: { type: "pod", target: { leaderOf: WEB }, action: { type: "setReady", ready: false } },
          },
        ],
      }),
    );
    const web = service(report);
    expect(web.leaderChanges[1]).toEqual({
      at: 10_020,
      from: "web-0",
      to: "web-1",
      cause: "LeaderNotReady",
      triggerAt: 10_000,
      sliceAt: 10_027,
      latencyMs: 27,
    });
    expect(web.leadership).toEqual([
      { pod: "web-0", from: 0, to: 10_020, reason: "Elected" },
      { pod: "web-1", from: 10_020, reason: "LeaderNotReady" },
    ]);
    expect(web.pods[0]?.ready).toEqual([{ from: 0, to: 10_000 }]);
    expect(report.stats.publishLatencyMs).toEqual({ count: 2, min: 7, mean: 17, max: 27 });
    expect(report.violations).toEqual([]);
  });

  it("leaves the API naming the new leader after a failover", () => {
    // Stop just after the failover and look at what the next `leaderOf` change would hit.
    const run = startSimulation(testSimulation());
    run.push({
      at: 1_000,
      change: { type: "pod", target: { pod: "default/web-0" }, action: { type: "delete" } },
    });
    run.push({
      at: 2_000,
      change: { type: "pod", target: { leaderOf: WEB }, action: { type: "setReady", ready: false } },
    });
    const report = run.finish(10_000);
    const web = service(report);
    expect(web.leaderChanges.map((f) => [f.from, f.to, f.cause])).toEqual([
      [undefined, "web-0", "Elected"],
      ["web-0", "web-1", "LeaderDeleted"],
      ["web-1", "web-2", "LeaderNotReady"],
    ]);
    expect(web.pods.find((p) => p.pod === "web-1")?.ready).toEqual([{ from: 0, to: 2_000 }]);
    expect(report.violations).toEqual([]);
  });

  it("retries writes refused during an API outage and converges after it", () => {
    const timeline: TimedChange[] = [
      {
        at: 1_000,
        change: { type: "apiBehaviour", behaviour: { writeFailureRate: 1, writeFailureCodes: [500] } },
      },
      { at: 1_100, change: { type: "pod", target: { leaderOf: WEB }, action: { type: "delete" } } },
      { at: 3_000, change: { type: "apiBehaviour", behaviour: { writeFailureRate: 0 } } },
    ];
    const report = runSimulation(testSimulation({ timeline, endAt: 20_000 }));
    const failed = report.writes.filter((w) => w.status >= 300);
    expect(failed.length).toBeGreaterThan(2);
    expect(failed.every((w) => w.status === 500 && w.at < 3_000)).toBe(true);
    // The controller's backoff per key (core/write-queue.ts): 200 ms doubling, with equal jitter
    // from the seed — between half and all of each step — after the 10 ms answer of each attempt.
    const slice = report.writes.filter((w) => w.kind === "EndpointSlice" && w.at > 1_000).map((w) => w.at);
    const gaps = slice.slice(1, 4).map((at, i) => at - (slice[i] ?? 0) - 10);
    gaps.forEach((gap, n) => {
      expect(gap).toBeGreaterThanOrEqual(100 * 2 ** n);
      expect(gap).toBeLessThanOrEqual(200 * 2 ** n);
    });
    const web = service(report);
    const failover = web.leaderChanges[1];
    expect(failover?.to).toBe("web-1");
    expect(failover?.sliceAt).toBeGreaterThanOrEqual(3_000);
    expect(report.stats.failedWrites).toBe(failed.length);
    expect(report.violations).toEqual([]);
  });

  it("keeps a healthy leader across a controller restart and writes nothing", () => {
    const report = runSimulation(
      testSimulation({ timeline: [{ at: 5_000, change: { type: "controllerRestart" } }] }),
    );
    const web = service(report);
    expect(web.leadership).toEqual([{ pod: "web-0", from: 0, reason: "Elected" }]);
    expect(report.writes.filter((w) => w.at >= 5_000)).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it("replaces a leader that died while the controller was down, at once", () => {
    const report = runSimulation(
      testSimulation({
        api: { watchLatencyMs: 50 },
        timeline: [
          { at: 5_000, change: { type: "watchGap", kind: "Pod", until: 8_000 } },
          { at: 6_000, change: { type: "pod", target: { leaderOf: WEB }, action: { type: "delete" } } },
        ],
      }),
    );
    const web = service(report);
    // The delete is dropped with the watch; the relist at 8 s reveals it.
    expect(web.leaderChanges[1]).toMatchObject({
      at: 8_000,
      from: "web-0",
      to: "web-1",
      cause: "LeaderDeleted",
      triggerAt: 6_000,
    });
    expect(web.leaderChanges[1]?.latencyMs).toBe(2_005);
    expect(web.pods.find((p) => p.pod === "web-0")?.deleted).toBe(6_000);
    expect(report.violations).toEqual([]);
  });

  it("terminates a pod gracefully: replaced when the deletionTimestamp appears, removed after grace", () => {
    const report = runSimulation(
      testSimulation({
        timeline: [
          {
            at: 1_000,
            change: {
              type: "pod",
              target: { onNode: "node-0" },
              action: { type: "terminate", graceMs: 30_000 },
            },
          },
        ],
      }),
    );
    const web = service(report);
    expect(web.leaderChanges[1]).toMatchObject({
      at: 1_005,
      from: "web-0",
      to: "web-1",
      cause: "LeaderTerminating",
    });
    expect(web.pods.find((p) => p.pod === "web-0")).toEqual({
      pod: "web-0",
      created: 0,
      deleted: 31_000,
      ready: [{ from: 0, to: 1_000 }],
    });
    expect(report.violations).toEqual([]);
  });

  it("repairs its slice when someone else deletes it", () => {
    const report = runSimulation(
      testSimulation({
        timeline: [
          {
            at: 1_000,
            change: { type: "remove", kind: "EndpointSlice", namespace: "default", name: "web-leader-ipv4" },
          },
        ],
      }),
    );
    expect(report.writes.filter((w) => w.at > 1_000).map((w) => [w.verb, w.object, w.status])).toEqual([
      ["create", "default/web-leader-ipv4", 201],
    ]);
    expect(report.violations).toEqual([]);
  });

  it("flags a zen-lead slice holding two endpoints (written by someone else), then repairs it", () => {
    const slice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "web-leader-ipv4",
        namespace: "default",
        labels: {
          "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
          "zen-lead.io/source-service": "web",
          "kubernetes.io/service-name": "web-leader",
          "app.kubernetes.io/managed-by": "zen-lead",
        },
        ownerReferences: [
          { apiVersion: "v1", kind: "Service", name: "web", uid: "uid-svc-default-web", controller: true },
        ],
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"] }, { addresses: ["10.0.0.2"] }],
      ports: [],
    };
    const report = runSimulation(
      testSimulation({
        timeline: [{ at: 1_000, change: { type: "put", kind: "EndpointSlice", object: slice } }],
      }),
    );
    expect(report.violations).toEqual([
      {
        at: 1_000,
        invariant: "single-endpoint",
        message: "EndpointSlice default/web-leader-ipv4 holds 2 endpoints (10.0.0.1, 10.0.0.2)",
      },
    ]);
    expect(report.writes.filter((w) => w.at > 1_000).map((w) => [w.at, w.verb, w.object, w.status])).toEqual([
      [1_010, "update", "default/web-leader-ipv4", 200],
    ]);
  });

  it("leaves a foreign slice holding zen-lead's slice name alone, and publishes no leader beside it", () => {
    const foreign = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "web-leader-ipv4",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "web-leader" },
      },
      addressType: "IPv4",
      endpoints: [],
    };
    const report = runSimulation(
      testSimulation({
        timeline: [
          {
            at: 1_000,
            change: { type: "remove", kind: "EndpointSlice", namespace: "default", name: "web-leader-ipv4" },
          },
          { at: 1_003, change: { type: "put", kind: "EndpointSlice", object: foreign } },
        ],
      }),
    );
    // zen-lead never overwrites what is not its own: its create is refused; once it sees the
    // foreign slice, the source is blocked (NameCollision) and its own leader Service goes, so no
    // leader Service names a leader that receives no traffic.
    expect(
      report.writes.filter((w) => w.at > 1_000).map((w) => [w.at, w.verb, w.kind, w.object, w.status]),
    ).toEqual([
      [1_010, "create", "EndpointSlice", "default/web-leader-ipv4", 409],
      [1_013, "delete", "Service", "default/web-leader", 200],
    ]);
    expect(report.violations).toEqual([]);
  });

  it("refuses a timeline out of order, or in time already run", () => {
    const run = startSimulation(testSimulation());
    const restart: TimedChange["change"] = { type: "controllerRestart" };
    run.push({ at: 2_000, change: restart });
    expect(() => run.push({ at: 1_000, change: restart })).toThrow(/out of order \(1000 after 2000\)/);
    run.runUntil(5_000);
    expect(() => run.push({ at: 5_000, change: restart })).toThrow(/time already run/);
    run.push({ at: 5_001, change: restart });
    expect(run.finish(6_000).violations).toEqual([]);
  });
});
