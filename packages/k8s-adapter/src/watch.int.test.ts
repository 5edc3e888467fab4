/** watchKind against the real control plane: events as they happen, and recovery from a cut stream. */
import { CoreV1Api } from "@kubernetes/client-node";
import type { ClusterEvent } from "@zen-lead/core";
import { clusterConfig, clusterState, testNamespace, waitFor } from "@zen-lead/test-cluster";
import type { Subscription } from "rxjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { kubeTransport, type WatchTransport, watchKind } from "./watch.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
let namespace = "";
let subscription: Subscription | undefined;

beforeAll(async () => {
  namespace = await testNamespace("watch");
});
afterEach(() => {
  subscription?.unsubscribe();
  subscription = undefined;
});

async function createPod(name: string, labels: Record<string, string> = { app: "w" }) {
  const node = clusterState().manualNodes[0] ?? "";
  await core.createNamespacedPod({
    namespace,
    body: { metadata: { name, labels }, spec: { nodeName: node, containers: [{ name: "c", image: "w:1" }] } },
  });
}

const deletePod = (name: string) => core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });

/** The pods of the namespace as the event stream says they are now. */
function podsSeen(events: readonly ClusterEvent[]): Set<string> {
  const seen = new Set<string>();
  for (const e of events) {
    if (e.type === "resync") {
      seen.clear();
      for (const o of e.objects) if (o.namespace === namespace && o.name !== undefined) seen.add(o.name);
    } else if (e.type === "upsert" && e.object.namespace === namespace && e.object.name !== undefined) {
      seen.add(e.object.name);
    } else if (e.type === "delete" && e.namespace === namespace) {
      seen.delete(e.name);
    }
  }
  return seen;
}

const sorted = (s: Set<string>) => [...s].sort();

describe("watchKind on a real API server", () => {
  it("delivers a resync, then ADDED, MODIFIED and DELETED as upserts and deletes", async () => {
    await createPod("before");
    const events: ClusterEvent[] = [];
    subscription = watchKind(kc, "Pod", { namespaces: [namespace] }).subscribe((e) => events.push(e));
    await waitFor("the initial resync", () => (events[0]?.type === "resync" ? true : undefined));
    const first = events[0];
    expect(first?.type === "resync" && first.objects.map((o) => o.name)).toEqual(["before"]);

    await createPod("after");
    await waitFor("the added pod", () =>
      events.some((e) => e.type === "upsert" && e.object.name === "after") ? true : undefined,
    );
    await core.patchNamespacedPod({
      namespace,
      name: "after",
      body: [{ op: "add", path: "/metadata/labels/changed", value: "yes" }],
    });
    await waitFor("the modified pod", () =>
      events.some(
        (e) =>
          e.type === "upsert" && e.object.name === "after" && "labels" in e.object && e.object.labels.changed,
      )
        ? true
        : undefined,
    );
    await deletePod("after");
    await waitFor("the deleted pod", () =>
      events.some((e) => e.type === "delete" && e.name === "after") ? true : undefined,
    );
    expect(sorted(podsSeen(events))).toEqual(["before"]);
    await deletePod("before");
  });

  /**
   * A transport whose watches the test can cut, and hold back from reconnecting: the gap in which
   * the cluster changes unseen.
   */
  function faultyTransport(options: { staleResourceVersion?: boolean } = {}) {
    const real = kubeTransport(kc);
    const open: AbortController[] = [];
    let gate: Promise<void> = Promise.resolve();
    let release = () => {};
    let watches = 0;
    const transport: WatchTransport = {
      list: real.list,
      async watch(path, query, onEvent, onDone) {
        await gate;
        watches++;
        if (options.staleResourceVersion && watches === 2) {
          // What the server sends when the resourceVersion left its window (a young test cluster
          // still holds its whole history, so an old resourceVersion alone would not do it).
          setTimeout(() => onEvent("ERROR", { kind: "Status", code: 410, reason: "Expired" }), 0);
          return new AbortController();
        }
        const controller = await real.watch(path, query, onEvent, onDone);
        open.push(controller);
        return controller;
      },
    };
    return {
      transport,
      cut() {
        gate = new Promise((resolve) => {
          release = resolve;
        });
        for (const c of open.splice(0)) c.abort();
      },
      reconnect: () => release(),
      watches: () => watches,
      /** Watches connected and not cut: a cut must find the stream open, or there is nothing to cut. */
      connected: () => open.length,
    };
  }

  for (const stale of [false, true]) {
    it(`recovers from a cut stream and drops a pod deleted during the gap (${stale ? "relist after 410 Gone" : "re-watch from the last resourceVersion"})`, async () => {
      const prefix = stale ? "gone" : "cut";
      const names = [`${prefix}-1`, `${prefix}-2`];
      for (const n of names) await createPod(n, { app: prefix });
      const fault = faultyTransport({ staleResourceVersion: stale });
      const events: ClusterEvent[] = [];
      const lines: string[] = [];
      subscription = watchKind(kc, "Pod", {
        namespaces: [namespace],
        transport: fault.transport,
        onDiagnostic: (line) => lines.push(line),
      }).subscribe((e) => events.push(e));
      await waitFor("both pods listed", () => (podsSeen(events).size >= 2 ? true : undefined));
      await waitFor("the watch open", () =>
        fault.watches() === 1 && fault.connected() === 1 ? true : undefined,
      );

      fault.cut();
      await deletePod(names[1] ?? "");
      await createPod(`${prefix}-3`, { app: prefix });
      fault.reconnect();

      await waitFor("the stream to catch up", () => {
        const seen = podsSeen(events);
        return seen.has(`${prefix}-3`) && !seen.has(`${prefix}-2`) ? true : undefined;
      });
      expect(lines.some((l) => l.startsWith("rewatch Pod"))).toBe(true);
      const resyncs = events.filter((e) => e.type === "resync").length;
      if (stale) {
        expect(lines.some((l) => l.includes("410 Gone"))).toBe(true);
        expect(resyncs).toBe(2);
      } else {
        expect(resyncs).toBe(1);
        expect(events.some((e) => e.type === "delete" && e.name === `${prefix}-2`)).toBe(true);
      }
      for (const n of [`${prefix}-1`, `${prefix}-3`]) await deletePod(n);
    });
  }
});
