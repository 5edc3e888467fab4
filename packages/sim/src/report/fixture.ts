/**
 * A hand-written SimReport for the HTML report's tests (two Services, several leadership periods
 * and failovers, warnings, a violation, failed writes, objects that could not be decoded), so they
 * do not depend on the engine.
 */
import type { SimReport } from "../model.ts";

/** The sample report (module comment). */
export const SAMPLE_REPORT: SimReport = {
  formatVersion: 2,
  name: "rolling-restart-with-api-faults",
  source: "scenario",
  seed: 42,
  endAt: 60_000,
  services: [
    {
      service: "shop/web",
      leaderService: "shop/web-leader",
      optedIn: true,
      totals: { leaderChanges: 3, failovers: 3, leaderlessMs: 745, writes: 7 },
      leadership: [
        { pod: "shop/web-0", from: 120, to: 15_000, reason: "Elected" },
        { pod: "shop/web-1", from: 15_180, to: 31_000, reason: "LeaderNotReady" },
        { pod: "shop/web-2", from: 31_045, to: 44_000, reason: "LeaderTerminating" },
        { pod: "shop/web-0", from: 44_400, reason: "LeaderDeleted" },
      ],
      leaderChanges: [
        {
          at: 15_005,
          from: "shop/web-0",
          to: "shop/web-1",
          cause: "LeaderNotReady",
          triggerAt: 15_000,
          sliceAt: 15_180,
          latencyMs: 180,
        },
        {
          at: 31_010,
          from: "shop/web-1",
          to: "shop/web-2",
          cause: "LeaderTerminating",
          triggerAt: 31_000,
          sliceAt: 31_045,
          latencyMs: 45,
        },
        {
          at: 44_005,
          from: "shop/web-2",
          to: "shop/web-0",
          cause: "LeaderDeleted",
          triggerAt: 44_000,
          sliceAt: 44_400,
          latencyMs: 400,
        },
      ],
      pods: [
        { pod: "shop/web-0", created: 0, ready: [{ from: 100, to: 15_000 }, { from: 22_000 }] },
        { pod: "shop/web-1", created: 0, deleted: 38_000, ready: [{ from: 110, to: 31_000 }] },
        { pod: "shop/web-2", created: 5_000, deleted: 44_000, ready: [{ from: 5_200, to: 43_500 }] },
        { pod: "shop/web-3", created: 45_000, ready: [{ from: 46_000 }] },
      ],
      warnings: [{ at: 43_600, reason: "MinReadyNotMet", message: "1 Ready pod < minReady 2 <b>&\"'" }],
    },
    {
      service: "payments/api",
      leaderService: "payments/api-leader",
      optedIn: true,
      totals: { leaderChanges: 2, failovers: 2, leaderlessMs: 8_900, writes: 4 },
      leadership: [
        { pod: "payments/api-7d9f-abcde", from: 50, to: 20_000, reason: "Elected" },
        { pod: "payments/api-7d9f-fghij", from: 20_900, reason: "LeaderNotRunning" },
      ],
      leaderChanges: [
        {
          at: 20_010,
          from: "payments/api-7d9f-abcde",
          to: "payments/api-7d9f-fghij",
          cause: "LeaderNotRunning",
          triggerAt: 20_000,
          sliceAt: 20_900,
          latencyMs: 900,
        },
        { at: 52_000, from: "payments/api-7d9f-fghij", cause: "LeaderNotReady", triggerAt: 51_990 },
      ],
      pods: [
        { pod: "payments/api-7d9f-abcde", created: 0, deleted: 21_000, ready: [{ from: 40, to: 20_000 }] },
        { pod: "payments/api-7d9f-fghij", created: 0, ready: [{ from: 45, to: 51_990 }] },
      ],
      warnings: [
        { at: 52_000, reason: "NoReadyPods", message: "no Ready pod selected by payments/api" },
        { at: 52_500, reason: "NoReadyPods", message: "still no Ready pod" },
      ],
    },
  ],
  writes: [
    { at: 15, verb: "create", kind: "Service", object: "shop/web-leader", status: 201, source: "shop/web" },
    {
      at: 120,
      verb: "create",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 201,
      source: "shop/web",
    },
    {
      at: 15_100,
      verb: "update",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 500,
      source: "shop/web",
    },
    {
      at: 15_180,
      verb: "update",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 200,
      source: "shop/web",
    },
    {
      at: 31_045,
      verb: "update",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 200,
      source: "shop/web",
    },
    {
      at: 44_200,
      verb: "update",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 409,
      source: "shop/web",
    },
    {
      at: 44_400,
      verb: "update",
      kind: "EndpointSlice",
      object: "shop/web-leader",
      status: 200,
      source: "shop/web",
    },
    {
      at: 20,
      verb: "create",
      kind: "Service",
      object: "payments/api-leader",
      status: 201,
      source: "payments/api",
    },
    {
      at: 50,
      verb: "create",
      kind: "EndpointSlice",
      object: "payments/api-leader",
      status: 201,
      source: "payments/api",
    },
    {
      at: 20_900,
      verb: "update",
      kind: "EndpointSlice",
      object: "payments/api-leader",
      status: 200,
      source: "payments/api",
    },
    {
      at: 52_100,
      verb: "update",
      kind: "EndpointSlice",
      object: "payments/api-leader",
      status: 500,
      source: "payments/api",
    },
  ],
  violations: [
    {
      at: 52_000,
      invariant: "LeaderIsReady",
      message: "payments/api: the leader slice still names payments/api-7d9f-fghij, which is NotReady",
    },
  ],
  decodeFailures: [
    {
      at: 31_005,
      object: "Pod shop/web-1",
      reason: "DecodeFailed",
      message: 'status.conditions: expected Array<Condition>, got "<b>&\\"\'"',
      count: 3,
      lastAt: 36_005,
    },
    {
      at: 40_005,
      object: "Node node-b",
      reason: "DecodeFailed",
      message: "spec.taints: expected Array<Taint>, got 7",
      count: 1,
      lastAt: 40_005,
    },
  ],
  stats: { events: 137, writes: 11, failedWrites: 3, leaderChanges: 5, failovers: 5, decodeFailures: 4 },
};

/** How many leadership periods the sample has, over all Services. */
export const SAMPLE_PERIODS = SAMPLE_REPORT.services.reduce((n, s) => n + s.leadership.length, 0);
