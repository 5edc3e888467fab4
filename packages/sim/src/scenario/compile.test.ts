import { describe, expect, it } from "vitest";
import type { TimedChange, WorldChange } from "../model.ts";
import { REPLACEMENT_DELAY_MS } from "../world/world.ts";
import { compileScenario, parseScenario, SETTLE_MS } from "./index.ts";

const CLUSTER = `name: compile
deployments:
  - name: web
    replicas: 3
    containerPorts: [{ name: http, containerPort: 8080 }]
    readyAfter: 10s
    terminationGrace: 20s
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ name: http, port: 80, targetPort: http }]
`;

function compile(timeline = "", extra = "") {
  return compileScenario(
    parseScenario(`${CLUSTER}${extra}${timeline === "" ? "" : `timeline:\n${timeline}`}`, "c.yaml"),
  );
}

const changesOf = (timeline: readonly TimedChange[], type: WorldChange["type"]) =>
  timeline.filter((c) => c.change.type === type);

describe("compileScenario", () => {
  it("is deterministic, and hands the cluster sections to the world model as they are", () => {
    const a = compile("  - at: 10s\n    crashLeader: web\n");
    expect(compile("  - at: 10s\n    crashLeader: web\n")).toEqual(a);
    const scenario = parseScenario(CLUSTER, "c.yaml");
    expect(compileScenario(scenario)).toMatchObject({
      initial: [],
      world: {
        nodes: scenario.nodes,
        services: scenario.services,
        deployments: scenario.deployments,
        pods: scenario.pods,
      },
    });
  });

  it("compiles a leader crash to a delete of whoever leads when it happens; the run waits for the replacement", () => {
    const simulation = compile("  - at: 10s\n    crashLeader: web\n");
    expect(simulation.timeline).toEqual([
      {
        at: 10_000,
        change: {
          type: "pod",
          target: { leaderOf: "default/web" },
          action: { type: "delete" },
          where: ["timeline", 0, "crashLeader"],
        },
      },
    ]);
    // The replacement comes 500 ms later and is Ready after readyAfter: then the run settles.
    expect(simulation.endAt).toBe(10_000 + REPLACEMENT_DELAY_MS + 10_000 + SETTLE_MS);
  });

  it("compiles a graceful deletion of a pod named by ordinal to a terminate resolved when it happens", () => {
    const simulation = compile('  - at: 5s\n    deletePod: { pod: "web#1", grace: 15s }\n');
    expect(simulation.timeline).toEqual([
      {
        at: 5_000,
        change: {
          type: "pod",
          target: {
            ref: { type: "ordinal", text: "web#1", namespace: "default", deployment: "web", ordinal: 1 },
          },
          action: { type: "terminate", graceMs: 15_000 },
          where: ["timeline", 0, "deletePod"],
        },
      },
    ]);
  });

  it("compiles a flap to NotReady changes that revert after `every`", () => {
    const simulation = compile("  - at: 10s\n    flap: { leaderOf: web, times: 2, every: 2s }\n");
    expect(simulation.timeline.map((c) => [c.at, c.change])).toEqual(
      [10_000, 14_000].map((at) => [
        at,
        {
          type: "pod",
          target: { leaderOf: "default/web" },
          action: { type: "setReady", ready: false, revertAfterMs: 2_000 },
          where: ["timeline", 0, "flap"],
        },
      ]),
    );
  });

  it("hands rollouts, scaling, drains and annotations to the world model; the run waits for a rollout", () => {
    const simulation = compile(
      '  - at: 20s\n    rollingUpdate: web\n  - at: 25s\n    scale: { deployment: web, replicas: 4 }\n  - at: 30s\n    drainNode: { node: node-2, grace: 5s }\n  - at: 35s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web#2}}" } }\n',
    );
    expect(simulation.timeline.map((c) => c.change)).toEqual([
      { type: "rollingUpdate", deployment: "default/web" },
      { type: "scale", deployment: "default/web", replicas: 4 },
      { type: "drainNode", node: "node-2", graceMs: 5_000 },
      {
        type: "annotate",
        service: "default/web",
        annotations: { "zen-lead.io/preferred-leader": "{{web#2}}" },
        where: ["timeline", 3, "annotate", "annotations"],
      },
    ]);
    // Three new pods, each Ready 10 s after it is created 500 ms after the previous step, then the
    // last old pod's 20 s grace period.
    expect(simulation.endAt).toBe(20_000 + 3 * (10_000 + REPLACEMENT_DELAY_MS) + 20_000 + SETTLE_MS);
  });

  it("restores writes after an apiFailures window and maps latency faults", () => {
    const simulation = compile(
      "  - at: 5s\n    apiFailures: { rate: 0.5, codes: [409, 429], for: 10s }\n  - at: 6s\n    apiLatency: { write: 200ms }\n",
    );
    expect(changesOf(simulation.timeline, "apiBehaviour")).toEqual([
      {
        at: 5_000,
        change: { type: "apiBehaviour", behaviour: { writeFailureRate: 0.5, writeFailureCodes: [409, 429] } },
      },
      { at: 6_000, change: { type: "apiBehaviour", behaviour: { writeLatencyMs: 200 } } },
      { at: 15_000, change: { type: "apiBehaviour", behaviour: { writeFailureRate: 0 } } },
    ]);
  });

  it("waits out the longest min-ready-duration, and runs until `until` when given", () => {
    const slow = CLUSTER.replace(
      '{ zen-lead.io/enabled: "true" }',
      '{ zen-lead.io/enabled: "true", zen-lead.io/min-ready-duration: 45s }',
    );
    expect(compileScenario(parseScenario(slow, "m.yaml")).endAt).toBe(SETTLE_MS + 45_000);
    expect(compileScenario(parseScenario(`${CLUSTER}until: 5m\n`, "u.yaml")).endAt).toBe(300_000);
  });
});
