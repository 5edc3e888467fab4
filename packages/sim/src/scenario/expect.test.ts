import { describe, expect, it } from "vitest";
import { checkExpectations, parseScenario, runScenario } from "./index.ts";

const SCENARIO = `name: expectations
deployments:
  - { name: web, replicas: 3, readyAfter: 10s }
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true", zen-lead.io/preferred-leader: nobody }
    selector: { app: web }
    ports: [{ port: 80, targetPort: 8080 }]
timeline:
  - at: 20s
    crashLeader: web
`;

function check(expect: string): string[] {
  const scenario = parseScenario(`${SCENARIO}expect:\n${expect}`, "e.yaml");
  const { report, pods } = runScenario(scenario);
  const { invalid, unmet } = checkExpectations(scenario, report, pods);
  return [...invalid, ...unmet];
}

describe("checkExpectations", () => {
  it("is empty when every expectation is met", () => {
    expect(
      check(`  noViolations: true
  leaderAt:
    - { at: 10s, service: web, pod: "web#0" }
    - { at: 21s, service: default/web, pod: "web#1" }
  leaderOneOf:
    - { at: 21s, service: web, pods: ["web#1", "web#2"] }
  failovers: { service: web, count: 1, atLeast: 1, atMost: 1, maxLatency: 20ms }
  warnings: [{ service: web, reason: PreferredLeaderNotCandidate }]
  writesAtMost: [4, { count: 2, from: 1s }]
`),
    ).toEqual([]);
  });

  it("names each unmet expectation on one line", () => {
    const problems = check(`  leaderAt:
    - { at: 21s, service: web, pod: "web#2" }
    - { at: 30s, service: web, pod: null }
  failovers: { service: web, count: 2, maxLatency: 1ms }
  warnings: [{ service: web, reason: NoReadyPods }]
  noWarnings: [web]
  writesAtMost: { count: 1, from: 1s }
`);
    expect(problems).toHaveLength(7);
    for (const p of problems) expect(p).not.toContain("\n");
    expect(problems[0]).toMatch(
      /^expect\.leaderAt\[0\]: at 21s default\/web is led by web-\S+ \(web#1\), expected default\/web-\S+ \(web#2\)$/,
    );
    expect(problems[1]).toMatch(
      /^expect\.leaderAt\[1\]: at 30s default\/web is led by web-\S+ \(web#1\), expected no leader$/,
    );
    expect(problems[2]).toMatch(
      /^expect\.failovers\[0\]: default\/web had 1 failover \(20\.005s web-\S+ -> web-\S+ \(LeaderDeleted\)\), expected 2$/,
    );
    expect(problems[3]).toMatch(
      /^expect\.failovers\[0\]: the failover at 20\.005s \(LeaderDeleted\) took 10ms, expected at most 1ms$/,
    );
    expect(problems[4]).toBe(
      "expect.warnings[0]: default/web never warned NoReadyPods (warnings: PreferredLeaderNotCandidate at 0s)",
    );
    expect(problems[5]).toMatch(
      /^expect\.noWarnings\[0\]: default\/web warned PreferredLeaderNotCandidate at 0s: /,
    );
    expect(problems[6]).toMatch(
      /^expect\.writesAtMost\[0\]: 2 writes between 1s and the end, expected at most 1 \(20\.01s update EndpointSlice default\/web-leader-ipv4 200; /,
    );
  });

  it("reports a pod alias that never existed as the scenario's mistake, not as an unmet expectation", () => {
    const scenario = parseScenario(
      `${SCENARIO}expect:\n  leaderAt: [{ at: 1s, service: web, pod: "web#9" }]\n`,
      "e.yaml",
    );
    const { report, pods } = runScenario(scenario);
    expect(checkExpectations(scenario, report, pods)).toEqual({
      invalid: ["expect.leaderAt[0]: web#9 does not exist (deployment web has created 4 pods: #0-#3)"],
      unmet: [],
    });
  });
});
