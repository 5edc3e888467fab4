/**
 * The contract of docs/semantics.md, rule by rule, through the public fold (`advance`) with the
 * API server's echo of zen-lead's own writes played by the harness.
 */
import { describe, expect, it } from "vitest";
import type { Action, ApplyAction, EventAction } from "./actions.ts";
import { decodePod } from "./decode.ts";
import type { DesiredService, DesiredSlice } from "./desired.ts";
import { nodeJson, podJson, serviceJson } from "./testing/fixtures.ts";
import { harness, writesOf } from "./testing/harness.ts";

const applies = (actions: readonly Action[]) => actions.filter((a): a is ApplyAction => a.type === "apply");
const events = (actions: readonly Action[]) => actions.filter((a): a is EventAction => a.type === "event");
const sliceOf = (actions: readonly Action[], name = "web-leader-ipv4") =>
  applies(actions).find((a) => a.kind === "EndpointSlice" && a.name === name)?.desired as
    | DesiredSlice
    | undefined;
const leaderServiceOf = (actions: readonly Action[], name = "web-leader") =>
  applies(actions).find((a) => a.kind === "Service" && a.name === name)?.desired as
    | DesiredService
    | undefined;
const serviceManifest = (actions: readonly Action[]) =>
  applies(actions).find((a) => a.kind === "Service")?.manifest as
    | { metadata: Record<string, unknown>; spec: Record<string, unknown> }
    | undefined;
const endpointPod = (actions: readonly Action[], name?: string) =>
  sliceOf(actions, name)?.endpoints[0]?.podName;

/** A synced cluster with the Service `web` and the given pods; its writes already echoed. */
function cluster(pods: [string, Parameters<typeof podJson>[1]?][], svc = serviceJson("web")) {
  const h = harness();
  h.at(100);
  for (const [name, spec] of pods) h.upsert("Pod", podJson(name, spec));
  h.upsert("Service", svc);
  const first = h.sync();
  h.settle(first);
  return { h, first };
}

describe("opt-in", () => {
  it("creates the leader Service and its slice for an annotated Service with a selector", () => {
    const { first } = cluster([["web-0", { created: 1 }]]);
    expect(leaderServiceOf(first)?.name).toBe("web-leader");
    expect(endpointPod(first)).toBe("web-0");
    expect(applies(first).every((a) => a.create)).toBe(true);
  });

  it.each([
    ["no annotation", {}],
    ['"false"', { "zen-lead.io/enabled": "false" }],
  ])("does nothing for a Service with %s", (_, annotations) => {
    const { first } = cluster([["web-0", {}]], serviceJson("web", { annotations }));
    expect(first).toEqual([]);
  });

  it('warns when the annotation is neither "true" nor "false", and writes nothing', () => {
    const { first } = cluster(
      [["web-0", {}]],
      serviceJson("web", { annotations: { "zen-lead.io/enabled": "yes" } }),
    );
    expect(writesOf(first)).toEqual([]);
    expect(events(first).map((e) => e.reason)).toEqual(["InvalidAnnotation"]);
  });

  it("warns about a selector-less source and writes nothing", () => {
    const { first } = cluster([["web-0", {}]], serviceJson("web", { selector: null }));
    expect(writesOf(first)).toEqual([]);
    expect(events(first).map((e) => [e.eventType, e.reason])).toEqual([["Warning", "NoSelector"]]);
  });

  it("warns about an ExternalName source and writes nothing", () => {
    const { first } = cluster([["web-0", {}]], serviceJson("web", { type: "ExternalName" }));
    expect(writesOf(first)).toEqual([]);
    expect(events(first).map((e) => e.reason)).toEqual(["ExternalNameSource"]);
  });

  it("decides and writes nothing before the initial lists are in", () => {
    const h = harness();
    expect(h.upsert("Pod", podJson("web-0"))).toEqual([]);
    expect(h.upsert("Service", serviceJson("web"))).toEqual([]);
    expect(h.send({ type: "synced", kind: "Service" })).toEqual([]);
    expect(h.send({ type: "synced", kind: "Pod" })).toEqual([]);
    expect(h.send({ type: "synced", kind: "EndpointSlice" })).toEqual([]);
    expect(writesOf(h.send({ type: "synced", kind: "Node" }))).toHaveLength(2);
  });
});

describe("leader Service name", () => {
  it("uses zen-lead.io/leader-service-name when it is a DNS-1035 label", () => {
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/leader-service-name": "primary" },
    });
    const { first } = cluster([["web-0", {}]], svc);
    expect(leaderServiceOf(first, "primary")).toBeDefined();
    expect(sliceOf(first, "primary-ipv4")?.labels["kubernetes.io/service-name"]).toBe("primary");
  });

  it("warns about an invalid name and uses the default", () => {
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/leader-service-name": "Bad_Name" },
    });
    const { first } = cluster([["web-0", {}]], svc);
    expect(leaderServiceOf(first, "web-leader")).toBeDefined();
    expect(events(first).map((e) => e.reason)).toContain("InvalidAnnotation");
  });

  it("shortens a derived name over 63 characters deterministically, with a hash suffix", () => {
    const long = `a${"b".repeat(61)}`; // 62 characters: "-leader" overflows
    const { first } = cluster([["web-0", {}]], serviceJson(long));
    const name = applies(first).find((a) => a.kind === "Service")?.name ?? "";
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^ab+-[0-9a-f]{8}-leader$/);
    const again = cluster([["web-0", {}]], serviceJson(long)).first;
    expect(applies(again).find((a) => a.kind === "Service")?.name).toBe(name);
    const other = cluster([["web-0", {}]], serviceJson(`${long.slice(0, 61)}c`)).first;
    expect(applies(other).find((a) => a.kind === "Service")?.name).not.toBe(name);
  });
});

describe("candidates", () => {
  it.each([
    ["not Running", { phase: "Pending" }],
    ["not Ready", { ready: false }],
    ["without an IP", { ips: [] }],
    ["terminating", { deleting: 50 }],
  ])("never chooses a pod %s", (_, spec) => {
    const { first } = cluster([
      ["web-0", { created: 1, ...spec }],
      ["web-1", { created: 2 }],
    ]);
    expect(endpointPod(first)).toBe("web-1");
  });

  it("publishes zero endpoints with NoReadyPods when no pod qualifies", () => {
    const { first } = cluster([["web-0", { ready: false }]]);
    expect(sliceOf(first)?.endpoints).toEqual([]);
    expect(events(first).map((e) => e.reason)).toContain("NoReadyPods");
  });

  it("only considers pods of the Service's namespace that match its selector", () => {
    const { first } = cluster([
      ["other-ns", { created: 1, namespace: "other" }],
      ["other-app", { created: 2, labels: { app: "api" } }],
      ["web-9", { created: 3 }],
    ]);
    expect(endpointPod(first)).toBe("web-9");
  });
});

describe("choosing a new leader", () => {
  it("takes the earliest created candidate, then the lexically first name", () => {
    const { first } = cluster([
      ["web-c", { created: 5 }],
      ["web-b", { created: 3 }],
      ["web-a", { created: 3 }],
    ]);
    expect(endpointPod(first)).toBe("web-a");
    expect(first.find((a) => a.type === "event" && a.reason === "LeaderChanged")).toMatchObject({
      leaderChange: { to: "web-a", cause: "Elected" },
    });
  });

  it("is sticky: an older pod becoming ready later does not take over", () => {
    const { h } = cluster([
      ["web-old", { created: 1, ready: false }],
      ["web-new", { created: 9 }],
    ]);
    expect(writesOf(h.upsert("Pod", podJson("web-old", { created: 1, readySince: 50 })))).toEqual([]);
    expect(h.decision("default/web")?.leader?.podName).toBe("web-new");
  });

  it('with zen-lead.io/sticky: "false", moves to the better-ranked candidate', () => {
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/sticky": "false" },
    });
    const { h } = cluster(
      [
        ["web-old", { created: 1, ready: false }],
        ["web-new", { created: 9 }],
      ],
      svc,
    );
    const moved = h.upsert("Pod", podJson("web-old", { created: 1, readySince: 50 }));
    expect(endpointPod(moved)).toBe("web-old");
    expect(h.decision("default/web")?.leader?.reason).toBe("BetterCandidate");
  });

  it("with min-ready-duration, waits for a pod to be Ready that long, with a timer and a reason", () => {
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/min-ready-duration": "30s" },
    });
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 90, readySince: 95 }));
    h.upsert("Service", svc);
    const first = h.sync();
    expect(sliceOf(first)?.endpoints).toEqual([]);
    expect(events(first).map((e) => e.reason)).toContain("MinReadyNotMet");
    expect(first).toContainEqual({ type: "wake", source: "default/web", at: 125_000 });
    h.settle(first);
    expect(writesOf(h.at(124))).toEqual([]);
    expect(endpointPod(h.at(125))).toBe("web-0");
  });

  it("min-ready applies to new choices, not to the sitting leader", () => {
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/min-ready-duration": "1m" },
    });
    const { h } = cluster([["web-0", { created: 1 }]], svc);
    h.upsert("Pod", podJson("web-1", { created: 99, readySince: 99 }));
    expect(h.decision("default/web")?.leader?.podName).toBe("web-0");
  });

  it("gives leadership to the preferred pod whenever it is a candidate", () => {
    const pref = (name: string) =>
      serviceJson("web", {
        annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/preferred-leader": name },
      });
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
    ]);
    expect(endpointPod(h.upsert("Service", pref("web-1")))).toBe("web-1");
    expect(h.decision("default/web")?.leader?.reason).toBe("PreferredLeader");
    // Not a candidate: a warning, and the sitting leader stays.
    h.upsert("Pod", podJson("web-1", { created: 2, ready: false }));
    expect(h.decision("default/web")?.leader?.podName).toBe("web-0");
    const warned = h.upsert("Service", pref("web-9"));
    expect(events(warned).map((e) => e.reason)).toContain("PreferredLeaderNotCandidate");
  });
});

describe("replacing the leader in the same step", () => {
  const start = () =>
    cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]).h;
  it.each([
    ["gets a deletionTimestamp", "LeaderTerminating", podJson("web-0", { created: 1, deleting: 200 })],
    ["turns NotReady", "LeaderNotReady", podJson("web-0", { created: 1, ready: false })],
    ["stops Running", "LeaderNotRunning", podJson("web-0", { created: 1, phase: "Failed" })],
    ["loses its IP", "LeaderLostIP", podJson("web-0", { created: 1, ips: [] })],
    [
      "stops matching the selector",
      "LeaderNoLongerSelected",
      podJson("web-0", { created: 1, labels: { app: "x" } }),
    ],
  ])("when it %s", (_, cause, update) => {
    const h = start();
    const actions = h.upsert("Pod", update);
    expect(sliceOf(actions)?.endpoints[0]).toMatchObject({ podName: "web-1", addresses: ["10.0.0.2"] });
    expect(writesOf(actions)[0]?.kind).toBe("EndpointSlice");
    expect(events(actions)[0]).toMatchObject({
      reason: "LeaderChanged",
      leaderChange: { from: "web-0", to: "web-1", cause },
    });
  });

  it("when it disappears", () => {
    const h = start();
    const actions = h.remove("Pod", "default", "web-0");
    expect(endpointPod(actions)).toBe("web-1");
    expect(h.decision("default/web")?.leader?.reason).toBe("LeaderDeleted");
  });
});

describe("after a controller restart", () => {
  it("reads the leader back from its slice: no move, no write", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    h.settle(
      h.upsert(
        "Service",
        serviceJson("web", {
          annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/preferred-leader": "web-1" },
        }),
      ),
    );
    h.settle(h.upsert("Service", serviceJson("web")));
    expect(h.decision("default/web")?.leader?.podName).toBe("web-1");

    // A new controller: the same cluster, listed from scratch.
    const fresh = harness();
    fresh.at(500);
    for (const o of h.objects()) fresh.upsert(o.kind, o.raw);
    const actions = fresh.sync();
    expect(writesOf(actions)).toEqual([]);
    expect(fresh.decision("default/web")?.leader).toMatchObject({
      podName: "web-1",
      reason: "Restored",
      since: 100_000,
    });
  });

  it("replaces a restored leader that died while zen-lead was down", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    const fresh = harness();
    fresh.at(500);
    for (const o of h.objects()) fresh.upsert(o.kind, o.raw);
    fresh.upsert("Pod", podJson("web-0", { created: 1, deleting: 400 }));
    const actions = fresh.sync();
    expect(endpointPod(actions)).toBe("web-1");
    expect(events(actions)[0]).toMatchObject({
      leaderChange: { from: "web-0", to: "web-1", cause: "LeaderTerminating" },
    });
  });
});

describe("the leader EndpointSlice", () => {
  it("has the service-name and unique managed-by labels and exactly one explicit endpoint", () => {
    const h = harness();
    h.at(100);
    h.upsert("Node", nodeJson("node-a", "zone-1"));
    h.upsert("Pod", podJson("web-0", { created: 1, node: "node-a" }));
    h.upsert("Service", serviceJson("web"));
    const slice = sliceOf(h.sync());
    expect(slice?.labels).toMatchObject({
      "kubernetes.io/service-name": "web-leader",
      "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
    });
    expect(slice?.addressType).toBe("IPv4");
    expect(slice?.endpoints).toEqual([
      {
        addresses: ["10.0.0.1"],
        ready: true,
        serving: true,
        terminating: false,
        podName: "web-0",
        podUid: "uid-default-web-0",
        nodeName: "node-a",
        zone: "zone-1",
      },
    ]);
  });

  it("writes the conditions and targetRef explicitly in the manifest", () => {
    const { first } = cluster([["web-0", {}]]);
    const manifest = applies(first).find((a) => a.kind === "EndpointSlice")?.manifest as {
      endpoints: Record<string, unknown>[];
    };
    expect(manifest.endpoints[0]).toMatchObject({
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "uid-default-web-0" },
    });
  });

  it("has one slice per IP family of a dual-stack Service", () => {
    const svc = serviceJson("web", { ipFamilies: ["IPv4", "IPv6"] });
    const { first } = cluster([["web-0", { ips: ["10.0.0.1", "fd00::1"] }]], svc);
    expect(sliceOf(first, "web-leader-ipv4")?.endpoints[0]?.addresses).toEqual(["10.0.0.1"]);
    expect(sliceOf(first, "web-leader-ipv6")).toMatchObject({
      addressType: "IPv6",
      endpoints: [{ addresses: ["fd00::1"] }],
    });
  });

  it("never changes addressType in place: a family change replaces the slice", () => {
    const { h } = cluster([["web-0", { ips: ["10.0.0.1", "fd00::1"] }]]);
    const actions = h.upsert("Service", serviceJson("web", { ipFamilies: ["IPv6"] }));
    expect(writesOf(actions).map((a) => [a.type, a.name])).toEqual([
      ["apply", "web-leader-ipv6"],
      ["apply", "web-leader"],
      ["delete", "web-leader-ipv4"],
    ]);
    expect(applies(actions).find((a) => a.name === "web-leader-ipv6")?.create).toBe(true);
  });
});

describe("ports", () => {
  it("mirror the source's name, protocol and appProtocol; a named targetPort resolves on the leader", () => {
    const svc = serviceJson("web", {
      ports: [
        { name: "http", protocol: "TCP", appProtocol: "http", port: 80, targetPort: "web" },
        { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
      ],
    });
    const { first } = cluster([["web-0", { containerPorts: [{ name: "web", containerPort: 8081 }] }]], svc);
    expect(sliceOf(first)?.ports).toEqual([
      { name: "http", protocol: "TCP", appProtocol: "http", port: 8081 },
      { name: "dns", protocol: "UDP", port: 5353 },
    ]);
    expect(leaderServiceOf(first)?.ports.map((p) => p.name)).toEqual(["http", "dns"]);
  });

  it("fail closed when a named targetPort does not resolve: no endpoint, NamedPortUnresolved", () => {
    const svc = serviceJson("web", {
      ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "web" }],
    });
    const { first } = cluster(
      [["web-0", { containerPorts: [{ name: "metrics", containerPort: 9090 }] }]],
      svc,
    );
    expect(sliceOf(first)?.endpoints).toEqual([]);
    expect(events(first).map((e) => e.reason)).toContain("NamedPortUnresolved");
  });
});

describe("the leader Service", () => {
  it("is selector-less ClusterIP with zen-lead's labels, an ownerReference and the leader annotations", () => {
    const { first } = cluster([["web-0", { created: 1 }]]);
    const manifest = applies(first).find((a) => a.kind === "Service")?.manifest as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    expect(manifest.metadata).toMatchObject({
      labels: { "app.kubernetes.io/managed-by": "zen-lead", "zen-lead.io/source-service": "web" },
      annotations: {
        "zen-lead.io/leader-pod": "web-0",
        "zen-lead.io/leader-pod-uid": "uid-default-web-0",
        "zen-lead.io/leader-since": "1970-01-01T00:01:40Z",
      },
      ownerReferences: [
        { apiVersion: "v1", kind: "Service", name: "web", uid: "uid-svc-default-web", controller: true },
      ],
    });
    expect(manifest.spec.selector).toBeUndefined();
    expect(manifest.spec.type).toBe("ClusterIP");
  });

  it("is headless when the source is", () => {
    const { first } = cluster([["web-0", {}]], serviceJson("web", { clusterIP: "None" }));
    expect(serviceManifest(first)?.spec.clusterIP).toBe("None");
  });

  it("copies no nodePort from a NodePort source", () => {
    const svc = serviceJson("web", {
      type: "NodePort",
      ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080, nodePort: 30080 }],
    });
    const { first } = cluster([["web-0", {}]], svc);
    const spec = serviceManifest(first)?.spec;
    expect(spec?.type).toBe("ClusterIP");
    expect(JSON.stringify(spec)).not.toContain("nodePort");
  });
});

describe("ownership", () => {
  it("leaves a foreign Service with the leader name untouched, with a NameCollision warning", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Service", serviceJson("web-leader", { annotations: {}, selector: { app: "other" } }));
    h.upsert("Service", serviceJson("web"));
    const actions = h.sync();
    expect(writesOf(actions)).toEqual([]);
    expect(events(actions).map((e) => e.reason)).toEqual(["NameCollision"]);
  });

  it("takes over once the foreign Service is gone", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Service", serviceJson("web-leader", { annotations: {} }));
    h.upsert("Service", serviceJson("web"));
    h.sync();
    expect(writesOf(h.remove("Service", "default", "web-leader"))).toHaveLength(2);
  });

  it("lets the lexically first of two sources keep a leader name both want", () => {
    const named = (name: string) =>
      serviceJson(name, {
        annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/leader-service-name": "shared" },
      });
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Service", named("b"));
    h.upsert("Service", named("a"));
    const actions = h.sync();
    expect(new Set(writesOf(actions).map((a) => a.source))).toEqual(new Set(["default/a"]));
    expect(events(actions).find((e) => e.reason === "NameCollision")?.source.name).toBe("b");
  });

  it("updates its own objects only with a uid precondition", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
    ]);
    const actions = h.remove("Pod", "default", "web-0");
    for (const a of applies(actions)) expect(a.expectedUid).toMatch(/^uid-owned-/);
  });
});

describe("cleaning up", () => {
  it("deletes the owned objects when the Service opts out", () => {
    const { h } = cluster([["web-0", {}]]);
    const actions = h.upsert("Service", serviceJson("web", { annotations: {} }));
    expect(writesOf(actions).map((a) => [a.type, a.kind, a.name])).toEqual([
      ["delete", "EndpointSlice", "web-leader-ipv4"],
      ["delete", "Service", "web-leader"],
    ]);
    for (const a of writesOf(actions)) expect(a.type === "delete" && a.uid).toMatch(/^uid-owned-/);
  });

  it("deletes the owned objects when the source Service is deleted", () => {
    const { h } = cluster([["web-0", {}]]);
    const actions = h.remove("Service", "default", "web");
    expect(writesOf(actions).map((a) => a.type)).toEqual(["delete", "delete"]);
  });

  it("deletes the old objects when the leader name changes, after creating the new ones", () => {
    const { h } = cluster([["web-0", {}]]);
    const svc = serviceJson("web", {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/leader-service-name": "primary" },
    });
    const actions = h.upsert("Service", svc);
    expect(writesOf(actions).map((a) => [a.type, a.name])).toEqual([
      ["apply", "primary-ipv4"],
      ["apply", "primary"],
      ["delete", "web-leader-ipv4"],
      ["delete", "web-leader"],
    ]);
  });
});

describe("writes", () => {
  it("are none once the cluster matches, and none while non-leader pods flap", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
    ]);
    expect(writesOf(h.upsert("Pod", podJson("web-1", { created: 2, ready: false })))).toEqual([]);
    expect(writesOf(h.upsert("Pod", podJson("web-1", { created: 2, readySince: 300 })))).toEqual([]);
  });

  it("are not asked for twice while the first is in flight", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
      ["web-2", { created: 3 }],
    ]);
    const failover = h.upsert("Pod", podJson("web-0", { created: 1, ready: false }));
    expect(writesOf(failover)).toHaveLength(2);
    // Before the echo: an unrelated change of the same Service's pods asks for nothing again.
    expect(writesOf(h.upsert("Pod", podJson("web-2", { created: 3, ready: false })))).toEqual([]);
    expect(writesOf(h.echo(failover))).toEqual([]);
  });

  it("correct drift of an owned object", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const drifted = h.objects().find((o) => o.kind === "EndpointSlice");
    const raw = JSON.parse(JSON.stringify(drifted?.raw)) as { endpoints: unknown[] };
    raw.endpoints = [];
    const actions = h.upsert("EndpointSlice", raw);
    expect(endpointPod(actions)).toBe("web-0");
  });
});

describe("bad input", () => {
  it("records a malformed Service with a one-line reason and keeps reconciling the others", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Pod", podJson("api-0", { labels: { app: "api" } }));
    h.upsert("Service", serviceJson("api", { selector: { app: "api" } }));
    const bad = serviceJson("web", { ports: [{ name: "http", port: "eighty" }] });
    h.upsert("Service", bad);
    const actions = h.sync();
    expect(new Set(writesOf(actions).map((a) => a.source))).toEqual(new Set(["default/api"]));
    const warning = events(actions).find((e) => e.reason === "DecodeFailed");
    expect(warning?.source.name).toBe("web");
    expect(warning?.note).toBe(
      'Service could not be read: spec.ports.0.port: expected port (1-65535), got "eighty"',
    );
  });

  it("freezes a source that turns malformed: no writes, no deletes", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const actions = h.upsert("Service", serviceJson("web", { type: "Weird" }));
    expect(writesOf(actions)).toEqual([]);
    expect(events(actions).map((e) => e.reason)).toEqual(["DecodeFailed"]);
  });

  it("drops a malformed pod from the candidates and reports it in one line", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
    ]);
    const broken = podJson("web-0", { created: 1 }) as { status: Record<string, unknown> };
    broken.status = { ...broken.status, conditions: "ready" };
    const actions = h.upsert("Pod", broken);
    expect(endpointPod(actions)).toBe("web-1");
    expect(actions.find((a) => a.type === "report")).toMatchObject({
      object: "Pod default/web-0",
      message: expect.stringMatching(/^status\.conditions: expected /),
    });
  });
});

describe("relists", () => {
  it("replace everything of a kind at once: a pod deleted while disconnected is gone", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2 }],
    ]);
    const actions = h.send({
      type: "resync",
      kind: "Pod",
      objects: [decodePod(podJson("web-1", { created: 2 }))],
    });
    expect(endpointPod(actions)).toBe("web-1");
    expect(h.decision("default/web")?.leader?.reason).toBe("LeaderDeleted");
  });
});

describe("regressions found by the property tests", () => {
  it("redoes as an update a create that was refused because the first one landed", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Pod", podJson("web-1", { created: 2, ips: ["10.0.0.2"] }));
    h.upsert("Service", serviceJson("web"));
    const first = h.sync();
    h.upsert("Pod", podJson("web-0", { created: 1, ready: false })); // second creates: the API refuses them
    expect(endpointPod(h.echo(first))).toBe("web-1");
  });

  it("asks again for a write never seen applied, once 30 s pass", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", serviceJson("web"));
    const lost = h.sync();
    expect(lost).toContainEqual({ type: "wake", source: "default/web", at: 130_000 });
    expect(writesOf(h.at(129))).toEqual([]);
    expect(writesOf(h.at(131))).toHaveLength(2);
  });

  it("does not read a dropped leader back from its own stale slice", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Pod", podJson("web-1", { created: 2, ready: false, ips: ["10.0.0.2"] }));
    h.upsert("Service", serviceJson("web"));
    h.settle(h.sync());
    h.upsert("Pod", podJson("web-0", { created: 1, ready: false }));
    const again = h.upsert("Pod", podJson("web-1", { created: 2, ready: false, ips: ["10.0.0.3"] }));
    expect(events(again).filter((e) => e.reason === "LeaderChanged")).toEqual([]);
  });

  it("with sticky off and min-ready, looks again when a better pod becomes eligible", () => {
    const svc = serviceJson("web", {
      annotations: {
        "zen-lead.io/enabled": "true",
        "zen-lead.io/sticky": "false",
        "zen-lead.io/min-ready-duration": "30s",
      },
    });
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-old", { created: 1, ready: false }));
    h.upsert("Pod", podJson("web-new", { created: 9 }));
    h.upsert("Service", svc);
    h.settle(h.sync());
    expect(h.upsert("Pod", podJson("web-old", { created: 1, readySince: 100 }))).toContainEqual({
      type: "wake",
      source: "default/web",
      at: 130_000,
    });
    expect(endpointPod(h.at(130))).toBe("web-old");
  });

  it("treats an unreadable Service with the leader name as a NameCollision", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert(
      "Service",
      serviceJson("web-leader", { annotations: {}, ports: [{ name: "http", port: "eighty" }] }),
    );
    h.upsert("Service", serviceJson("web"));
    const actions = h.sync();
    expect(writesOf(actions)).toEqual([]);
    expect(events(actions).map((e) => e.reason)).toContain("NameCollision");
  });

  it("keeps a leader whose slice has no endpoint across a restart (read from the leader Service)", () => {
    const svc = serviceJson("web", {
      ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "web" }],
    });
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-1", { created: 2, ips: ["10.0.0.2"] }));
    h.upsert("Service", svc);
    h.settle(h.sync());
    h.settle(h.upsert("Pod", podJson("web-0", { created: 1 })));
    const fresh = harness();
    fresh.at(500);
    for (const o of h.objects()) fresh.upsert(o.kind, o.raw);
    expect(writesOf(fresh.sync())).toEqual([]);
    expect(fresh.decision("default/web")?.leader?.podName).toBe("web-1");
  });
});
