/**
 * The contract of docs/semantics.md, rule by rule, through the public fold (`advance`) with the
 * API server's echo of zen-lead's own writes played by the harness.
 */
import { describe, expect, it } from "vitest";
import type { Action, ApplyAction, EventAction } from "./actions.ts";
import { decodePod } from "./decode.ts";
import type { DesiredService, DesiredSlice } from "./desired.ts";
import { driftOf } from "./matches.ts";
import { mapGet } from "./persistent-map.ts";
import { nodeJson, podJson, serviceJson, sliceJson } from "./testing/fixtures.ts";
import { type Harness, harness, writesOf } from "./testing/harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are edited as plain JSON
type Json = Record<string, any>;

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

/**
 * A synced cluster with the Service `web` and the given pods; its writes already echoed. `first`:
 * every action of the adoption (the leader Service is created once its slices are seen).
 */
function cluster(pods: [string, Parameters<typeof podJson>[1]?][], svc = serviceJson("web")) {
  const h = harness();
  h.at(100);
  for (const [name, spec] of pods) h.upsert("Pod", podJson(name, spec));
  h.upsert("Service", svc);
  const synced = h.sync();
  const first = [...synced, ...h.settle(synced)];
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
    // The slice first; the leader Service once the slice is seen (below).
    expect(writesOf(h.send({ type: "synced", kind: "Node" })).map((w) => w.kind)).toEqual(["EndpointSlice"]);
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
    expect(events(first).find((e) => e.reason === "MinReadyNotMet")?.note).toBe(
      "1 Ready pod(s), none Ready for 30s yet; no leader until one is",
    );
    expect(h.timer("default/web")).toBe(125_000);
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

  it.each([
    ["web-9", "web-9 is not a pod matching this Service's selector"],
    ["web-1", "web-1 is not Ready"],
    ["web-2", "web-2 is terminating"],
    ["web-3", "web-3 is in phase Pending, not Running"],
    ["web-4", "web-4 has no pod IP"],
  ])("PreferredLeaderNotCandidate says why %s cannot lead", (name, why) => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ready: false }],
      ["web-2", { created: 3, deleting: 50 }],
      ["web-3", { created: 4, phase: "Pending" }],
      ["web-4", { created: 5, ips: [] }],
    ]);
    const actions = h.upsert(
      "Service",
      serviceJson("web", {
        annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/preferred-leader": name },
      }),
    );
    expect(events(actions).map((e) => [e.reason, e.note])).toEqual([
      ["PreferredLeaderNotCandidate", `preferred leader ${why}; the usual rules choose`],
    ]);
  });
});

/** What each loss reason's Event note says happened to web-0. */
/** How the leader web-0 stops leading: the test's words, the reason, the pod's new version. */
const LEADER_LOSSES: [string, string, unknown][] = [
  ["gets a deletionTimestamp", "LeaderTerminating", podJson("web-0", { created: 1, deleting: 200 })],
  ["turns NotReady", "LeaderNotReady", podJson("web-0", { created: 1, ready: false })],
  ["stops Running", "LeaderNotRunning", podJson("web-0", { created: 1, phase: "Failed" })],
  ["loses its IP", "LeaderLostIP", podJson("web-0", { created: 1, ips: [] })],
  [
    "stops matching the selector",
    "LeaderNoLongerSelected",
    podJson("web-0", { created: 1, labels: { app: "x" } }),
  ],
];

const LOSS: Record<string, string> = {
  LeaderTerminating: "web-0 is terminating",
  LeaderNotReady: "web-0 is no longer Ready (or its pod can no longer be read)",
  LeaderNotRunning: "web-0 is no longer Running",
  LeaderLostIP: "web-0 has no pod IP",
  LeaderNoLongerSelected: "web-0 no longer matches the Service's selector",
};

describe("replacing the leader in the same step", () => {
  const start = () =>
    cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]).h;
  it.each(LEADER_LOSSES)("when it %s", (_, cause, update) => {
    const what = LOSS[cause];
    const h = start();
    const actions = h.upsert("Pod", update);
    expect(sliceOf(actions)?.endpoints[0]).toMatchObject({ podName: "web-1", addresses: ["10.0.0.2"] });
    expect(writesOf(actions)[0]?.kind).toBe("EndpointSlice");
    expect(events(actions)[0]).toMatchObject({
      reason: "LeaderChanged",
      leaderChange: { from: "web-0", to: "web-1", cause },
      note: `leader moved from web-0 to web-1: ${what} (${cause})`,
    });
  });

  // The note says what happened to the leader, whatever the reason (a user's report: "web-0 is
  // gone" for a pod that still existed, only unselected).
  it.each(LEADER_LOSSES)(
    "with no other candidate, when it %s: 'no leader' says what happened",
    (_, cause, update) => {
      const { h } = cluster([["web-0", { created: 1 }]]);
      const actions = h.upsert("Pod", update);
      expect(sliceOf(actions)?.endpoints).toEqual([]);
      expect(events(actions)[0]).toMatchObject({
        reason: "LeaderChanged",
        leaderChange: { from: "web-0", cause },
        note: `no leader: ${LOSS[cause]} (${cause})`,
      });
    },
  );

  it("NoReadyPods names every condition a candidate needs (a Ready pod that is terminating cannot lead)", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const actions = h.upsert("Pod", podJson("web-0", { created: 1, deleting: 200 }));
    expect(
      events(actions)
        .filter((e) => e.eventType === "Warning")
        .map((e) => [e.reason, e.note]),
    ).toEqual([
      ["NoReadyPods", "no pod matching the selector is Running, Ready, with an IP and not terminating"],
    ]);
  });

  it("with no other candidate, when it disappears: 'no leader: web-0 was deleted'", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const actions = h.remove("Pod", "default", "web-0");
    expect(events(actions)[0]?.note).toBe("no leader: web-0 was deleted (LeaderDeleted)");
  });

  it("sticky off, a better-ranked pod: the note says the leader was outranked", () => {
    const sticky = (value: string) =>
      serviceJson("web", { annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/sticky": value } });
    const { h } = cluster([["web-1", { created: 2 }]], sticky("false"));
    const actions = h.upsert("Pod", podJson("web-0", { created: 1, ips: ["10.0.0.9"] }));
    expect(events(actions)[0]?.note).toBe(
      "leader moved from web-1 to web-0: web-1 is outranked by a better-ranked Ready pod (sticky is off) (BetterCandidate)",
    );
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
    // The reason it was published with (zen-lead.io/leader-reason) is kept: reading back writes nothing.
    expect(fresh.decision("default/web")?.leader).toMatchObject({
      podName: "web-1",
      reason: "PreferredLeader",
      since: 100_000,
    });
  });

  it("reads the leader back from its own objects whose labels were removed: no move, the labels put back", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    // web-1 leads although web-0 is older: a fresh election would pick web-0.
    const preferred = { "zen-lead.io/enabled": "true", "zen-lead.io/preferred-leader": "web-1" };
    h.settle(h.upsert("Service", serviceJson("web", { annotations: preferred })));
    h.settle(h.upsert("Service", serviceJson("web")));
    expect(h.decision("default/web")?.leader?.podName).toBe("web-1");

    // Someone removed zen-lead's labels from its leader Service and slice; then zen-lead restarted.
    const fresh = harness();
    fresh.at(500);
    const uids = new Map<string, unknown>();
    for (const o of h.objects()) {
      const meta = (o.raw as { metadata: Json }).metadata;
      uids.set(`${o.kind}/${meta.name}`, meta.uid);
      if (typeof meta.name === "string" && meta.name.startsWith("web-leader")) meta.labels = {};
      fresh.upsert(o.kind, o.raw);
    }
    const actions = fresh.sync();
    expect(fresh.decision("default/web")?.leader).toMatchObject({
      podName: "web-1",
      reason: "PreferredLeader",
    });
    expect(events(actions)).toEqual([]);
    // Only the labels are written back, on the same objects (uid preconditions).
    const writes = writesOf(actions).map(
      (w) =>
        `${w.type} ${w.kind}/${w.name} ${w.type === "apply" && w.expectedUid === uids.get(`${w.kind}/${w.name}`)}`,
    );
    expect(writes.sort()).toEqual([
      "apply EndpointSlice/web-leader-ipv4 true",
      "apply Service/web-leader true",
    ]);
    expect(endpointPod(actions)).toBe("web-1");
    expect(leaderServiceOf(actions)?.labels["app.kubernetes.io/managed-by"]).toBe("zen-lead");
  });

  it("reads back a leader published without a reason (an older zen-lead) as Restored, and records one", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const fresh = harness();
    fresh.at(500);
    for (const o of h.objects()) {
      const meta = (o.raw as { metadata: { annotations?: Record<string, string> } }).metadata;
      if (o.kind === "Service" && meta.annotations !== undefined)
        delete meta.annotations["zen-lead.io/leader-reason"];
      fresh.upsert(o.kind, o.raw);
    }
    const actions = fresh.sync();
    expect(fresh.decision("default/web")?.leader).toMatchObject({ podName: "web-0", reason: "Restored" });
    expect(events(actions)).toEqual([]);
    expect(writesOf(actions).map((w) => `${w.kind}/${w.name}`)).toEqual(["Service/web-leader"]);
    expect(leaderServiceOf(actions)?.annotations["zen-lead.io/leader-reason"]).toBe("Restored");
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

  it("warns NoAddressOfFamily when the leader has no IP of the Service's only family: no endpoint, the leader stays", () => {
    const { h } = cluster([["web-0", { created: 1, ips: ["10.0.0.1"] }]]);
    const actions = h.upsert("Service", serviceJson("web", { ipFamilies: ["IPv6"] }));
    expect(sliceOf(actions, "web-leader-ipv6")?.endpoints).toEqual([]);
    expect(leaderServiceOf(actions)?.annotations["zen-lead.io/leader-pod"]).toBe("web-0");
    expect(events(actions).map((e) => [e.eventType, e.reason, e.note])).toEqual([
      [
        "Warning",
        "NoAddressOfFamily",
        "leader web-0 has no IPv6 address (pod IPs: 10.0.0.1), so EndpointSlice web-leader-ipv6 has no endpoint: the leader Service reaches no pod",
      ],
    ]);
    expect(h.decision("default/web")?.warnings.map((w) => w.reason)).toEqual(["NoAddressOfFamily"]);
    // The warning stands while it holds (not repeated), and goes when the pod gets an IPv6 address.
    expect(
      events(h.upsert("Pod", podJson("web-0", { created: 1, ips: ["10.0.0.1"], readySince: 5 }))),
    ).toEqual([]);
    const fixed = h.upsert("Pod", podJson("web-0", { created: 1, ips: ["10.0.0.1", "fd00::1"] }));
    expect(sliceOf(fixed, "web-leader-ipv6")?.endpoints[0]?.addresses).toEqual(["fd00::1"]);
    expect(h.decision("default/web")?.warnings).toEqual([]);
  });

  it("warns NoAddressOfFamily for the family a dual-stack Service's leader lacks; the other slice has the endpoint", () => {
    const svc = serviceJson("web", { ipFamilies: ["IPv4", "IPv6"] });
    const { first } = cluster([["web-0", { ips: ["10.0.0.1"] }]], svc);
    expect(sliceOf(first, "web-leader-ipv4")?.endpoints[0]?.addresses).toEqual(["10.0.0.1"]);
    expect(sliceOf(first, "web-leader-ipv6")?.endpoints).toEqual([]);
    expect(
      events(first)
        .filter((e) => e.eventType === "Warning")
        .map((e) => [e.reason, e.note]),
    ).toEqual([
      [
        "NoAddressOfFamily",
        "leader web-0 has no IPv6 address (pod IPs: 10.0.0.1), so EndpointSlice web-leader-ipv6 has no endpoint: the leader Service's IPv6 address reaches no pod (the other family's does)",
      ],
    ]);
  });

  it("a pod with no IP at all never leads: NoReadyPods, not NoAddressOfFamily", () => {
    const { first } = cluster([["web-0", { ips: [] }]], serviceJson("web", { ipFamilies: ["IPv6"] }));
    expect(sliceOf(first, "web-leader-ipv6")?.endpoints).toEqual([]);
    expect(events(first).map((e) => e.reason)).toEqual(["NoReadyPods"]);
  });

  it("says only NamedPortUnresolved when the port does not resolve either (the slice has no endpoint for that)", () => {
    const svc = serviceJson("web", {
      ipFamilies: ["IPv6"],
      ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: "web" }],
    });
    const { first } = cluster([["web-0", { ips: ["10.0.0.1"] }]], svc);
    expect(
      events(first)
        .filter((e) => e.eventType === "Warning")
        .map((e) => e.reason),
    ).toEqual(["NamedPortUnresolved"]);
  });

  it("a family change with a headless change: the leader Service's replacement waits for the new slice", () => {
    const { h } = cluster([["web-0", { ips: ["10.0.0.1", "fd00::1"] }]]);
    const actions = h.upsert("Service", serviceJson("web", { ipFamilies: ["IPv6"], clusterIP: "None" }));
    const described = (list: Action[]) =>
      writesOf(list).map((w) => `${w.type}${w.type === "apply" && w.create ? " create" : ""} ${w.name}`);
    expect(described(actions)).toEqual(["apply create web-leader-ipv6"]);
    expect(described(h.echo(actions))).toEqual([
      "delete web-leader",
      "apply create web-leader",
      "delete web-leader-ipv4",
    ]);
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
    const freed = h.remove("Service", "default", "web-leader");
    expect(writesOf(freed).map((w) => w.kind)).toEqual(["EndpointSlice"]);
    expect(writesOf(h.echo(freed)).map((w) => w.kind)).toEqual(["Service"]);
  });

  // A user's report: a foreign slice at web-leader-ipv4 before `web` opted in — invisible to
  // zen-lead's label-selected watch until its create is refused — got a leader Service created
  // and deleted again, and a LeaderChanged announced. The Service waits for its slice now.
  it("creates no leader Service while its slice's create has not landed: a squatter refuses it, nothing else was written", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", serviceJson("web"));
    const first = h.sync();
    const described = (actions: Action[]) =>
      actions.map((a) =>
        a.type === "event" || a.type === "report" ? `${a.type} ${a.reason}` : `${a.type} ${a.kind}/${a.name}`,
      );
    // The LeaderChanged goes out with the slice's create only: the shell announces it when a write
    // of its batch lands, and this one is refused.
    expect(described(first)).toEqual(["event LeaderChanged", "apply EndpointSlice/web-leader-ipv4"]);
    // The refused create (409): the shell follows the name, and the squatter shows up.
    const squat = h.upsert("EndpointSlice", sliceJson("web-leader-ipv4", { owner: null, managedBy: null }));
    expect(described(squat)).toEqual(["event NameCollision"]);
    expect(h.decision("default/web")?.leader).toBeUndefined();
    // Any number of events later: still no write while the squatter is there.
    expect(writesOf(h.at(200))).toEqual([]);
    expect(writesOf(h.upsert("Pod", podJson("web-1", { created: 2 })))).toEqual([]);
    // It goes: the slice, then (once seen) the leader Service.
    const freed = h.remove("EndpointSlice", "default", "web-leader-ipv4");
    expect(described(freed)).toEqual(["event LeaderChanged", "apply EndpointSlice/web-leader-ipv4"]);
    expect(described(h.echo(freed))).toEqual(["apply Service/web-leader"]);
  });

  it("a foreign Service at the leader name: no write and no LeaderChanged at all, only NameCollision", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Service", serviceJson("web-leader", { annotations: {} }));
    h.upsert("Service", serviceJson("web"));
    const first = h.sync();
    expect(writesOf(first)).toEqual([]);
    expect(events(first).map((e) => e.reason)).toEqual(["NameCollision"]);
  });

  it("a foreign Service taking the leader name after the slice's create: the Service create is refused, the slice goes", () => {
    const h = harness();
    h.upsert("Pod", podJson("web-0"));
    h.upsert("Service", serviceJson("web"));
    const first = h.sync();
    const sliceCreated = h.echo(first);
    expect(writesOf(sliceCreated).map((w) => `${w.type} ${w.kind}`)).toEqual(["apply Service"]);
    // The create races a foreign Service (refused: 409); the watch shows the Service.
    const raced = h.upsert("Service", serviceJson("web-leader", { annotations: {} }));
    expect(events(raced).map((e) => e.reason)).toEqual(["NameCollision"]);
    expect(writesOf(raced).map((w) => `${w.type} ${w.kind}/${w.name}`)).toEqual([
      "delete EndpointSlice/web-leader-ipv4",
    ]);
  });

  it("leaves a foreign EndpointSlice with a slice name untouched: NameCollision, and no leader published", () => {
    // The squatter arrives after zen-lead created the leader Service (the shell learns of it from
    // the create's 409 and follows that one name).
    const { h } = cluster([["web-0", { created: 1 }]]);
    h.remove("EndpointSlice", "default", "web-leader-ipv4");
    const squat = h.upsert("EndpointSlice", sliceJson("web-leader-ipv4", { owner: null }));
    expect(events(squat)).toMatchObject([
      {
        eventType: "Warning",
        reason: "NameCollision",
        note: "EndpointSlice web-leader-ipv4 exists and is not zen-lead's for this Service; leaving it untouched (no leader is published for this Service meanwhile)",
      },
    ]);
    // Blocked: its own leader Service goes (it would name a leader that gets no traffic), the
    // squatter stays.
    expect(writesOf(squat).map((w) => `${w.type} ${w.kind}/${w.name}`)).toEqual([
      "delete Service/web-leader",
    ]);
    h.echo(squat);
    // The moment the squatter goes, zen-lead creates its own.
    const freed = h.remove("EndpointSlice", "default", "web-leader-ipv4");
    const created = (actions: Action[]) =>
      writesOf(actions).map((w) => w.type === "apply" && w.create && `${w.kind}/${w.name}`);
    expect(created(freed)).toEqual(["EndpointSlice/web-leader-ipv4"]);
    expect(created(h.echo(freed))).toEqual(["Service/web-leader"]);
  });

  it.each([
    ["another Service's controller reference", { owner: { name: "other", uid: "uid-svc-default-other" } }],
    ["no controller reference", { owner: { name: "web", uid: "uid-svc-default-web", controller: false } }],
    ["no managed-by label and no controller reference", { managedBy: null, owner: null }],
  ] as const)("treats a slice with %s as foreign: never updated, never deleted", (_, spec) => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    h.remove("EndpointSlice", "default", "web-leader-ipv4");
    const foreign = h.upsert("EndpointSlice", sliceJson("web-leader-ipv4", spec));
    expect(writesOf(foreign).filter((w) => w.kind === "EndpointSlice")).toEqual([]);
    expect(events(foreign).map((e) => e.reason)).toEqual(["NameCollision"]);
  });

  it.each([
    ["its managed-by label", { managedBy: null }],
    ["its managed-by label changed", { managedBy: "someone-else" }],
    ["its source-service label naming another source", { source: "other" }],
  ] as const)(
    "puts back %s on its own slice at its name (controller reference by uid): no block, nothing deleted",
    (_, spec) => {
      // The label taken away, the slice leaves the slice watch (a delete); the create that follows is
      // refused and the shell follows the name: the same slice, zen-lead's by its controller reference.
      const { h } = cluster([["web-0", { created: 1 }]]);
      h.remove("EndpointSlice", "default", "web-leader-ipv4");
      const found = h.upsert("EndpointSlice", sliceJson("web-leader-ipv4", spec));
      expect(events(found)).toEqual([]);
      const writes = writesOf(found);
      expect(writes.map((w) => `${w.type} ${w.kind}/${w.name}`)).toEqual([
        "apply EndpointSlice/web-leader-ipv4",
      ]);
      const [update] = writes;
      expect(update?.type === "apply" && !update.create && update.expectedUid).toBe(
        "uid-slice-default-web-leader-ipv4",
      );
      expect(update?.type === "apply" && update.desired.labels["app.kubernetes.io/managed-by"]).toBe(
        "zen-lead",
      );
    },
  );

  it("puts back zen-lead's labels on its own leader Service (controller reference by uid): no block, nothing deleted", () => {
    const { h, first } = cluster([["web-0", { created: 1 }]]);
    const manifest = serviceManifest(first) as { metadata: Record<string, unknown> };
    const stripped = {
      ...manifest,
      metadata: { ...manifest.metadata, uid: "uid-leader", labels: {} },
      spec: { ...(manifest as unknown as { spec: object }).spec, clusterIP: "10.96.0.10" },
    };
    const found = h.upsert("Service", stripped);
    expect(events(found)).toEqual([]);
    const writes = writesOf(found);
    expect(writes.map((w) => `${w.type} ${w.kind}/${w.name}`)).toEqual(["apply Service/web-leader"]);
    expect(writes[0]?.type === "apply" && writes[0].expectedUid).toBe("uid-leader");
  });

  it("never deletes an object carrying zen-lead's labels and an ownerReference to an unrelated Service", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    h.upsert("Service", serviceJson("other", { annotations: {}, uid: "uid-other" }));
    // Labelled for `web`, owned by `other`: an orphan by labels, foreign by identity.
    const stray = sliceJson("stray-ipv4", { owner: { name: "other", uid: "uid-other" } });
    expect(writesOf(h.upsert("EndpointSlice", stray))).toEqual([]);
    // Nor when either Service changes or opts out.
    expect(
      writesOf(
        h.upsert(
          "Service",
          serviceJson("other", { annotations: { "zen-lead.io/enabled": "false" }, uid: "uid-other" }),
        ),
      ),
    ).toEqual([]);
    expect(writesOf(h.upsert("Service", serviceJson("web", { annotations: {} }))).map((w) => w.name)).toEqual(
      ["web-leader-ipv4", "web-leader"],
    );
  });

  /**
   * The slice the built-in EndpointSlice controller makes for `web-leader` once someone gives it a
   * selector: the Service's labels copied (zen-lead's), its own managed-by, `web-leader` as its
   * controller, every selected pod.
   */
  function builtInSlice(h: Harness, owner = "web-leader", ownerUid?: string) {
    const leader = h
      .objects()
      .find((o) => o.kind === "Service" && (o.raw as Json).metadata.name === "web-leader");
    const uid = ownerUid ?? ((leader?.raw as Json | undefined)?.metadata.uid as string);
    const slice = sliceJson("web-leader-8qr7d", {
      owner: { name: owner, uid },
      endpoints: ["web-0", "web-1"].map((pod, i) => ({
        addresses: [`10.0.0.${i + 1}`],
        conditions: { ready: true },
        targetRef: { kind: "Pod", name: pod, namespace: "default", uid: `uid-pod-default-${pod}` },
      })),
    }) as Json;
    slice.metadata.labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
    slice.metadata.labels["kubernetes.io/service-name"] = "web-leader";
    return slice;
  }

  it("deletes the slice another controller made for its leader Service, first, and reads no leader from it", () => {
    const { h } = cluster([
      ["web-0", { created: 1, ips: ["10.0.0.1"] }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    const actions = h.upsert("EndpointSlice", builtInSlice(h));
    expect(writesOf(actions)).toEqual([
      expect.objectContaining({
        type: "delete",
        kind: "EndpointSlice",
        name: "web-leader-8qr7d",
        stray: true,
      }),
    ]);
    // A restart while it still exists: the leader is read from zen-lead's own slice, nothing moves.
    const restarted = harness();
    restarted.at(200);
    for (const o of h.objects()) restarted.upsert(o.kind, o.raw);
    const first = restarted.sync();
    expect(restarted.decision("default/web")?.leader?.podName).toBe("web-0");
    expect(writesOf(first)).toEqual([
      expect.objectContaining({ type: "delete", name: "web-leader-8qr7d", stray: true }),
    ]);
  });

  it("leaves alone a slice with zen-lead's labels whose controller is not its leader Service (by uid)", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    // An earlier leader Service of the same name (the garbage collector's), and an unrelated one.
    expect(writesOf(h.upsert("EndpointSlice", builtInSlice(h, "web-leader", "uid-earlier")))).toEqual([]);
    h.upsert("Service", serviceJson("other", { annotations: {}, uid: "uid-other" }));
    expect(writesOf(h.upsert("EndpointSlice", builtInSlice(h, "other", "uid-other")))).toEqual([]);
  });

  it("waits for the garbage collector when the leader objects belong to an earlier Service of the same name", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    // `web` deleted and created again: a new uid; the old leader objects still name the old one.
    h.remove("Service", "default", "web");
    const again = h.upsert("Service", serviceJson("web", { uid: "uid-web-2" }));
    expect(writesOf(again)).toEqual([]);
    expect(events(again).find((e) => e.reason === "NameCollision")?.note).toBe(
      "Service web-leader belongs to an earlier Service web (uid uid-svc-default-web); it is left to the garbage collector (no leader is published for this Service meanwhile)",
    );
    h.remove("EndpointSlice", "default", "web-leader-ipv4");
    const collected = h.remove("Service", "default", "web-leader");
    expect(applies(collected).map((a) => [a.kind, a.desired.owner.uid])).toEqual([
      ["EndpointSlice", "uid-web-2"],
    ]);
    expect(applies(h.echo(collected)).map((a) => [a.kind, a.desired.owner.uid])).toEqual([
      ["Service", "uid-web-2"],
    ]);
  });
});

describe("incumbency for leader Service names", () => {
  const named = (name: string, created: number) => {
    const raw = serviceJson(name, {
      annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/leader-service-name": "shared" },
    });
    (raw.metadata as Record<string, unknown>).creationTimestamp = new Date(created * 1000).toISOString();
    return raw;
  };

  it("lets the source holding the name keep it; a later claimant gets NameCollision and nothing is deleted", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", named("dup-b", 10));
    h.settle(h.sync());
    // dup-a asks for the same name 1.5 s later; lexically first, but dup-b holds it.
    const late = h.upsert("Service", named("dup-a", 11.5));
    expect(writesOf(late)).toEqual([]);
    expect(events(late)).toMatchObject([
      {
        source: { name: "dup-a" },
        reason: "NameCollision",
        note: "Service shared is held by Service dup-b, which keeps it (no leader is published for this Service meanwhile)",
      },
    ]);
  });

  it("keeps the holder even when the newcomer was created earlier", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", named("dup-b", 10));
    h.settle(h.sync());
    const older = h.upsert("Service", named("dup-a", 5));
    expect(writesOf(older)).toEqual([]);
    expect(events(older).map((e) => [e.source.name, e.reason])).toEqual([["dup-a", "NameCollision"]]);
  });

  it("gives a name nobody holds to the earliest created claimant, then the lexically first", () => {
    for (const [a, b, winner] of [
      [20, 10, "dup-b"],
      [10, 20, "dup-a"],
      [10, 10, "dup-a"],
    ] as const) {
      const h = harness();
      h.upsert("Pod", podJson("web-0"));
      h.upsert("Service", named("dup-a", a));
      h.upsert("Service", named("dup-b", b));
      const actions = h.sync();
      expect(new Set(writesOf(actions).map((w) => w.source))).toEqual(new Set([`default/${winner}`]));
      expect(events(actions).find((e) => e.reason === "NameCollision")?.note).toBe(
        `leader Service name shared is also wanted by Service ${winner}, which was created first and gets it (no leader is published for this Service meanwhile)`,
      );
    }
  });

  it("hands the name to the waiting claimant once the holder lets it go", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", named("dup-b", 10));
    h.settle(h.sync());
    h.upsert("Service", named("dup-a", 11));
    const released = h.upsert("Service", serviceJson("dup-b", { annotations: {} }));
    expect(writesOf(released).map((w) => `${w.type} ${w.source} ${w.name}`)).toEqual([
      "delete default/dup-b shared-ipv4",
      "delete default/dup-b shared",
    ]);
    const taken = h.echo(released);
    const created = (actions: Action[]) =>
      writesOf(actions).map((w) => w.type === "apply" && w.create && `${w.source} ${w.name}`);
    expect(created(taken)).toEqual(["default/dup-a shared-ipv4"]);
    expect(created(h.echo(taken))).toEqual(["default/dup-a shared"]);
  });
});

describe("ownership, continued", () => {
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
    expect(writesOf(actions).map((a) => [a.type, a.name])).toEqual([["apply", "primary-ipv4"]]);
    // The new leader Service once its slice is seen, then the old objects go.
    expect(writesOf(h.echo(actions)).map((a) => [a.type, a.name])).toEqual([
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

describe("drift: owned objects converge whatever another writer did", () => {
  type Raw = { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const leaderService = (h: ReturnType<typeof cluster>["h"]) =>
    JSON.parse(
      JSON.stringify(
        h
          .objects()
          .find((o) => o.kind === "Service" && o.raw && (o.raw as Raw).metadata.name === "web-leader")?.raw,
      ),
    ) as Raw;

  it.each([
    ["a selector", (r: Raw) => Object.assign(r.spec, { selector: { app: "web" } }), "spec.selector"],
    ["type NodePort", (r: Raw) => Object.assign(r.spec, { type: "NodePort" }), "spec.type"],
    ["external IPs", (r: Raw) => Object.assign(r.spec, { externalIPs: ["1.2.3.4"] }), "spec.externalIPs"],
    [
      "session affinity",
      (r: Raw) => Object.assign(r.spec, { sessionAffinity: "ClientIP" }),
      "spec.sessionAffinity=ClientIP",
    ],
    [
      "internal traffic policy",
      (r: Raw) => Object.assign(r.spec, { internalTrafficPolicy: "Local" }),
      "spec.internalTrafficPolicy=Local",
    ],
    [
      "publishNotReadyAddresses",
      (r: Raw) => Object.assign(r.spec, { publishNotReadyAddresses: true }),
      "spec.publishNotReadyAddresses=true",
    ],
    [
      "a load balancer source range",
      (r: Raw) => Object.assign(r.spec, { loadBalancerSourceRanges: ["10.0.0.0/8"] }),
      "spec.loadBalancerSourceRanges",
    ],
    [
      "another port",
      (r: Raw) => (r.spec.ports as unknown[]).push({ port: 9999, protocol: "TCP", targetPort: 9999 }),
      "spec.ports",
    ],
    [
      "kube-proxy's opt-out label",
      (r: Raw) =>
        Object.assign(r.metadata, {
          labels: { ...(r.metadata.labels as object), "service.kubernetes.io/service-proxy-name": "none" },
        }),
      "metadata.labels[service.kubernetes.io/service-proxy-name]",
    ],
    [
      "another ownerReference",
      (r: Raw) =>
        (r.metadata.ownerReferences as unknown[]).push({
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "c",
          uid: "uid-c",
        }),
      "metadata.ownerReferences",
    ],
    [
      "a changed leader annotation",
      (r: Raw) =>
        Object.assign(r.metadata, {
          annotations: { ...(r.metadata.annotations as object), "zen-lead.io/leader-pod": "web-9" },
        }),
      "metadata.annotations[zen-lead.io/leader-pod]",
    ],
  ] as const)("corrects %s on the leader Service, as an update of the same object", (_, edit, field) => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const raw = leaderService(h);
    edit(raw);
    const actions = h.upsert("Service", raw);
    expect(applies(actions).map((a) => [a.kind, a.name, a.create, a.expectedUid])).toEqual([
      ["Service", "web-leader", false, (raw.metadata as { uid: string }).uid],
    ]);
    const observed = h.state.services;
    const view = mapGet(observed, "default/web-leader");
    const desired = applies(actions)[0]?.desired;
    expect(view && desired && driftOf(desired, view)).toEqual([field]);
  });

  it("corrects a slice's endpoints, ports and kube-proxy's opt-out label", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const slice = JSON.parse(
      JSON.stringify(h.objects().find((o) => o.kind === "EndpointSlice")?.raw),
    ) as Raw & {
      endpoints: unknown[];
      ports: unknown[];
    };
    slice.endpoints.push({ addresses: ["10.0.0.99"], conditions: { ready: true } });
    slice.ports = [];
    (slice.metadata.labels as Record<string, string>)["service.kubernetes.io/headless"] = "";
    const actions = h.upsert("EndpointSlice", slice);
    const desired = applies(actions)[0]?.desired;
    const view = mapGet(h.state.slices, "default/web-leader-ipv4");
    expect(view && desired && driftOf(desired, view)).toEqual([
      "metadata.labels[service.kubernetes.io/headless]",
      "endpoints",
      "ports",
    ]);
  });

  it("answers a second hand edit at once, although the write for the first was never seen applied", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const raw = leaderService(h);
    raw.spec.selector = { app: "web" };
    expect(writesOf(h.upsert("Service", raw))).toHaveLength(1);
    // The write changed nothing (another manager owns the selector): no echo. Then another edit.
    raw.spec.type = "NodePort";
    expect(writesOf(h.upsert("Service", raw))).toHaveLength(1);
    // The same write against the same observation is not repeated before its window ends...
    expect(writesOf(h.at(129))).toEqual([]);
    expect(writesOf(h.at(131))).toHaveLength(1);
    // ...and then after the same window: it would double, but is capped at the write queue's
    // backoff ceiling (30 s), so a write refused until its cause goes lands within 30 s of that.
    expect(writesOf(h.at(160))).toEqual([]);
    expect(writesOf(h.at(162))).toHaveLength(1);
    expect(writesOf(h.at(191))).toEqual([]);
    expect(writesOf(h.at(193))).toHaveLength(1);
  });
});

describe("leading: only the Lease holder writes and announces", () => {
  const standby = (pods: [string, Parameters<typeof podJson>[1]?][]) => {
    const h = harness();
    h.at(100);
    h.send({ type: "leadership", leading: false });
    for (const [name, spec] of pods) h.upsert("Pod", podJson(name, spec));
    h.upsert("Service", serviceJson("web"));
    return h;
  };

  it("a standby decides and keeps its timers, but writes and announces nothing", () => {
    const h = standby([["web-0", { created: 1 }]]);
    const actions = h.sync();
    expect(actions).toEqual([]);
    expect(h.decision("default/web")?.leader?.podName).toBe("web-0");
    const waiting = h.upsert(
      "Service",
      serviceJson("web", {
        annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/min-ready-duration": "5m" },
      }),
    );
    expect(waiting).toEqual([]);
    h.upsert("Pod", podJson("web-0", { created: 1, ready: false }));
    const young = h.upsert("Pod", podJson("web-1", { created: 2, readySince: 100 }));
    expect(young).toEqual([]);
    expect(h.timer("default/web")).toBe(400_000);
  });

  it("on taking over, writes what the cluster needs and announces it against what the cluster shows", () => {
    const h = standby([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    // The cluster shows web-0 leading (published by the previous holder), which has just died.
    h.upsert(
      "EndpointSlice",
      sliceJson("web-leader-ipv4", {
        endpoints: [
          { addresses: ["10.0.0.1"], targetRef: { kind: "Pod", name: "web-0", uid: "uid-default-web-0" } },
        ],
      }),
    );
    h.sync();
    h.remove("Pod", "default", "web-0");
    const takeover = h.send({ type: "leadership", leading: true });
    expect(events(takeover).map((e) => e.leaderChange)).toEqual([
      { from: "web-0", to: "web-1", cause: "LeaderDeleted" },
    ]);
    expect(endpointPod(takeover)).toBe("web-1");
  });

  it("on taking over, announces no leader change when the cluster already shows the decided leader", () => {
    const { h } = cluster([["web-0", { created: 1 }]]);
    const replica = standby([["web-0", { created: 1 }]]);
    for (const o of h.objects()) replica.upsert(o.kind, o.raw);
    replica.sync();
    const takeover = replica.send({ type: "leadership", leading: true });
    expect(takeover).toEqual([]);
  });

  it("a standby follows the holder's published leader record: taking over then writes nothing", () => {
    // The holder (h) and a standby fed the same cluster, the standby some milliseconds later.
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    const replica = standby([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    for (const o of h.objects()) replica.upsert(o.kind, o.raw);
    replica.sync();
    replica.at(300);
    h.at(299.5);
    h.settle(h.upsert("Pod", podJson("web-0", { created: 1, ready: false })));
    // The standby decides the same failover at its own time, then sees the holder's writes.
    replica.upsert("Pod", podJson("web-0", { created: 1, ready: false }));
    for (const o of h.objects()) if (o.kind !== "Pod") replica.upsert(o.kind, o.raw);
    expect(replica.decision("default/web")?.leader).toMatchObject({
      podName: "web-1",
      since: 299_500,
      reason: "LeaderNotReady",
    });
    expect(replica.send({ type: "leadership", leading: true })).toEqual([]);
  });

  it("forgets its writes in flight when it leads again: the new holder writes at once", () => {
    const { h } = cluster([
      ["web-0", { created: 1 }],
      ["web-1", { created: 2, ips: ["10.0.0.2"] }],
    ]);
    const failover = h.upsert("Pod", podJson("web-0", { created: 1, ready: false }));
    expect(writesOf(failover)).toHaveLength(2);
    // The Lease is lost before the writes are made (the shell drops them), and won back.
    expect(h.send({ type: "leadership", leading: false })).toEqual([]);
    const again = h.send({ type: "leadership", leading: true });
    expect(writesOf(again)).toEqual(writesOf(failover));
    // The cluster still shows web-0: the change is announced against that, with the writes that
    // publish it (the shell records an announcement once its write lands).
    expect(events(again).map((e) => e.leaderChange)).toEqual([
      { from: "web-0", to: "web-1", cause: "LeaderNotReady" },
    ]);
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

  it("reports a pod that is malformed in a list once, not again at each relist", () => {
    const { h } = cluster([["web-1", { created: 2 }]]);
    const broken = podJson("web-0", { created: 1 }) as { status: Record<string, unknown> };
    broken.status = { ...broken.status, conditions: "ready" };
    const relist = () =>
      h.send({
        type: "resync",
        kind: "Pod",
        objects: [decodePod(broken), decodePod(podJson("web-1", { created: 2 }))],
      });
    const reports = (actions: readonly Action[]) => actions.filter((a) => a.type === "report");
    expect(reports(relist())).toMatchObject([{ object: "Pod default/web-0", reason: "DecodeFailed" }]);
    expect(reports(relist())).toEqual([]);
    // Broken another way: a new fault, said again.
    broken.status = { ...broken.status, conditions: [], phase: 7 };
    expect(reports(relist())).toMatchObject([{ object: "Pod default/web-0" }]);
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
    h.sync();
    expect(h.timer("default/web")).toBe(130_000);
    expect(writesOf(h.at(129))).toEqual([]);
    expect(writesOf(h.at(131)).map((w) => w.kind)).toEqual(["EndpointSlice"]);
  });

  it("keeps a lost write's retry when an event in between changes no decision", () => {
    const h = harness();
    h.at(100);
    h.upsert("Pod", podJson("web-0", { created: 1 }));
    h.upsert("Service", serviceJson("web"));
    h.sync();
    h.at(110);
    // Another member turns up NotReady: the source is decided again, to the same leader.
    expect(writesOf(h.upsert("Pod", podJson("web-1", { created: 2, ready: false })))).toEqual([]);
    expect(h.timer("default/web")).toBe(130_000);
    expect(writesOf(h.at(131)).map((w) => w.kind)).toEqual(["EndpointSlice"]);
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
    h.upsert("Pod", podJson("web-old", { created: 1, readySince: 100 }));
    expect(h.timer("default/web")).toBe(130_000);
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
