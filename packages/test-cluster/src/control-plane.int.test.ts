/**
 * Proof that the control plane the integration tests run on is real: the built-in controllers,
 * the scheduler and kwok's fake kubelets do what a cluster does.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, VersionApi } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import {
  clusterConfig,
  clusterState,
  createDeployment,
  isPodReady,
  readyPods,
  testNamespace,
  waitFor,
} from "./index.ts";

const labels = { app: "proof" };
let namespace = "";
const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);

const proofPods = () => readyPods(namespace, "app=proof");

beforeAll(async () => {
  namespace = await testNamespace("proof");
  await createDeployment(namespace, "proof", 3, labels);
});

describe("the control plane", () => {
  it("reports the pinned Kubernetes release", async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(clusterState().kubernetesVersion);
  });

  it("runs a Deployment of 3 replicas as 3 Running, Ready pods with IPs", async () => {
    const pods = await waitFor("3 ready pods", async () => {
      const ready = await proofPods();
      return ready.length === 3 ? ready : undefined;
    });
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(3);
  });

  it("gives a plain Service EndpointSlices from the built-in controller", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "proof" },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const endpoints = await waitFor("3 ready endpoints", async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: "kubernetes.io/service-name=proof",
      });
      const ready = slices.items
        .flatMap((s) => s.endpoints ?? [])
        .filter((e) => e.conditions?.ready === true);
      return ready.length === 3 ? ready : undefined;
    });
    expect(endpoints.every((e) => e.targetRef?.kind === "Pod")).toBe(true);
  });

  it("replaces a deleted pod", async () => {
    const [victim] = await proofPods();
    const name = victim?.metadata?.name ?? "";
    await core.deleteNamespacedPod({ namespace, name });
    await waitFor("a replacement pod", async () => {
      const ready = await proofPods();
      return ready.length === 3 && ready.every((p) => p.metadata?.name !== name) ? ready : undefined;
    });
  });

  it("lets a test turn a pod's Ready condition off and on, as a failing readiness probe would", async () => {
    const node = clusterState().manualNodes[0] ?? "";
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: "manual", labels: { app: "manual" } },
        spec: { nodeName: node, containers: [{ name: "app", image: "manual:1" }] },
      },
    });
    const setReady = async (ready: boolean) => {
      const pod = await core.readNamespacedPodStatus({ namespace, name: "manual" });
      const now = new Date();
      pod.status = {
        phase: "Running",
        podIP: "10.250.0.7",
        podIPs: [{ ip: "10.250.0.7" }],
        conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now }],
      };
      return core.replaceNamespacedPodStatus({ namespace, name: "manual", body: pod });
    };
    expect(isPodReady(await setReady(true))).toBe(true);
    expect(isPodReady(await setReady(false))).toBe(false);
    expect(isPodReady(await core.readNamespacedPod({ namespace, name: "manual" }))).toBe(false);
    expect(isPodReady(await setReady(true))).toBe(true);
  });

  it("garbage-collects dependents when their owner is deleted", async () => {
    await apps.deleteNamespacedDeployment({ namespace, name: "proof", propagationPolicy: "Background" });
    await waitFor(
      "the ReplicaSet and pods to be collected",
      async () => {
        const sets = await apps.listNamespacedReplicaSet({ namespace });
        const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=proof" });
        return sets.items.length === 0 && pods.items.length === 0 ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
  });
});
