/**
 * findOtherInstall on the real control plane: two controllers over one namespace, each recording
 * its Events under its own instance (two installs' Lease holders), and one controller alone in
 * another namespace.
 */
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { isSynced } from "@zen-lead/core";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, describe, expect, it } from "vitest";
import { type Controller, startController } from "./controller.ts";
import { createEventRecorder, type EventRecorder, kubeEventSink } from "./events.ts";
import { findOtherInstall } from "./other-installs.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const started: { controller: Controller; recorder: EventRecorder }[] = [];

afterAll(async () => {
  for (const { controller, recorder } of started) {
    await controller.stop();
    recorder.close();
  }
});

/** One install's Lease holder: a controller whose Events name `instance`; resolves once it has listed everything. */
async function install(namespace: string, instance: string): Promise<void> {
  const recorder = createEventRecorder({ sink: kubeEventSink(kc), instance });
  const controller = startController({ kc, namespaces: [namespace], onEvent: (e) => recorder.record(e) });
  started.push({ controller, recorder });
  await waitFor(`${instance} to list everything`, () => {
    const state = controller.state();
    return state !== undefined && isSynced(state) ? true : undefined;
  });
}

/** A Service `web` over 2 Ready pods, opted in. */
async function workload(namespace: string): Promise<void> {
  await createDeployment(namespace, "web", 2, { app: "web" });
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: "web", annotations: { "zen-lead.io/enabled": "true" } },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  });
  await waitFor("2 Ready pods", async () =>
    (await readyPods(namespace, "app=web")).length === 2 ? true : undefined,
  );
}

async function leaderOf(namespace: string): Promise<string | undefined> {
  const list = await kc
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace, labelSelector: "kubernetes.io/service-name=web-leader" });
  return list.items[0]?.endpoints?.[0]?.targetRef?.name;
}

describe("findOtherInstall", () => {
  it("finds the other install's Events in a shared namespace, and none where one install is alone", async () => {
    const shared = await testNamespace("two-installs-shared");
    const alone = await testNamespace("one-install");
    await Promise.all([workload(shared), workload(alone)]);
    const since = Date.now() - 1_000;
    await Promise.all([
      install(shared, "install-a-0"),
      install(shared, "install-b-0"),
      install(alone, "install-c-0"),
    ]);
    // A change both see: each announces it (a leader adopted at start may be announced by one only).
    const first = await waitFor("a leader in the shared namespace", () => leaderOf(shared));
    await core.deleteNamespacedPod({ namespace: shared, name: first, gracePeriodSeconds: 0 });
    await waitFor("a leader in the other namespace", () => leaderOf(alone));

    const seenByA = await waitFor("install-a-0 to see install-b-0's Events", () =>
      findOtherInstall(kc, { identity: "install-a-0", namespaces: [shared], since }),
    );
    expect(seenByA).toMatchObject({
      namespace: shared,
      source: "web",
      instance: "install-b-0",
      reason: "LeaderChanged",
    });
    const seenByB = await waitFor("install-b-0 to see install-a-0's Events", () =>
      findOtherInstall(kc, { identity: "install-b-0", namespaces: [shared], since }),
    );
    expect(seenByB?.instance).toBe("install-a-0");

    // Alone in its namespace: its own Events are no other install's, and another namespace's are not looked at.
    const leaderAlone = await leaderOf(alone);
    await waitFor("install-c-0's own LeaderChanged Event", async () => {
      const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: alone });
      return list.items.some((e) => e.reason === "LeaderChanged" && e.message?.includes(String(leaderAlone)))
        ? true
        : undefined;
    });
    expect(
      await findOtherInstall(kc, { identity: "install-c-0", namespaces: [alone], since }),
    ).toBeUndefined();
    // Before `since` nothing counts: a previous holder of the same Lease.
    expect(
      await findOtherInstall(kc, {
        identity: "install-a-0",
        namespaces: [shared],
        since: Date.now() + 60_000,
      }),
    ).toBeUndefined();
  });
});
