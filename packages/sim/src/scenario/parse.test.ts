import { describe, expect, it } from "vitest";
import { loadScenario, parseScenario, runScenario, ScenarioError, ScenarioSyntaxError } from "./index.ts";

const BASE = `name: bad
deployments:
  - { name: web, replicas: 3 }
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ port: 80 }]
`;

/**
 * The one-line message a scenario fails with (parsing, compiling and running, as `zen-lead sim`
 * does: a fault naming a pod the run does not have at that moment is found when it happens).
 */
function failure(text: string): ScenarioError {
  try {
    runScenario(parseScenario(text, "scenario.yaml"));
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    const e = error as ScenarioError;
    expect(e.message).not.toContain("\n");
    return e;
  }
  throw new Error("the scenario was accepted");
}
const message = (text: string) => failure(text).message;
const withTimeline = (entries: string) => `${BASE}timeline:\n${entries}`;

describe("bad scenarios: YAML syntax (file:line:column)", () => {
  it.each([
    [
      "an unclosed flow sequence",
      "name: x\ntimeline:\n  - at: [1s\n",
      "scenario.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    [
      "a nested mapping on one line",
      "name: x\n  deployments: 3\n",
      "scenario.yaml:1:7: Nested mappings are not allowed in compact mappings",
    ],
    [
      "a tab as indentation",
      "name: x\n\tseed: 1\n",
      "scenario.yaml:2:1: Tabs are not allowed as indentation",
    ],
    ["a duplicate key", "name: x\nseed: 1\nseed: 2\n", "scenario.yaml:3:1: Map keys must be unique"],
  ])("%s", (_, text, expected) => {
    const e = failure(text);
    expect(e).toBeInstanceOf(ScenarioSyntaxError);
    expect(e.message).toBe(expected);
  });
});

describe("bad scenarios: shapes and values", () => {
  it.each([
    ["an empty file", "", "scenario.yaml: expected a scenario (a YAML map), got nothing"],
    ["a list at the top", "- name: x\n", "scenario.yaml: expected a scenario (a YAML map), got a list"],
    ["a scalar at the top", "hello", 'scenario.yaml: expected a scenario (a YAML map), got "hello"'],
    ["a missing name", "seed: 1\n", "scenario.yaml: name: required"],
    [
      "a duration that is not one",
      withTimeline(
        '  - at: 10s\n    restartController: true\n  - at: 20s\n    restartController: true\n  - at: 30s\n    deletePod: { pod: "web#0", grace: soon }\n',
      ),
      'scenario.yaml: timeline[2].deletePod.grace: expected a duration like "30s", got "soon"',
    ],
    [
      "a duration without a unit",
      withTimeline("  - at: 10\n    crashLeader: web\n"),
      'scenario.yaml: timeline[0].at: expected a duration like "30s", got 10 (a number needs a unit: "10s")',
    ],
    [
      "a zero flap period",
      withTimeline("  - at: 10s\n    flap: { leaderOf: web, times: 2, every: 0s }\n"),
      'scenario.yaml: timeline[0].flap.every: expected a duration above zero like "30s", got "0s"',
    ],
    [
      "replicas that are not a number",
      BASE.replace("replicas: 3", 'replicas: "three"'),
      'scenario.yaml: deployments[0].replicas: expected an integer 0-1000, got "three"',
    ],
    [
      "an annotation that is not a string",
      BASE.replace('zen-lead.io/enabled: "true"', "zen-lead.io/enabled: true"),
      'scenario.yaml: services[0].annotations["zen-lead.io/enabled"]: expected a string, got true (quote it: "true")',
    ],
    [
      "a bad start time",
      "name: x\nstart: yesterday\n",
      'scenario.yaml: start: expected an RFC 3339 time like "2026-01-01T00:00:00Z", got "yesterday"',
    ],
    [
      "a Service name that is not a DNS-1035 label",
      BASE.replace("  - name: web\n    annot", "  - name: Web\n    annot"),
      'scenario.yaml: services[0].name: expected a DNS-1035 label like "web", got "Web"',
    ],
    [
      "a port out of range",
      BASE.replace("ports: [{ port: 80 }]", "ports: [{ port: 80, targetPort: 70000 }]"),
      "scenario.yaml: services[0].ports[0].targetPort: expected a port (1-65535), got 70000",
    ],
    [
      "an unsupported failure code",
      withTimeline("  - at: 10s\n    apiFailures: { rate: 0.5, codes: [503], for: 5s }\n"),
      "scenario.yaml: timeline[0].apiFailures.codes[0]: expected one of 409, 429, 500, got 503",
    ],
    [
      "a failure rate above 1",
      withTimeline("  - at: 10s\n    apiFailures: { rate: 1.5, for: 5s }\n"),
      "scenario.yaml: timeline[0].apiFailures.rate: expected a rate between 0 and 1, got 1.5",
    ],
    [
      "an unknown watch kind",
      withTimeline("  - at: 10s\n    watchGap: { kind: Pods, for: 5s }\n"),
      'scenario.yaml: timeline[0].watchGap.kind: expected one of Service, Pod, EndpointSlice, Node, got "Pods"',
    ],
    [
      "a fault after the end of the run",
      `${BASE}until: 1m\ntimeline:\n  - at: 2m\n    crashLeader: web\n`,
      "scenario.yaml: timeline[0].at: after the end of the run (until is 1m0s)",
    ],
    [
      "a map where a list belongs",
      `${BASE}timeline:\n  at: 10s\n`,
      "scenario.yaml: timeline: expected a list, got a map",
    ],
    [
      "a repeated IP family",
      BASE.replace("ports: [{ port: 80 }]", "ports: [{ port: 80 }]\n    ipFamilies: [IPv4, IPv4]"),
      "scenario.yaml: services[0].ipFamilies: expected IPv4, IPv6 or both, each once",
    ],
  ])("%s", (_, text, expected) => {
    expect(message(text)).toBe(expected);
  });
});

describe("bad scenarios: unknown keys are rejected by name", () => {
  it.each([
    [
      "a misspelt section",
      `${BASE}servics: []\n`,
      'scenario.yaml: servics: unknown key (did you mean "services"?)',
    ],
    [
      "a fault in the wrong case",
      withTimeline("  - at: 10s\n    crashleader: web\n"),
      'scenario.yaml: timeline[0].crashleader: unknown key (did you mean "crashLeader"?)',
    ],
    [
      "an unknown deployment field",
      BASE.replace("replicas: 3", "replicas: 3, color: blue"),
      "scenario.yaml: deployments[0].color: unknown key (expected one of: name, replicas, namespace, labels, containerPorts, readyAfter, terminationGrace, nodes, age)",
    ],
    [
      "an unknown expectation field",
      `${BASE}expect:\n  leaderAt: [{ at: 1s, service: web, pods: [] }]\n`,
      'scenario.yaml: expect.leaderAt[0].pods: unknown key (did you mean "pod"?)',
    ],
  ])("%s", (_, text, expected) => {
    expect(message(text)).toBe(expected);
  });
});

describe("bad scenarios: timeline entries", () => {
  it.each([
    [
      "no fault",
      withTimeline("  - at: 10s\n"),
      "scenario.yaml: timeline[0]: expected one fault (crashLeader, stripLabels, deletePod, readiness, flap, rollingUpdate, drainNode, annotate, restartController, watchGap, apiLatency, apiFailures, scale)",
    ],
    [
      "two faults",
      withTimeline("  - at: 10s\n    crashLeader: web\n    restartController: true\n"),
      "scenario.yaml: timeline[0]: one fault per entry, got crashLeader and restartController",
    ],
    [
      "both pod and leaderOf",
      withTimeline('  - at: 10s\n    readiness: { pod: "web#0", leaderOf: web, ready: false }\n'),
      "scenario.yaml: timeline[0].readiness: give pod or leaderOf, not both",
    ],
    [
      "neither pod nor leaderOf",
      withTimeline("  - at: 10s\n    flap: { times: 2, every: 1s }\n"),
      "scenario.yaml: timeline[0].flap: needs pod or leaderOf",
    ],
  ])("%s", (_, text, expected) => {
    expect(message(text)).toBe(expected);
  });
});

describe("bad scenarios: references to what is not there", () => {
  it.each([
    [
      "a service",
      withTimeline("  - at: 10s\n    crashLeader: api\n"),
      'scenario.yaml: timeline[0].crashLeader: no service "api" in the scenario',
    ],
    [
      "a deployment",
      withTimeline("  - at: 10s\n    rollingUpdate: api\n"),
      'scenario.yaml: timeline[0].rollingUpdate: no deployment "api" in the scenario',
    ],
    [
      "a node to drain",
      withTimeline("  - at: 10s\n    drainNode: node-9\n"),
      'scenario.yaml: timeline[0].drainNode: no node "node-9" in the scenario',
    ],
    [
      "a node to run on",
      BASE.replace("replicas: 3", "replicas: 3, nodes: [node-1, node-7]"),
      'scenario.yaml: deployments[0].nodes[1]: no node "node-7" in the scenario',
    ],
    [
      "the deployment of a pod alias",
      withTimeline('  - at: 10s\n    deletePod: "api#0"\n'),
      'scenario.yaml: timeline[0].deletePod: no deployment "api" in the scenario',
    ],
    [
      "a pod alias the Deployment has not created yet",
      withTimeline('  - at: 10s\n    readiness: { pod: "web#5", ready: false }\n'),
      "scenario.yaml: timeline[0].readiness: web#5 does not exist at 10s (deployment web has created 3 pods: #0-#2)",
    ],
    [
      "a pod already deleted",
      withTimeline(
        '  - at: 1s\n    deletePod: { pod: "web#1", grace: 0 }\n  - at: 2s\n    readiness: { pod: "web#1", ready: true }\n',
      ),
      "scenario.yaml: timeline[1].readiness: web#1 (default/web-gpsk6l76wx-fnvsn) is already deleted at 2s",
    ],
    [
      "a pod by name",
      withTimeline("  - at: 1s\n    deletePod: web-abc\n"),
      'scenario.yaml: timeline[0].deletePod: no pod "web-abc" at 1s',
    ],
    [
      "a service in an expectation",
      `${BASE}expect:\n  leaderAt: [{ at: 1s, service: nope, pod: null }]\n`,
      'scenario.yaml: expect.leaderAt[0].service: no service "nope" in the scenario',
    ],
    [
      "a deployment in an annotation template",
      withTimeline(
        '  - at: 1s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{api#1}}" } }\n',
      ),
      'scenario.yaml: timeline[0].annotate.annotations["zen-lead.io/preferred-leader"]: no deployment "api" in namespace default (in {{api#1}})',
    ],
    [
      "a template without an ordinal",
      withTimeline(
        '  - at: 1s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web}}" } }\n',
      ),
      'scenario.yaml: timeline[0].annotate.annotations["zen-lead.io/preferred-leader"]: expected {{<deployment>#<n>}} in "{{web}}", got {{web}}',
    ],
    [
      "an ambiguous service",
      `${BASE}  - name: web\n    namespace: team-a\n    selector: { app: web }\n    ports: [{ port: 80 }]\ntimeline:\n  - at: 1s\n    crashLeader: web\n`,
      'scenario.yaml: timeline[0].crashLeader: service "web" is ambiguous (namespaces default, team-a): write "namespace/web"',
    ],
  ])("%s", (_, text, expected) => {
    expect(message(text)).toBe(expected);
  });
});

describe("bad scenarios: objects the API server would refuse", () => {
  it.each([
    [
      "a Service without ports that is not headless",
      "name: x\nservices:\n  - name: pool\n    selector: { app: pool }\n",
      "scenario.yaml: services[0]: a Service without ports must be headless (clusterIP: None)",
    ],
    [
      "a duplicate Service",
      `${BASE}  - name: web\n    clusterIP: None\n`,
      'scenario.yaml: services[1].name: duplicate service "default/web"',
    ],
    [
      "an unnamed port among several",
      BASE.replace("ports: [{ port: 80 }]", "ports: [{ port: 80 }, { port: 81 }]"),
      "scenario.yaml: services[0].ports[0].name: required when a Service has more than one port",
    ],
    [
      "a nodePort on a ClusterIP Service",
      BASE.replace("ports: [{ port: 80 }]", "ports: [{ port: 80, nodePort: 30001 }]"),
      "scenario.yaml: services[0].ports[0].nodePort: only for type NodePort or LoadBalancer",
    ],
  ])("%s", (_, text, expected) => {
    expect(message(text)).toBe(expected);
  });
});

describe("scenario errors", () => {
  it("carry the line of the offending field", () => {
    const e = failure(withTimeline('  - at: 10s\n    deletePod: { pod: "web#0", grace: soon }\n'));
    expect(e.path).toBe("timeline[0].deletePod.grace");
    expect(e.line).toBe(11);
    expect(failure("name: x\nseed: 1\nseed: 2\n").line).toBe(3);
    // Found when the run gets there (web#5 does not exist then), still with its line.
    const late = failure(withTimeline('  - at: 10s\n    readiness: { pod: "web#5", ready: false }\n'));
    expect([late.path, late.line]).toEqual(["timeline[0].readiness", 11]);
  });

  it("name a file that cannot be read", async () => {
    await expect(loadScenario("/nonexistent/scenario.yaml")).rejects.toThrow(
      /^\/nonexistent\/scenario\.yaml: cannot read \(ENOENT: no such file or directory/,
    );
  });
});

describe("valid scenarios", () => {
  it("get defaults: seed 1, the 2026 start, three nodes, the default namespace, 10 s to Ready", () => {
    const s = parseScenario("name: minimal\ndeployments: [{ name: web, replicas: 2 }]\n", "minimal.yaml");
    expect(s.seed).toBe(1);
    expect(s.epochMs).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(s.nodes.map((n) => n.name)).toEqual(["node-1", "node-2", "node-3"]);
    expect(s.deployments[0]).toMatchObject({
      namespace: "default",
      labels: { app: "web" },
      readyAfterMs: 10_000,
      terminationGraceMs: 30_000,
      nodes: ["node-1", "node-2", "node-3"],
    });
    expect(s.api).toEqual({ watchLatencyMs: 5, writeLatencyMs: 5 });
  });

  it("accept shorthands: a pod name for deletePod, a node name for drainNode, grace 0", () => {
    const s = parseScenario(
      withTimeline(
        '  - at: 1s\n    deletePod: "web#1"\n  - at: 2s\n    drainNode: node-2\n  - at: 3s\n    deletePod: { leaderOf: web, grace: 0 }\n',
      ),
      "s.yaml",
    );
    expect(s.timeline.map((t) => t.fault)).toEqual([
      {
        type: "deletePod",
        target: { type: "ordinal", text: "web#1", namespace: "default", deployment: "web", ordinal: 1 },
        graceMs: 30_000,
      },
      { type: "drainNode", node: "node-2" },
      { type: "deletePod", target: { type: "leaderOf", text: "web", service: "default/web" }, graceMs: 0 },
    ]);
  });
});
