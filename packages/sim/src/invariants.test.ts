/**
 * The invariants find zen-lead's objects in the API by the core's ownership rule (docs/semantics.md,
 * "Ownership is identity"): labels and controller reference by uid, or — at a name the source
 * wants — the controller reference by uid alone, whatever the labels.
 */
import { serviceJson, sliceJson } from "@zen-lead/core/testing";
import { describe, expect, it } from "vitest";
import { ApiModel } from "./api-model.ts";
import { ownedInApi, publishedLeaders } from "./invariants.ts";
import { type ApiObject, DEFAULT_API_BEHAVIOUR } from "./model.ts";
import { checkExpectations, parseScenario, runScenario } from "./scenario/index.ts";

const WEB_UID = "uid-svc-default-web";
const controlledBy = (uid: string) => [
  { apiVersion: "v1", kind: "Service", name: "web", uid, controller: true },
];

/** The object with no labels at all (someone ran `kubectl label` on each of zen-lead's). */
function unlabelled(json: Record<string, unknown>): Record<string, unknown> {
  const metadata = json.metadata as Record<string, unknown>;
  return { ...json, metadata: { ...metadata, labels: {} } };
}

function modelOf(objects: readonly ["Service" | "EndpointSlice", Record<string, unknown>][]): ApiModel {
  const model = new ApiModel(1, DEFAULT_API_BEHAVIOUR);
  for (const [kind, json] of objects) model.put(kind, json as ApiObject, 0);
  return model;
}

const endpoint = {
  addresses: ["10.0.0.1"],
  conditions: { ready: true, serving: true, terminating: false },
  targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "uid-default-web-0" },
};

describe("ownedInApi", () => {
  it("counts zen-lead's leader Service and slice with their labels removed, at the names the source wants", () => {
    const model = modelOf([
      ["Service", serviceJson("web")],
      [
        "Service",
        unlabelled(serviceJson("web-leader", { annotations: {}, ownerReferences: controlledBy(WEB_UID) })),
      ],
      ["EndpointSlice", unlabelled(sliceJson("web-leader-ipv4", { endpoints: [endpoint] }))],
    ]);
    const owned = ownedInApi(model).get("default/web") ?? [];
    expect(owned.map((o) => `${o.kind} ${o.name}`).sort()).toEqual([
      "EndpointSlice web-leader-ipv4",
      "Service web-leader",
    ]);
    // The leader it publishes is found there too (what `crashLeader` and a restart's check read).
    expect(publishedLeaders(model).get("default/web")).toEqual({
      podName: "web-0",
      podUid: "uid-default-web-0",
    });
  });

  it("does not count an object the core does not own: another uid, or a name the source does not want", () => {
    const model = modelOf([
      ["Service", serviceJson("web")],
      // An earlier Service web's leader objects (another uid), with and without zen-lead's labels.
      [
        "Service",
        serviceJson("web-leader", {
          annotations: {},
          labels: { "app.kubernetes.io/managed-by": "zen-lead", "zen-lead.io/source-service": "web" },
          ownerReferences: controlledBy("uid-earlier"),
        }),
      ],
      [
        "EndpointSlice",
        unlabelled(sliceJson("web-leader-ipv4", { owner: { name: "web", uid: "uid-earlier" } })),
      ],
      // Controlled by web by uid, without labels, at a name web does not want (the built-in controller's).
      ["EndpointSlice", unlabelled(sliceJson("web-x7k2p"))],
    ]);
    expect(ownedInApi(model).get("default/web")).toBeUndefined();
  });

  it("keeps counting objects labelled for a source the API no longer has (nothing else removes them)", () => {
    const model = modelOf([
      [
        "EndpointSlice",
        sliceJson("gone-leader-ipv4", { source: "gone", owner: { name: "gone", uid: "uid-gone" } }),
      ],
    ]);
    expect(
      ownedInApi(model)
        .get("default/gone")
        ?.map((o) => o.name),
    ).toEqual(["gone-leader-ipv4"]);
  });
});

describe("the stripLabels fault", () => {
  it("hits zen-lead's objects without their labels too: a crash then still finds the leader", () => {
    // Writes fail from 19s to 30s, so the labels stripped at 20s stay off until the retries.
    const scenario = parseScenario(
      `
name: crash-while-unlabelled
deployments: [{ name: web, replicas: 3, readyAfter: 10s }]
services:
  - { name: web, annotations: { zen-lead.io/enabled: "true" }, selector: { app: web }, ports: [{ port: 80 }] }
timeline:
  - { at: 19s, apiFailures: { rate: 1, for: 11s } }
  - { at: 20s, stripLabels: web }
  - { at: 25s, crashLeader: web }
expect:
  noViolations: true
  leaderAt: [{ at: 24s, service: web, pod: "web#0" }, { at: 45s, service: web, pod: "web#1" }]
`,
      "crash-while-unlabelled.yaml",
    );
    const run = runScenario(scenario);
    expect(checkExpectations(scenario, run.report, run.pods)).toEqual({ invalid: [], unmet: [] });
    expect(run.report.violations).toEqual([]);
    // The labels were put back: the same objects updated (not created again) once writes succeed.
    const repairs = run.report.writes.filter((w) => w.at >= 30_000 && w.status < 300);
    expect(repairs.map((w) => `${w.verb} ${w.kind}`).sort()).toEqual([
      "update EndpointSlice",
      "update Service",
    ]);
  });

  it("a restart while the labels are off keeps the healthy leader (read back from the unlabelled objects)", () => {
    // web#1 leads (web#0 was NotReady a while; sticky); writes fail from 19s, so the labels stripped
    // at 20s are still off when the controller restarts at 25s. A fresh election would pick web#0.
    const scenario = parseScenario(
      `
name: restart-while-unlabelled
deployments: [{ name: web, replicas: 3, readyAfter: 10s }]
services:
  - { name: web, annotations: { zen-lead.io/enabled: "true" }, selector: { app: web }, ports: [{ port: 80 }] }
timeline:
  - { at: 5s, readiness: { pod: "web#0", ready: false } }
  - { at: 10s, readiness: { pod: "web#0", ready: true } }
  - { at: 19s, apiFailures: { rate: 1, for: 20s } }
  - { at: 20s, stripLabels: web }
  - { at: 25s, restartController: true }
expect:
  noViolations: true
  leaderAt: [{ at: 24s, service: web, pod: "web#1" }, { at: 60s, service: web, pod: "web#1" }]
`,
      "restart-while-unlabelled.yaml",
    );
    const run = runScenario(scenario);
    expect(run.report.violations).toEqual([]);
    expect(checkExpectations(scenario, run.report, run.pods)).toEqual({ invalid: [], unmet: [] });
    expect(run.report.stats.leaderChanges).toBe(2); // the first election and web#0 -> web#1; none at the restart
  });
});

describe("the restart-keeps-healthy-leader invariant", () => {
  it("a restart as the preferred leader is switched moves the leader to the preferred pod, which is no violation", () => {
    // The annotation lands at the instant of the restart: the old process never sees it, the new
    // one lists it. The preferred pod leads whenever it is a candidate, restart or not (random
    // scenarios, fast-check seed 388912867).
    const scenario = parseScenario(
      `
name: restart-as-preferred-switches
deployments: [{ name: web, replicas: 2 }]
services:
  - { name: web, annotations: { zen-lead.io/enabled: "true" }, selector: { app: web }, ports: [{ port: 80 }] }
timeline:
  - { at: 1s, annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web#1}}" } } }
  - { at: 1s, restartController: true }
expect:
  leaderAt: [{ at: 500ms, service: web, pod: "web#0" }, { at: 2s, service: web, pod: "web#1" }]
`,
      "restart-as-preferred-switches.yaml",
    );
    const run = runScenario(scenario);
    expect(checkExpectations(scenario, run.report, run.pods)).toEqual({ invalid: [], unmet: [] });
    expect(run.report.violations).toEqual([]);
    const web = run.report.services.find((s) => s.service === "default/web");
    expect(web?.leaderChanges.map((c) => c.cause)).toEqual(["Elected", "PreferredLeader"]);
  });

  it("a restart as a better-ranked pod's min-ready ends (sticky off) hands it the lead, which is no violation", () => {
    // web#0 flaps; web#1 leads from 7s; web#0, Ready again at 6s, is eligible at 9s (min-ready 3s),
    // and with stickiness off takes over then — restart or not (random scenarios, seed -559739391).
    const scenario = parseScenario(
      `
name: restart-as-better-candidate-eligible
deployments: [{ name: web, replicas: 2, terminationGrace: 0s }]
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true", zen-lead.io/sticky: "false", zen-lead.io/min-ready-duration: 3s }
    selector: { app: web }
    ports: [{ port: 80 }]
timeline:
  - { at: 1s, flap: { leaderOf: web, times: 3, every: 1002ms } }
  - { at: 9010ms, restartController: true }
expect:
  leaderAt: [{ at: 9s, service: web, pod: "web#1" }, { at: 10s, service: web, pod: "web#0" }]
`,
      "restart-as-better-candidate-eligible.yaml",
    );
    const run = runScenario(scenario);
    expect(checkExpectations(scenario, run.report, run.pods)).toEqual({ invalid: [], unmet: [] });
    expect(run.report.violations).toEqual([]);
    const web = run.report.services.find((s) => s.service === "default/web");
    expect(web?.leaderChanges.at(-1)).toMatchObject({ at: 9_010, cause: "BetterCandidate" });
  });
});
