import { type ApplyAction, type DeleteAction, desiredObjects, manifestOf } from "@zen-lead/core";
import { podJson, serviceJson } from "@zen-lead/core/testing";
import { describe, expect, it } from "vitest";
import { ApiModel } from "./api-model.ts";
import { type ApiObject, DEFAULT_API_BEHAVIOUR } from "./model.ts";

const NOW = Date.UTC(2025, 0, 1);

function leaderService(): ApplyAction {
  const source = {
    kind: "Service" as const,
    namespace: "default",
    name: "web",
    uid: "uid-src",
    annotations: {},
    labels: {},
    createdAt: 0,
    owners: [],
    extraSpec: [],
    selector: { app: "web" },
    type: "ClusterIP" as const,
    headless: false,
    ipFamilies: ["IPv4" as const],
    ports: [{ name: "http", protocol: "TCP" as const, port: 80, targetPort: 8080 }],
  };
  const [service] = desiredObjects({
    source,
    leaderServiceName: "web-leader",
    leader: undefined,
    leaderPod: undefined,
    leaderZone: undefined,
  }).objects;
  if (service === undefined) throw new Error("no desired Service");
  return {
    type: "apply",
    kind: "Service",
    namespace: "default",
    name: "web-leader",
    create: true,
    desired: service,
    manifest: manifestOf(service),
    source: "default/web",
  };
}

function model(behaviour = {}) {
  return new ApiModel(7, { ...DEFAULT_API_BEHAVIOUR, ...behaviour });
}

describe("ApiModel", () => {
  it("assigns uids and a global, increasing resourceVersion; fills in namespace and creationTimestamp", () => {
    const api = model();
    const pod = podJson("a") as ApiObject;
    const { uid: _uid, namespace: _ns, creationTimestamp: _ct, ...bare } = pod.metadata;
    const added = api.put("Pod", { ...pod, metadata: bare } as ApiObject, NOW);
    expect(added?.type).toBe("ADDED");
    expect(added?.object.raw.metadata).toMatchObject({
      name: "a",
      namespace: "default",
      uid: "uid-1",
      resourceVersion: "1",
      creationTimestamp: "2025-01-01T00:00:00Z",
    });
    const svc = api.put("Service", serviceJson("web") as ApiObject, NOW);
    expect(svc?.object.resourceVersion).toBe(2);
    expect(svc?.object.uid).toBe("uid-svc-default-web"); // a given uid is kept
    const modified = api.put(
      "Pod",
      { ...pod, metadata: { ...bare, labels: { app: "other" } } } as ApiObject,
      NOW,
    );
    expect(modified?.type).toBe("MODIFIED");
    expect(modified?.object.uid).toBe("uid-1"); // same object, same uid
    expect(modified?.object.resourceVersion).toBe(3);
    expect(api.remove("Pod", "default", "a")?.type).toBe("DELETED");
    expect(api.resourceVersion).toBe(4);
    expect(api.remove("Pod", "default", "a")).toBeUndefined();
  });

  it("ignores a put that changes nothing (same content, or the same source resourceVersion)", () => {
    const api = model();
    const pod = podJson("a") as ApiObject;
    api.put("Pod", pod, NOW);
    expect(api.put("Pod", pod, NOW)).toBeUndefined();
    const versioned = { ...pod, metadata: { ...pod.metadata, resourceVersion: "900" } } as ApiObject;
    expect(api.put("Pod", versioned, NOW)?.type).toBe("MODIFIED");
    expect(api.put("Pod", versioned, NOW)).toBeUndefined();
    expect(api.get("Pod", "default", "a")?.raw.metadata.resourceVersion).toBe("2"); // the model's own
  });

  it("refuses a create over an existing object with 409 AlreadyExists", () => {
    const api = model();
    const create = leaderService();
    const first = api.apply(create, NOW);
    expect(first).toMatchObject({ verb: "create", status: 201, injected: false, unchanged: false });
    expect(first.change?.type).toBe("ADDED");
    const again = api.apply(create, NOW);
    expect(again).toMatchObject({ status: 409, injected: false });
    expect(again.reason).toMatch(/^AlreadyExists/);
    expect(again.change).toBeUndefined();
  });

  it("fills in the API server's defaults on a Service zen-lead creates, and keeps them on update", () => {
    const api = model();
    const created = api.apply(leaderService(), NOW).stored;
    expect(created?.raw.spec).toMatchObject({
      type: "ClusterIP",
      clusterIP: "10.96.200.1",
      clusterIPs: ["10.96.200.1"],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
    });
    const update: ApplyAction = { ...leaderService(), create: false, expectedUid: created?.uid as string };
    const same = api.apply(update, NOW);
    expect(same).toMatchObject({ status: 200, unchanged: true });
    expect(same.change).toBeUndefined(); // no watch event, no new resourceVersion
    expect(api.resourceVersion).toBe(1);
  });

  it("updates only the object with the expected uid: 404 when absent, 409 on another uid", () => {
    const api = model();
    const base = leaderService();
    const update: ApplyAction = { ...base, create: false, expectedUid: "uid-1" };
    expect(api.apply(update, NOW)).toMatchObject({ verb: "update", status: 404 });
    api.apply(base, NOW);
    const changed: ApplyAction = {
      ...update,
      manifest: {
        ...base.manifest,
        metadata: { ...(base.manifest.metadata as object), annotations: { "zen-lead.io/leader-pod": "a" } },
      },
    };
    const ok = api.apply(changed, NOW + 5_000);
    expect(ok).toMatchObject({ status: 200, unchanged: false });
    expect(ok.change?.type).toBe("MODIFIED");
    expect(ok.stored?.uid).toBe("uid-1");
    expect(ok.stored?.resourceVersion).toBe(2);
    expect(ok.stored?.raw.metadata.creationTimestamp).toBe("2025-01-01T00:00:00Z");
    expect(api.apply({ ...changed, expectedUid: "uid-other" }, NOW)).toMatchObject({ status: 409 });
  });

  it("deletes with a uid precondition", () => {
    const api = model();
    api.apply(leaderService(), NOW);
    const del: DeleteAction = {
      type: "delete",
      kind: "Service",
      namespace: "default",
      name: "web-leader",
      uid: "uid-9",
      source: "default/web",
    };
    expect(api.delete(del)).toMatchObject({ status: 409 });
    const ok = api.delete({ ...del, uid: "uid-1" });
    expect(ok).toMatchObject({ status: 200 });
    expect(ok.change?.type).toBe("DELETED");
    expect(api.delete({ ...del, uid: "uid-1" })).toMatchObject({ status: 404 });
  });

  it("injects failures from its seeded PRNG, deterministically, and applies nothing then", () => {
    const outcomes = (seed: number) => {
      const api = new ApiModel(seed, {
        ...DEFAULT_API_BEHAVIOUR,
        writeFailureRate: 0.5,
        writeFailureCodes: [429, 500],
      });
      return Array.from({ length: 20 }, () => api.apply(leaderService(), NOW).status);
    };
    const first = outcomes(3);
    expect(outcomes(3)).toEqual(first);
    expect(first).toContain(429);
    expect(first).toContain(500);
    expect(first.filter((s) => s === 201)).toHaveLength(1); // then AlreadyExists
    const api = model({ writeFailureRate: 1 });
    expect(api.apply(leaderService(), NOW)).toMatchObject({ status: 500, injected: true });
    expect(api.count("Service")).toBe(0);
    api.changeBehaviour({ writeFailureRate: 0 });
    expect(api.apply(leaderService(), NOW).status).toBe(201);
  });
});
