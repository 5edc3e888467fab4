/**
 * zen-lead with two controller replicas on the real control plane: only the lease holder writes,
 * a released lease hands the writing over to the standby, and min-ready damping holds an election
 * back until the pods have been Ready long enough.
 */
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice, type V1Pod } from "@kubernetes/client-node";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteResult } from "./applier.ts";
import { type Controller, startController } from "./controller.ts";
import { createLeaderElector, kubeLeaseApi, type LeaderElector } from "./lease.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const labels = { app: "ha" };
let namespace = "";
/** Every controller started and not yet stopped; afterAll stops them. */
const running: Controller[] = [];

interface Replica {
  readonly identity: string;
  readonly controller: Controller;
  readonly elector: LeaderElector;
  readonly writes: WriteResult[];
}

/** A controller replica with its own lease elector; short timings so hand-over is quick. */
function replica(identity: string): Replica {
  const elector = createLeaderElector({
    api: kubeLeaseApi(kc),
    namespace,
    name: "zen-lead-ha",
    identity,
    leaseDurationMs: 4_000,
    renewDeadlineMs: 3_000,
    retryPeriodMs: 500,
  });
  const writes: WriteResult[] = [];
  const controller = startController({
    kc,
    namespaces: [namespace],
    elector,
    onWriteResult: (result) => writes.push(result),
  });
  running.push(controller);
  return { identity, controller, elector, writes };
}

async function stop(controller: Controller, options?: { readonly release?: boolean }): Promise<void> {
  const i = running.indexOf(controller);
  if (i >= 0) running.splice(i, 1);
  await controller.stop(options);
}

async function leaderSlice(ns: string, leaderName: string): Promise<V1EndpointSlice | undefined> {
  const list = await discovery.listNamespacedEndpointSlice({
    namespace: ns,
    labelSelector: `kubernetes.io/service-name=${leaderName}`,
  });
  return list.items[0];
}

async function leaderPod(): Promise<string | undefined> {
  return (await leaderSlice(namespace, "ha-leader"))?.endpoints?.[0]?.targetRef?.name;
}

async function readyPodNames(ns: string, selector: string): Promise<string[]> {
  return (await readyPods(ns, selector)).map((p) => p.metadata?.name ?? "");
}

let a: Replica;
let b: Replica;

beforeAll(async () => {
  namespace = await testNamespace("ha");
  await createDeployment(namespace, "ha", 3, labels);
  await waitFor("3 ready pods", async () =>
    (await readyPodNames(namespace, "app=ha")).length === 3 ? true : undefined,
  );
  a = replica("a");
  b = replica("b");
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe("two controller replicas on a real cluster", () => {
  let writer: Replica;
  let standby: Replica;

  it("keeps the leader objects with exactly one replica writing", async () => {
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "ha", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    const leader = await waitFor("the leader slice with an endpoint", leaderPod);
    expect(await readyPodNames(namespace, "app=ha")).toContain(leader);
    const svc = await core.readNamespacedService({ namespace, name: "ha-leader" });
    expect(svc.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe(leader);

    [writer, standby] = a.elector.isLeading() ? [a, b] : [b, a];
    await waitFor("the lease holder's writes to be reported", () =>
      writer.writes.length > 0 ? true : undefined,
    );
    expect(standby.writes).toHaveLength(0);
    expect(writer.elector.isLeading()).toBe(true);
    expect(standby.elector.isLeading()).toBe(false);
  });

  it("hands over to the standby when the writer stops and releases the lease", async () => {
    const writerWrites = writer.writes.length;
    await stop(writer.controller, { release: true });
    await waitFor("the standby to take the lease", () => (standby.elector.isLeading() ? true : undefined), {
      timeoutMs: 20_000,
    });

    const before = await waitFor("the current leader", leaderPod);
    const standbyWrites = standby.writes.length;
    await core.deleteNamespacedPod({ namespace, name: before });
    const after = await waitFor("a new leader", async () => {
      const name = await leaderPod();
      return name !== undefined && name !== before ? name : undefined;
    });
    expect(await readyPodNames(namespace, "app=ha")).toContain(after);
    expect(standby.writes.length).toBeGreaterThan(standbyWrites);
    expect(standby.writes.some((w) => w.status === "applied" || w.status === "created")).toBe(true);
    // The stopped replica wrote nothing more.
    expect(writer.writes).toHaveLength(writerWrites);
  });
});

describe("min-ready damping on a real cluster", () => {
  let ns = "";
  beforeAll(async () => {
    ns = await testNamespace("ha-minready");
  });

  it("elects a leader only once its pod has been Ready for the min-ready duration", async () => {
    const damped = { app: "damped" };
    running.push(startController({ kc, namespaces: [ns] }));
    await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: {
          name: "damped",
          annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/min-ready-duration": "8s" },
        },
        spec: { selector: damped, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    // Fresh pods: they become Ready only now, after the Service is there.
    await createDeployment(ns, "damped", 2, damped);

    const svc = await waitFor("the leader Service to name a leader", async () => {
      const s = await core.readNamespacedService({ namespace: ns, name: "damped-leader" });
      return s.metadata?.annotations?.["zen-lead.io/leader-pod"] !== undefined ? s : undefined;
    });
    const annotations = svc.metadata?.annotations ?? {};
    const leaderName = annotations["zen-lead.io/leader-pod"] ?? "";
    const since = Date.parse(annotations["zen-lead.io/leader-since"] ?? "");
    expect(Number.isNaN(since)).toBe(false);

    const pod: V1Pod = await core.readNamespacedPod({ namespace: ns, name: leaderName });
    const ready = pod.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    expect(ready).toBeDefined();
    const readySince = new Date(ready?.lastTransitionTime ?? pod.metadata?.creationTimestamp ?? 0).getTime();
    expect(since).toBeGreaterThanOrEqual(readySince + 8_000);

    const slice = await waitFor("the leader slice naming the leader", async () => {
      const s = await leaderSlice(ns, "damped-leader");
      return s?.endpoints?.[0]?.targetRef?.name === leaderName ? s : undefined;
    });
    expect(slice.endpoints).toHaveLength(1);
  });
});
