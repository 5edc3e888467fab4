/** The Event recorder against the real API server: Events are created and series patched. */
import { CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import type { EventAction } from "@zen-lead/core";
import { clusterConfig, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { beforeAll, describe, expect, it } from "vitest";
import { createEventRecorder, type EventProblem, kubeEventSink } from "./events.ts";

const kc = clusterConfig();
const events = kc.makeApiClient(EventsV1Api);
let namespace = "";
let uid = "";

beforeAll(async () => {
  namespace = await testNamespace("events");
  const svc = await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace,
    body: { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } },
  });
  uid = svc.metadata?.uid ?? "";
});

const ours = async () =>
  (await events.listNamespacedEvent({ namespace })).items.filter(
    (e) => e.reportingController === "zen-lead.io/controller",
  );

describe("EventRecorder on the real API server", () => {
  it("creates one Event, aggregates 10 repeats into its series, and starts another for a new reason", async () => {
    const problems: EventProblem[] = [];
    const recorder = createEventRecorder({
      sink: kubeEventSink(kc),
      instance: "zen-lead-test",
      onError: (p) => problems.push(p),
    });
    const leaderChanged: EventAction = {
      type: "event",
      source: { namespace, name: "web", uid },
      eventType: "Normal",
      reason: "LeaderChanged",
      note: "leader web-0 -> web-1 (LeaderNotReady)",
      leaderChange: { from: "web-0", to: "web-1", cause: "LeaderNotReady" },
    };

    recorder.record(leaderChanged);
    const [first] = await waitFor("the first Event", async () => {
      const list = await ours();
      return list.length === 1 ? list : undefined;
    });
    expect(first).toMatchObject({
      type: "Normal",
      reason: "LeaderChanged",
      action: "Elect",
      reportingInstance: "zen-lead-test",
      regarding: { kind: "Service", name: "web", namespace, uid },
      related: { kind: "Pod", name: "web-1" },
    });
    expect(first?.series).toBeUndefined();

    for (let i = 0; i < 10; i++) recorder.record(leaderChanged);
    const series = await waitFor("a series of 11", async () => {
      const list = await ours();
      return list.length === 1 && list[0]?.series?.count === 11 ? list[0].series : undefined;
    });
    expect(series.lastObservedTime).toBeDefined();

    recorder.record({
      type: "event",
      source: { namespace, name: "web", uid },
      eventType: "Warning",
      reason: "NoReadyPods",
      note: "no ready pod selected by web",
    });
    const all = await waitFor("a second Event", async () => {
      const list = await ours();
      return list.length === 2 ? list : undefined;
    });
    expect(all.find((e) => e.reason === "NoReadyPods")).toMatchObject({ type: "Warning", action: "Warn" });
    expect(all.find((e) => e.reason === "LeaderChanged")?.series?.count).toBe(11);
    expect(problems).toEqual([]);
    recorder.close();
  });
});
