/**
 * zen-lead end to end on the real control plane: the controller (watches, core, applier) keeps a
 * leader Service and slice for an annotated Service, and moves it when the leader goes.
 */
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from "@kubernetes/client-node";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Controller, startController } from "./controller.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const labels = { app: "ctl" };
let namespace = "";
let controller: Controller | undefined;

async function leaderSlice(): Promise<V1EndpointSlice | undefined> {
  const list = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: "kubernetes.io/service-name=ctl-leader",
  });
  return list.items[0];
}

async function readyPodNames(): Promise<string[]> {
  return (await readyPods(namespace, "app=ctl")).map((p) => p.metadata?.name ?? "");
}

beforeAll(async () => {
  namespace = await testNamespace("ctl");
  await createDeployment(namespace, "ctl", 3, labels);
  await waitFor("3 ready pods", async () => ((await readyPodNames()).length === 3 ? true : undefined));
  controller = startController({ kc, namespaces: [namespace] });
});

afterAll(async () => {
  await controller?.stop();
});

describe("the controller on a real cluster", () => {
  it("creates the leader Service and a slice naming one Ready pod, with the named port resolved", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "ctl", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    const slice = await waitFor("the leader slice with an endpoint", async () => {
      const s = await leaderSlice();
      return (s?.endpoints?.length ?? 0) === 1 ? s : undefined;
    });
    const leader = slice.endpoints?.[0]?.targetRef?.name ?? "";
    expect(await readyPodNames()).toContain(leader);
    expect(slice.ports).toEqual([expect.objectContaining({ name: "web", port: 8080 })]);
    const svc = await core.readNamespacedService({ namespace, name: "ctl-leader" });
    expect(svc.spec?.selector).toBeUndefined();
    expect(svc.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe(leader);
  });

  it("moves leadership when the leader pod is deleted", async () => {
    const before = (await leaderSlice())?.endpoints?.[0]?.targetRef?.name ?? "";
    await core.deleteNamespacedPod({ namespace, name: before });
    const after = await waitFor("a new leader", async () => {
      const name = (await leaderSlice())?.endpoints?.[0]?.targetRef?.name;
      return name !== undefined && name !== before ? name : undefined;
    });
    expect(await readyPodNames()).toContain(after);
  });

  it("moves leadership when the leader pod is deleted with grace period 0", async () => {
    const before = (await leaderSlice())?.endpoints?.[0]?.targetRef?.name ?? "";
    await core.deleteNamespacedPod({ namespace, name: before, gracePeriodSeconds: 0 });
    const after = await waitFor("a new leader", async () => {
      const name = (await leaderSlice())?.endpoints?.[0]?.targetRef?.name;
      return name !== undefined && name !== before ? name : undefined;
    });
    expect(await readyPodNames()).toContain(after);
  });

  it("deletes both objects when the annotation is removed", async () => {
    await core.replaceNamespacedService({
      namespace,
      name: "ctl",
      body: {
        ...(await core.readNamespacedService({ namespace, name: "ctl" })),
        metadata: {
          ...(await core.readNamespacedService({ namespace, name: "ctl" })).metadata,
          annotations: {},
        },
      },
    });
    await waitFor("the leader objects to go", async () => {
      const services = await core.listNamespacedService({ namespace });
      const gone = !services.items.some((s) => s.metadata?.name === "ctl-leader");
      return gone && (await leaderSlice()) === undefined ? true : undefined;
    });
  });
});
