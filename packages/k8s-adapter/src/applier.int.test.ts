/**
 * The applier against the real control plane: it creates the leader objects the core asks for,
 * updates them only with the right uid, never touches a foreign object, and deletes with a uid
 * precondition.
 */
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import {
  type ApplyAction,
  type DeleteAction,
  type DesiredService,
  type DesiredSlice,
  manifestOf,
} from "@zen-lead/core";
import { harness, writesOf } from "@zen-lead/core/testing";
import { clusterConfig, clusterState, testNamespace } from "@zen-lead/test-cluster";
import { beforeAll, describe, expect, it } from "vitest";
import { createApplier, type WriteAction, type WriteResult } from "./applier.ts";
import { request } from "./http.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
let namespace = "";

beforeAll(async () => {
  namespace = await testNamespace("applier");
});

/** Runs writes through a fresh applier and returns their outcomes. */
async function perform(...actions: WriteAction[]): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  const applier = createApplier(kc, { onResult: (r) => results.push(r) });
  for (const a of actions) applier.submit(a);
  await applier.idle();
  return results;
}

async function readyPod(name: string, ip: string) {
  const node = clusterState().manualNodes[0] ?? "";
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels: { app: "web" } },
      spec: {
        nodeName: node,
        containers: [{ name: "app", image: "web:1", ports: [{ name: "http", containerPort: 8080 }] }],
      },
    },
  });
  const pod = await core.readNamespacedPodStatus({ namespace, name });
  pod.status = {
    phase: "Running",
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date() }],
  };
  await core.replaceNamespacedPodStatus({ namespace, name, body: pod });
}

/** The core's writes for one opted-in Service and its one Ready pod, read back raw from the API. */
async function coreWrites(source: string): Promise<ApplyAction[]> {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: source, annotations: { "zen-lead.io/enabled": "true" } },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    },
  });
  const h = harness();
  h.upsert("Service", await request(kc, "GET", `/api/v1/namespaces/${namespace}/services/${source}`));
  const pods = (await request(kc, "GET", `/api/v1/namespaces/${namespace}/pods`)) as { items: unknown[] };
  for (const p of pods.items) h.upsert("Pod", p);
  // The leader Service follows its slice's echo (docs/semantics.md): the harness plays the echo.
  const synced = h.sync();
  return writesOf([...synced, ...h.settle(synced)]).filter((a): a is ApplyAction => a.type === "apply");
}

describe("the applier on a real API server", () => {
  let service: ApplyAction | undefined;
  let slice: ApplyAction | undefined;

  it("creates the leader Service and EndpointSlice from the core's manifests", async () => {
    await readyPod("web-0", "10.250.1.10");
    const writes = await coreWrites("web");
    service = writes.find((w) => w.kind === "Service");
    slice = writes.find((w) => w.kind === "EndpointSlice");
    expect(service?.create && slice?.create).toBe(true);
    const results = await perform(...writes);
    expect(results.map((r) => r.status)).toEqual(["created", "created"]);

    const leader = await core.readNamespacedService({ namespace, name: "web-leader" });
    expect(leader.spec?.selector).toBeUndefined();
    // Created by POST, then owned as zen-lead's apply, so later applies can drop fields.
    const managers = leader.metadata?.managedFields?.filter((f) => f.manager === "zen-lead");
    expect(managers?.map((f) => f.operation)).toEqual(["Apply"]);
    expect(leader.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe("web-0");
    const published = await discovery.readNamespacedEndpointSlice({ namespace, name: slice?.name ?? "" });
    expect((published.endpoints ?? []).map((e) => e.addresses)).toEqual([["10.250.1.10"]]);
    expect(published.ports?.map((p) => p.port)).toEqual([8080]);
  });

  it("updates with server-side apply under the uid precondition, removing what zen-lead no longer sets", async () => {
    if (service === undefined || slice === undefined) throw new Error("needs the first test");
    const live = await core.readNamespacedService({ namespace, name: "web-leader" });
    const liveSlice = await discovery.readNamespacedEndpointSlice({ namespace, name: slice.name });
    const noLeaderService = { ...(service.desired as DesiredService), annotations: {} };
    const noLeader: ApplyAction = {
      ...service,
      create: false,
      expectedUid: live.metadata?.uid ?? "",
      desired: noLeaderService,
      manifest: manifestOf(noLeaderService),
    };
    const noEndpoints = { ...(slice.desired as DesiredSlice), endpoints: [] };
    const emptySlice: ApplyAction = {
      ...slice,
      create: false,
      expectedUid: liveSlice.metadata?.uid ?? "",
      desired: noEndpoints,
      manifest: manifestOf(noEndpoints),
    };
    const results = await perform(noLeader, emptySlice);
    expect(results.map((r) => [r.status, r.error?.message])).toEqual([
      ["applied", undefined],
      ["applied", undefined],
    ]);
    const after = await core.readNamespacedService({ namespace, name: "web-leader" });
    expect(after.metadata?.uid).toBe(live.metadata?.uid);
    expect(after.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBeUndefined();
    const afterSlice = await discovery.readNamespacedEndpointSlice({ namespace, name: slice.name });
    expect(afterSlice.endpoints ?? []).toEqual([]);
  });

  it("refuses an update whose uid does not match (409 conflict), leaving the object unchanged", async () => {
    if (service === undefined) throw new Error("needs the first test");
    const before = await core.readNamespacedService({ namespace, name: "web-leader" });
    const results = await perform({
      ...service,
      create: false,
      expectedUid: "00000000-0000-0000-0000-000000000000",
    });
    expect(results.map((r) => r.status)).toEqual(["conflict"]);
    const after = await core.readNamespacedService({ namespace, name: "web-leader" });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it("never touches a foreign Service of the same name: a create gets 409, reported as conflict", async () => {
    await readyPod("api-0", "10.250.1.11");
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "api-leader", labels: { team: "someone-else" } },
        spec: { ports: [{ port: 9999 }] },
      },
    });
    const foreign = await core.readNamespacedService({ namespace, name: "api-leader" });
    // The core would not ask (NameCollision); a create raced by a foreign object must still be safe.
    const writes = await coreWrites("api");
    const create = writes.find((w) => w.kind === "Service" && w.name === "api-leader");
    expect(create?.create).toBe(true);
    const results = await perform(create as ApplyAction);
    expect(results.map((r) => [r.status, r.error !== undefined])).toEqual([["conflict", true]]);
    const after = await core.readNamespacedService({ namespace, name: "api-leader" });
    expect(after.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion);
    expect(after.metadata?.labels).toEqual({ team: "someone-else" });
    expect(after.spec?.ports?.map((p) => p.port)).toEqual([9999]);
  });

  it("deletes only with the right uid (a wrong one gets 409, the object stays); an update never recreates", async () => {
    if (slice === undefined) throw new Error("needs the first test");
    const live = await discovery.readNamespacedEndpointSlice({ namespace, name: slice.name });
    const remove = (uid: string): DeleteAction => ({
      type: "delete",
      kind: "EndpointSlice",
      namespace,
      name: slice?.name ?? "",
      uid,
      source: "web",
    });
    expect((await perform(remove("00000000-0000-0000-0000-000000000000"))).map((r) => r.status)).toEqual([
      "conflict",
    ]);
    await discovery.readNamespacedEndpointSlice({ namespace, name: slice.name });
    expect((await perform(remove(live.metadata?.uid ?? ""))).map((r) => r.status)).toEqual(["deleted"]);
    await expect(discovery.readNamespacedEndpointSlice({ namespace, name: slice.name })).rejects.toThrow();
    expect((await perform(remove(live.metadata?.uid ?? ""))).map((r) => r.status)).toEqual(["gone"]);
    // An update of the object that is gone does not bring it back.
    const update: ApplyAction = { ...slice, create: false, expectedUid: live.metadata?.uid ?? "" };
    const results = await perform(update);
    expect(results.map((r) => r.status)).toEqual(["conflict"]);
    await expect(discovery.readNamespacedEndpointSlice({ namespace, name: slice.name })).rejects.toThrow();
  });
});
