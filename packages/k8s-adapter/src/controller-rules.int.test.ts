/**
 * The rules of docs/semantics.md as a user sees them on the real control plane: readiness moves
 * leadership, a preferred leader takes over, a custom leader name is honoured, a foreign Service is
 * never touched, and a controller restart leaves a healthy leader where it is.
 */
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  EventsV1Api,
  type V1EndpointSlice,
  type V1Service,
} from "@kubernetes/client-node";
import { clusterConfig, clusterState, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Controller, startController } from "./controller.ts";
import { createEventRecorder, type EventRecorder, kubeEventSink } from "./events.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const events = kc.makeApiClient(EventsV1Api);
let namespace = "";
let controller: Controller | undefined;
let recorder: EventRecorder | undefined;
/** Bare pods on the manual node: no kubelet will ever finish deleting them, so the test does. */
const manualPods: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(): Controller {
  recorder?.close();
  const rec = createEventRecorder({ sink: kubeEventSink(kc), instance: "zen-lead-rules-test" });
  recorder = rec;
  return startController({ kc, namespaces: [namespace], onEvent: (e) => rec.record(e) });
}

async function leaderSlice(leaderName: string): Promise<V1EndpointSlice | undefined> {
  const list = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${leaderName}`,
  });
  return list.items[0];
}

async function leaderOf(leaderName: string): Promise<string | undefined> {
  return (await leaderSlice(leaderName))?.endpoints?.[0]?.targetRef?.name;
}

async function serviceNamed(name: string): Promise<V1Service | undefined> {
  const list = await core.listNamespacedService({ namespace });
  return list.items.find((s) => s.metadata?.name === name);
}

async function createSource(name: string, app: string, annotations: Record<string, string> = {}) {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name, annotations: { "zen-lead.io/enabled": "true", ...annotations } },
      spec: { selector: { app }, ports: [{ name: "web", port: 80, targetPort: 8080 }] },
    },
  });
}

async function readyPodNames(app: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return pods.items
    .filter(
      (p) =>
        p.metadata?.deletionTimestamp === undefined &&
        p.status?.phase === "Running" &&
        (p.status.podIP ?? "") !== "" &&
        p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    )
    .map((p) => p.metadata?.name ?? "")
    .sort();
}

/** A Deployment on the kwok nodes; resolves with its Ready pods' names. */
async function deployment(app: string, replicas: number): Promise<string[]> {
  const labels = { app };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: app },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "app", image: `${app}:1`, ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
  });
  return waitFor(`${replicas} ready ${app} pods`, async () => {
    const ready = await readyPodNames(app);
    return ready.length === replicas ? ready : undefined;
  });
}

/** A bare pod bound to the manual node: its status is whatever the test writes. */
async function manualPod(name: string, app: string, ip: string): Promise<void> {
  const node = clusterState().manualNodes[0] ?? "";
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app } },
      spec: {
        nodeName: node,
        containers: [{ name: "app", image: `${app}:1`, ports: [{ containerPort: 8080 }] }],
      },
    },
  });
  manualPods.push(name);
  await setReady(name, ip, true);
}

async function setReady(name: string, ip: string, ready: boolean): Promise<void> {
  const pod = await core.readNamespacedPodStatus({ namespace, name });
  pod.status = {
    phase: "Running",
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: new Date() }],
  };
  await core.replaceNamespacedPodStatus({ namespace, name, body: pod });
}

beforeAll(async () => {
  namespace = await testNamespace("rules");
  controller = start();
});

afterAll(async () => {
  await controller?.stop();
  recorder?.close();
  for (const name of manualPods) {
    await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
});

describe("zen-lead's rules on a real cluster", () => {
  it("moves leadership when the leader turns NotReady", async () => {
    const ips: Record<string, string> = { "ready-a": "10.250.1.1", "ready-b": "10.250.1.2" };
    await manualPod("ready-a", "ready", ips["ready-a"] ?? "");
    await manualPod("ready-b", "ready", ips["ready-b"] ?? "");
    await createSource("ready", "ready");
    const before = await waitFor("a leader for ready", () => leaderOf("ready-leader"));
    expect(["ready-a", "ready-b"]).toContain(before);

    await setReady(before, ips[before] ?? "", false);
    const other = before === "ready-a" ? "ready-b" : "ready-a";
    const slice = await waitFor("the other pod to lead", async () => {
      const s = await leaderSlice("ready-leader");
      return s?.endpoints?.[0]?.targetRef?.name === other ? s : undefined;
    });
    expect(slice.endpoints).toHaveLength(1);
    expect(slice.endpoints?.[0]?.addresses).toEqual([ips[other]]);
    await waitFor("the leader Service to name the new leader", async () => {
      const svc = await serviceNamed("ready-leader");
      return svc?.metadata?.annotations?.["zen-lead.io/leader-pod"] === other ? true : undefined;
    });
  });

  it("switches to the preferred leader when asked", async () => {
    const pods = await deployment("pref", 2);
    await createSource("pref", "pref");
    const before = await waitFor("a leader for pref", () => leaderOf("pref-leader"));
    const wanted = pods.find((p) => p !== before) ?? "";
    expect(wanted).not.toBe("");

    const svc = await core.readNamespacedService({ namespace, name: "pref" });
    await core.replaceNamespacedService({
      namespace,
      name: "pref",
      body: {
        ...svc,
        metadata: {
          ...svc.metadata,
          annotations: { ...svc.metadata?.annotations, "zen-lead.io/preferred-leader": wanted },
        },
      },
    });
    await waitFor("the preferred pod to lead", async () =>
      (await leaderOf("pref-leader")) === wanted ? true : undefined,
    );
    await waitFor("the leader Service to name the preferred pod", async () => {
      const leaderSvc = await serviceNamed("pref-leader");
      return leaderSvc?.metadata?.annotations?.["zen-lead.io/leader-pod"] === wanted ? true : undefined;
    });
  });

  it("names the leader Service as zen-lead.io/leader-service-name says", async () => {
    const pods = await deployment("named", 1);
    await createSource("named", "named", { "zen-lead.io/leader-service-name": "primary" });
    const slice = await waitFor("the slice of primary with an endpoint", async () => {
      const s = await leaderSlice("primary");
      return (s?.endpoints?.length ?? 0) === 1 ? s : undefined;
    });
    expect(pods).toContain(slice.endpoints?.[0]?.targetRef?.name);
    const primary = await waitFor("Service primary", () => serviceNamed("primary"));
    expect(primary.spec?.selector).toBeUndefined();
    expect(primary.metadata?.labels?.["zen-lead.io/source-service"]).toBe("named");
    expect(await serviceNamed("named-leader")).toBeUndefined();
    expect(await leaderSlice("named-leader")).toBeUndefined();
  });

  it("leaves a foreign Service with the leader name untouched and warns NameCollision", async () => {
    await deployment("taken", 1);
    const foreign = await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "taken-leader", labels: { owner: "someone-else" } },
        spec: { ports: [{ name: "other", port: 9090, targetPort: 9090 }] },
      },
    });
    await createSource("taken", "taken");

    const warning = await waitFor("a NameCollision Event on taken", async () => {
      const list = await events.listNamespacedEvent({ namespace });
      return list.items.find((e) => e.reason === "NameCollision" && e.regarding?.name === "taken");
    });
    expect(warning).toMatchObject({
      type: "Warning",
      regarding: { kind: "Service", name: "taken", namespace },
    });

    // Give the controller time to do whatever it would do; then the foreign Service is as it was.
    await sleep(5_000);
    const after = await core.readNamespacedService({ namespace, name: "taken-leader" });
    expect(after.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion);
    expect(after.metadata?.labels).toEqual(foreign.metadata?.labels);
    expect(after.metadata?.annotations).toEqual(foreign.metadata?.annotations);
    expect(after.metadata?.ownerReferences).toEqual(foreign.metadata?.ownerReferences);
    expect(after.spec).toEqual(foreign.spec);
    const slices = await discovery.listNamespacedEndpointSlice({
      namespace,
      labelSelector:
        "endpointslice.kubernetes.io/managed-by=controller.zen-lead.io,kubernetes.io/service-name=taken-leader",
    });
    expect(slices.items).toEqual([]);
  });

  it("does not move a healthy leader or write anything when the controller restarts", async () => {
    await deployment("restart", 2);
    await createSource("restart", "restart");
    const leader = await waitFor("a leader for restart", () => leaderOf("restart-leader"));
    await waitFor("the leader Service to name the leader", async () => {
      const svc = await serviceNamed("restart-leader");
      return svc?.metadata?.annotations?.["zen-lead.io/leader-pod"] === leader ? svc : undefined;
    });

    // Stopping waits for writes in flight; what is there then is what the new controller finds.
    await controller?.stop();
    const slice = await leaderSlice("restart-leader");
    const leaderSvc = await core.readNamespacedService({ namespace, name: "restart-leader" });
    expect(slice?.endpoints?.[0]?.targetRef?.name).toBe(leader);
    controller = start();
    const restarted = controller;
    await waitFor("the new controller to list everything", () =>
      (restarted.state()?.synced.size ?? 0) === 4 ? true : undefined,
    );
    await sleep(5_000);

    const sliceAfter = await leaderSlice("restart-leader");
    expect(sliceAfter?.endpoints?.[0]?.targetRef?.name).toBe(leader);
    expect(sliceAfter?.metadata?.resourceVersion).toBe(slice?.metadata?.resourceVersion);
    const svcAfter = await core.readNamespacedService({ namespace, name: "restart-leader" });
    expect(svcAfter.metadata?.resourceVersion).toBe(leaderSvc.metadata?.resourceVersion);
    expect(svcAfter.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe(leader);
  });
});
