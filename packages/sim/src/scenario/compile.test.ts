import { decode, isCandidate, isFailure, type PodView } from "@zen-lead/core";
import { describe, expect, it } from "vitest";
import type { ApiObject, TimedChange, WorldChange } from "../model.ts";
import { compileDetailed, compileScenario, parseScenario, REPLACEMENT_DELAY_MS, SETTLE_MS } from "./index.ts";

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
  const scenario = parseScenario(
    `${CLUSTER}${extra}${timeline === "" ? "" : `timeline:\n${timeline}`}`,
    "c.yaml",
  );
  return compileDetailed(scenario);
}

const changesOf = (timeline: readonly TimedChange[], type: WorldChange["type"]) =>
  timeline.filter((c) => c.change.type === type);
const meta = (o: ApiObject) => o.metadata as Record<string, unknown> & { name: string };
const podPuts = (timeline: readonly TimedChange[]) =>
  timeline.flatMap((c) =>
    c.change.type === "put" && c.change.kind === "Pod" ? [{ at: c.at, object: c.change.object }] : [],
  );

describe("compileScenario", () => {
  it("is deterministic for a seed, and the seed drives the generated names", () => {
    const a = compile("  - at: 10s\n    crashLeader: web\n");
    const b = compile("  - at: 10s\n    crashLeader: web\n");
    expect(a.simulation).toEqual(b.simulation);
    const other = compileScenario(parseScenario(`${CLUSTER}seed: 2\n`, "c.yaml"));
    expect(other.initial.map((o) => meta(o.object).name)).not.toEqual(
      a.simulation.initial.map((o) => meta(o.object).name),
    );
  });

  it("creates a Deployment's pods as a ReplicaSet would: names, labels, owner, spread over nodes, one IP each", () => {
    const { simulation, pods } = compile();
    const created = simulation.initial.filter((o) => o.kind === "Pod").map((o) => o.object);
    expect(created).toHaveLength(3);
    const hash = (meta(created[0] as ApiObject).labels as Record<string, string>)["pod-template-hash"] ?? "";
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    for (const pod of created) {
      expect(meta(pod).name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(meta(pod).ownerReferences).toEqual([
        expect.objectContaining({ kind: "ReplicaSet", name: `web-${hash}` }),
      ]);
    }
    expect(created.map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual([
      "node-1",
      "node-2",
      "node-3",
    ]);
    const ips = created.map((p) => (p.status as { podIP: string }).podIP);
    expect(new Set(ips).size).toBe(3);
    expect(pods.map((p) => p.alias)).toEqual(["web#0", "web#1", "web#2"]);
    // The first pod is the oldest: it leads.
    const times = created.map((p) => Date.parse(meta(p).creationTimestamp as string));
    expect([...times].sort()).toEqual(times);
  });

  it("emits objects the core decodes, with the Deployment's pods Ready candidates", () => {
    const { simulation } = compile("", "pods:\n  - { name: bare, labels: { app: other }, ready: false }\n");
    for (const { kind, object } of simulation.initial) {
      const view = decode(kind, object);
      expect(isFailure(view), JSON.stringify(view)).toBe(false);
      if (kind === "Pod" && meta(object).name !== "bare") expect(isCandidate(view as PodView)).toBe(true);
      if (meta(object).name === "bare") expect(isCandidate(view as PodView)).toBe(false);
    }
  });

  it("compiles a leader crash to a dynamic delete and a replacement that is Ready after readyAfter", () => {
    const { simulation, pods } = compile("  - at: 10s\n    crashLeader: web\n");
    expect(simulation.timeline[0]).toEqual({
      at: 10_000,
      change: { type: "pod", target: { leaderOf: "default/web" }, action: { type: "delete" } },
    });
    const [put] = podPuts(simulation.timeline);
    expect(put?.at).toBe(10_000 + REPLACEMENT_DELAY_MS);
    const replacement = pods.find((p) => p.alias === "web#3")?.pod ?? "";
    expect(simulation.timeline).toContainEqual({
      at: 10_000 + REPLACEMENT_DELAY_MS + 10_000,
      change: { type: "pod", target: { pod: replacement }, action: { type: "setReady", ready: true } },
    });
    expect(decode("Pod", put?.object)).toMatchObject({ ready: false });
    expect(simulation.endAt).toBe(20_500 + SETTLE_MS);
  });

  it("compiles a graceful deletion of a named pod to terminate, and replaces it", () => {
    const { simulation, resolvePod } = compile('  - at: 5s\n    deletePod: { pod: "web#1", grace: 15s }\n');
    const target = resolvePod({
      type: "ordinal",
      text: "web#1",
      namespace: "default",
      deployment: "web",
      ordinal: 1,
    });
    expect(simulation.timeline[0]?.change).toEqual({
      type: "pod",
      target: { pod: "pod" in target ? target.pod : "" },
      action: { type: "terminate", graceMs: 15_000 },
    });
    expect(podPuts(simulation.timeline)).toHaveLength(1);
  });

  it("rolls a Deployment one pod at a time, youngest old pod first, the leader last", () => {
    const { simulation, pods } = compile("  - at: 20s\n    rollingUpdate: web\n");
    const name = (alias: string) => pods.find((p) => p.alias === alias)?.pod;
    const terminations = simulation.timeline.flatMap((c) =>
      c.change.type === "pod" && c.change.action.type === "terminate" && "pod" in c.change.target
        ? [{ at: c.at, pod: c.change.target.pod, grace: c.change.action.graceMs }]
        : [],
    );
    expect(terminations).toEqual([
      { at: 30_500, pod: name("web#2"), grace: 20_000 },
      { at: 41_000, pod: name("web#1"), grace: 20_000 },
      { at: 51_500, pod: name("web#0"), grace: 20_000 },
    ]);
    const puts = podPuts(simulation.timeline);
    expect(puts.map((p) => p.at)).toEqual([20_500, 31_000, 41_500]);
    const hashes = new Set(
      puts.map((p) => (meta(p.object).labels as Record<string, string>)["pod-template-hash"]),
    );
    expect(hashes.size).toBe(1);
    expect(pods.map((p) => p.alias)).toEqual(["web#0", "web#1", "web#2", "web#3", "web#4", "web#5"]);
  });

  it("drains a node: cordons it, terminates its pods, and places replacements elsewhere", () => {
    const { simulation } = compile("  - at: 10s\n    drainNode: node-1\n");
    const node = changesOf(simulation.timeline, "put").find(
      (c) => c.change.type === "put" && c.change.kind === "Node",
    );
    expect(node?.change.type === "put" && node.change.object.spec).toMatchObject({ unschedulable: true });
    expect(simulation.timeline).toContainEqual({
      at: 10_000,
      change: { type: "pod", target: { onNode: "node-1" }, action: { type: "terminate", graceMs: 30_000 } },
    });
    const [replacement] = podPuts(simulation.timeline);
    expect(replacement?.object.spec).not.toMatchObject({ nodeName: "node-1" });
    expect(replacement?.object.spec).toHaveProperty("nodeName");
  });

  it("brings back every pod the static model holds Ready after a leaderOf flap goes down", () => {
    const { simulation } = compile("  - at: 10s\n    flap: { leaderOf: web, times: 1, every: 2s }\n");
    expect(simulation.timeline[0]?.change).toEqual({
      type: "pod",
      target: { leaderOf: "default/web" },
      action: { type: "setReady", ready: false },
    });
    const ups = simulation.timeline.filter(
      (c) => c.at === 12_000 && c.change.type === "pod" && c.change.action.type === "setReady",
    );
    expect(ups).toHaveLength(3);
  });

  it("restores writes after an apiFailures window and maps latency faults", () => {
    const { simulation } = compile(
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

  it("replaces {{web#n}} in annotations with the generated pod name", () => {
    const { simulation, pods } = compile(
      '  - at: 5s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web#2}}" } }\n',
    );
    const put = changesOf(simulation.timeline, "put")[0]?.change;
    const annotations = put?.type === "put" ? meta(put.object).annotations : undefined;
    expect(annotations).toEqual({
      "zen-lead.io/enabled": "true",
      "zen-lead.io/preferred-leader": pods[2]?.pod.split("/")[1],
    });
  });

  it("models a port-less Service as headless, and a dual-stack Service with pods of both families", () => {
    const headless = compileScenario(
      parseScenario(
        "name: h\nservices:\n  - { name: pool, selector: { app: pool }, clusterIP: None }\n",
        "h.yaml",
      ),
    );
    const svc = headless.initial.find((o) => o.kind === "Service")?.object;
    expect(svc?.spec).toMatchObject({ clusterIP: "None", clusterIPs: ["None"] });
    expect(svc?.spec).not.toHaveProperty("ports");
    const dual = compile("", "").simulation;
    expect(dual.initial.find((o) => o.kind === "Pod")?.object.status).toMatchObject({
      podIPs: [{ ip: "10.244.0.2" }],
    });
    const twoFamilies = compileScenario(
      parseScenario(
        `${CLUSTER.replace("ports: [{ name: http, port: 80, targetPort: http }]", "ports: [{ name: http, port: 80, targetPort: http }]\n    ipFamilies: [IPv4, IPv6]")}`,
        "d.yaml",
      ),
    );
    const pod = twoFamilies.initial.find((o) => o.kind === "Pod")?.object;
    expect(pod?.status).toHaveProperty("podIPs", [{ ip: "10.244.0.2" }, { ip: "fd00:10:244:0::2" }]);
  });

  it("runs until `until` when given", () => {
    const s = parseScenario(`${CLUSTER}until: 5m\n`, "u.yaml");
    expect(compileScenario(s).endAt).toBe(300_000);
  });
});
