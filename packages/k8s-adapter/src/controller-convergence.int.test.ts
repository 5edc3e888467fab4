/**
 * zen-lead's objects converge whatever another writer did, and every collision is reported — on
 * the real control plane, with the controller running (issue: "Owned objects converge whatever
 * another writer did"). Another writer edits the leader Service or its slice by plain update (what
 * `kubectl edit` does), by merge patch and by server-side apply under its own field manager; a
 * foreign slice squats a slice name; zen-lead's labels appear on an object it does not own; two
 * sources ask for one leader name; an admission policy keeps a field zen-lead cannot remove.
 */
import { CoreV1Api, EventsV1Api } from "@kubernetes/client-node";
import { mapGet } from "@zen-lead/core";
import { clusterConfig, createDeployment, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteResult } from "./applier.ts";
import { type Controller, startController } from "./controller.ts";
import { createEventRecorder, kubeEventSink } from "./events.ts";
import { request } from "./http.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const events = kc.makeApiClient(EventsV1Api);
let namespace = "";
let controller: Controller | undefined;
const results: WriteResult[] = [];

type Json = Record<string, unknown>;
const servicePath = (name: string) => `/api/v1/namespaces/${namespace}/services/${name}`;
const slicePath = (name: string) =>
  `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}`;
const get = async (path: string) => (await request(kc, "GET", path)) as Json;
const spec = (o: Json) => (o.spec ?? {}) as Json;
const meta = (o: Json) => (o.metadata ?? {}) as Json & { labels?: Json; annotations?: Json; uid?: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The three ways another writer edits an object; each resolves with the server's answer (the
 * object as the edit left it: zen-lead may take it back a few milliseconds later).
 */
const EDITS = {
  /** GET, change, PUT: what `kubectl edit` and most controllers do. */
  update: async (path: string, patch: Json) => {
    const o = await get(path);
    mergeInto(o, patch);
    return (await request(kc, "PUT", path, { body: o })) as Json;
  },
  mergePatch: async (path: string, patch: Json) =>
    (await request(kc, "PATCH", path, { body: patch, contentType: "application/merge-patch+json" })) as Json,
  /** Server-side apply under another field manager, forcing: it then owns the fields. */
  apply: async (path: string, patch: Json) => {
    const o = await get(path);
    const { metadata: extra, ...rest } = patch as { metadata?: Json };
    const body = {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: meta(o).name, namespace, ...extra },
      ...rest,
    };
    return (await request(kc, "PATCH", path, {
      query: { fieldManager: "someone-else", force: true },
      contentType: "application/apply-patch+yaml",
      body,
    })) as Json;
  },
} as const;

async function createSource(name: string, annotations: Record<string, string> = {}) {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name, annotations: { "zen-lead.io/enabled": "true", ...annotations } },
      spec: { selector: { app: "conv" }, ports: [{ name: "web", port: 80, targetPort: 8080 }] },
    },
  });
}

async function warnings(service: string, reason: string) {
  const list = await events.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.regarding?.name === service && e.reason === reason);
}

beforeAll(async () => {
  namespace = await testNamespace("converge");
  await createDeployment(namespace, "conv", 3, { app: "conv" });
  const recorder = createEventRecorder({ sink: kubeEventSink(kc), instance: "zen-lead-convergence-test" });
  controller = startController({
    kc,
    namespaces: [namespace],
    onEvent: (e) => recorder.record(e),
    onWriteResult: (r) => {
      results.push(r);
      if (r.status === "drifted" && r.action.type === "apply") {
        recorder.record({
          type: "event",
          source: { namespace, name: r.action.source.split("/")[1] ?? "", uid: r.action.desired.owner.uid },
          eventType: "Warning",
          reason: "DriftNotCorrected",
          note: `${r.action.kind} ${r.action.name}: ${r.drift?.fields.join(", ")}`,
        });
      }
    },
  });
  await createSource("web");
  await waitFor("web's leader slice with an endpoint", async () => {
    const slice = await get(slicePath("web-leader-ipv4")).catch(() => undefined);
    return ((slice?.endpoints as unknown[] | undefined) ?? []).length === 1 ? slice : undefined;
  });
});

afterAll(async () => {
  await controller?.stop();
});

/**
 * A field of the leader Service, the change another writer makes (a patch, from the live object),
 * and how to tell it is zen-lead's again.
 */
const SERVICE_FIELDS: [string, Json | ((live: Json) => Json), (o: Json) => boolean][] = [
  ["a selector", { spec: { selector: { app: "conv" } } }, (o) => spec(o).selector === undefined],
  ["type NodePort", { spec: { type: "NodePort" } }, (o) => spec(o).type === "ClusterIP"],
  [
    "type LoadBalancer with its fields",
    {
      spec: {
        type: "LoadBalancer",
        loadBalancerSourceRanges: ["10.0.0.0/8"],
        allocateLoadBalancerNodePorts: false,
        externalTrafficPolicy: "Local",
      },
    },
    (o) =>
      spec(o).type === "ClusterIP" &&
      spec(o).loadBalancerSourceRanges === undefined &&
      spec(o).allocateLoadBalancerNodePorts === undefined &&
      spec(o).externalTrafficPolicy === undefined,
  ],
  ["external IPs", { spec: { externalIPs: ["192.0.2.7"] } }, (o) => spec(o).externalIPs === undefined],
  [
    "type ExternalName",
    { spec: { type: "ExternalName", externalName: "elsewhere.example.com" } },
    (o) =>
      spec(o).type === "ClusterIP" && spec(o).externalName === undefined && spec(o).clusterIP !== undefined,
  ],
  ["session affinity", { spec: { sessionAffinity: "ClientIP" } }, (o) => spec(o).sessionAffinity === "None"],
  [
    "the internal traffic policy",
    { spec: { internalTrafficPolicy: "Local" } },
    (o) => spec(o).internalTrafficPolicy === "Cluster",
  ],
  [
    "publishNotReadyAddresses",
    { spec: { publishNotReadyAddresses: true } },
    (o) => spec(o).publishNotReadyAddresses !== true,
  ],
  [
    "another port",
    {
      spec: {
        ports: [
          { name: "web", port: 80, protocol: "TCP", targetPort: 8080 },
          { name: "x", port: 9999 },
        ],
      },
    },
    (o) => ((spec(o).ports as unknown[] | undefined) ?? []).length === 1,
  ],
  [
    "kube-proxy's opt-out label",
    { metadata: { labels: { "service.kubernetes.io/service-proxy-name": "elsewhere" } } },
    (o) => meta(o).labels?.["service.kubernetes.io/service-proxy-name"] === undefined,
  ],
  [
    "another ownerReference",
    // A list: a merge patch replaces it whole, so the other writer sends zen-lead's entry too.
    (live) => ({
      metadata: {
        ownerReferences: [
          ...((meta(live).ownerReferences as unknown[] | undefined) ?? []),
          { apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "3f0c8c5e-0000-4000-8000-000000000001" },
        ],
      },
    }),
    (o) => ((meta(o).ownerReferences as unknown[] | undefined) ?? []).length === 1,
  ],
  [
    "the leader annotation",
    { metadata: { annotations: { "zen-lead.io/leader-pod": "someone" } } },
    (o) => meta(o).annotations?.["zen-lead.io/leader-pod"] !== "someone",
  ],
];

describe("owned objects converge whatever another writer did", () => {
  for (const [what, change, converged] of SERVICE_FIELDS) {
    it(`takes back ${what} on the leader Service, however it was written`, async () => {
      for (const [how, edit] of Object.entries(EDITS)) {
        const before = await get(servicePath("web-leader"));
        const patch = typeof change === "function" ? change(before) : change;
        const edited = await edit(servicePath("web-leader"), patch);
        expect(converged(edited), `${how}: the edit took`).toBe(false);
        await waitFor(`${what} taken back after ${how}`, async () => {
          const now = await get(servicePath("web-leader"));
          return converged(now) ? now : undefined;
        });
        // Still the same object: corrected in place, never deleted and created again.
        expect(meta(await get(servicePath("web-leader"))).uid).toBe(meta(before).uid);
      }
    });
  }

  it("takes back the slice's endpoints, ports and labels, however they were written", async () => {
    const patch = {
      endpoints: [{ addresses: ["10.244.9.9"], conditions: { ready: true } }],
      ports: [{ name: "web", port: 1234, protocol: "TCP" }],
      metadata: { labels: { "service.kubernetes.io/headless": "" } },
    };
    const converged = (o: Json) =>
      ((o.endpoints as Json[] | undefined) ?? []).length === 1 &&
      ((o.endpoints as { addresses: string[] }[])[0]?.addresses[0] ?? "") !== "10.244.9.9" &&
      ((o.ports as { port: number }[] | undefined) ?? [])[0]?.port === 8080 &&
      meta(o).labels?.["service.kubernetes.io/headless"] === undefined;
    for (const [how, edit] of Object.entries(EDITS)) {
      const edited = await edit(slicePath("web-leader-ipv4"), patch);
      expect(converged(edited), `${how}: the edit took`).toBe(false);
      await waitFor(`the slice taken back after ${how}`, async () => {
        const now = await get(slicePath("web-leader-ipv4"));
        return converged(now) ? now : undefined;
      });
    }
  });

  it("finds its slice again when another writer takes its managed-by label away, and puts it back", async () => {
    const uid = meta(await get(slicePath("web-leader-ipv4"))).uid;
    // Into the built-in mirroring controller's hands (still in zen-lead's watch, which selects on
    // app.kubernetes.io/managed-by; a foreign slice at the name is found by name: the squatter test).
    await EDITS.mergePatch(slicePath("web-leader-ipv4"), {
      metadata: { labels: { "endpointslice.kubernetes.io/managed-by": "someone-else" } },
    });
    await waitFor("the managed-by label put back on the same slice", async () => {
      const now = await get(slicePath("web-leader-ipv4"));
      return meta(now).labels?.["endpointslice.kubernetes.io/managed-by"] === "controller.zen-lead.io" &&
        meta(now).uid === uid
        ? now
        : undefined;
    });
  });
});

describe("zen-lead's labels taken away from its own objects (a mistyped `kubectl label`)", () => {
  const cases = [
    ["the slice", slicePath, "web-leader-ipv4", "app.kubernetes.io/managed-by"],
    ["the slice", slicePath, "web-leader-ipv4", "zen-lead.io/source-service"],
    ["the leader Service", servicePath, "web-leader", "app.kubernetes.io/managed-by"],
    ["the leader Service", servicePath, "web-leader", "zen-lead.io/source-service"],
  ] as const;
  for (const [what, path, name, label] of cases) {
    it(`puts ${label} back on ${what}: the same objects, no NameCollision, the leader Service never deleted`, async () => {
      const objects = {
        slice: meta(await get(slicePath("web-leader-ipv4"))).uid,
        service: meta(await get(servicePath("web-leader"))).uid,
      };
      const value = meta(await get(path(name))).labels?.[label];
      // The slice leaves zen-lead's slice watch when its managed-by label goes: found again by name.
      await EDITS.mergePatch(path(name), { metadata: { labels: { [label]: null } } });
      await waitFor(`${label} put back on ${what}`, async () => {
        const now = await get(path(name));
        return meta(now).labels?.[label] === value ? now : undefined;
      });
      expect(meta(await get(slicePath("web-leader-ipv4"))).uid).toBe(objects.slice);
      expect(meta(await get(servicePath("web-leader"))).uid).toBe(objects.service);
      expect(await warnings("web", "NameCollision")).toEqual([]);
    });
  }
});

describe("another controller's EndpointSlice for the leader Service", () => {
  const slicesOf = async (service: string) =>
    (
      (await request(kc, "GET", `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
        query: { labelSelector: `kubernetes.io/service-name=${service}` },
      })) as { items: Json[] }
    ).items;
  const managedBy = (o: Json) => meta(o).labels?.["endpointslice.kubernetes.io/managed-by"];

  it("is deleted: the built-in controller's slice made while someone had given the leader Service a selector", async () => {
    const leader = await get(servicePath("web-leader"));
    // What the built-in EndpointSlice controller writes (it copies the Service's labels).
    const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=conv" });
    const stray = (await request(
      kc,
      "POST",
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      {
        body: {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            generateName: "web-leader-",
            labels: {
              ...(meta(leader).labels as Json),
              "kubernetes.io/service-name": "web-leader",
              "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
            ownerReferences: [
              {
                apiVersion: "v1",
                kind: "Service",
                name: "web-leader",
                uid: meta(leader).uid,
                controller: true,
              },
            ],
          },
          addressType: "IPv4",
          endpoints: pods.items.map((p) => ({
            addresses: [p.status?.podIP ?? "10.244.0.9"],
            conditions: { ready: true },
            targetRef: { kind: "Pod", name: p.metadata?.name, namespace, uid: p.metadata?.uid },
          })),
          ports: [{ name: "web", port: 8080, protocol: "TCP" }],
        },
      },
    )) as Json;
    await waitFor("the stray slice deleted", async () =>
      (await slicesOf("web-leader")).some((o) => meta(o).name === meta(stray).name) ? undefined : true,
    );
    // Its answer reaches the applier a moment after the deletion is visible to others.
    const deleted = await waitFor("the delete's result", async () =>
      results.find((r) => r.action.name === meta(stray).name),
    );
    expect(deleted).toMatchObject({ status: "deleted", action: { type: "delete", stray: true } });
    // zen-lead's own slice and leader are untouched.
    expect((await slicesOf("web-leader")).map(managedBy)).toEqual(["controller.zen-lead.io"]);
  });

  it("leaves none behind after a plain update gives the leader Service a selector", async () => {
    await EDITS.update(servicePath("web-leader"), { spec: { selector: { app: "conv" } } });
    await waitFor("the selector taken back", async () =>
      spec(await get(servicePath("web-leader"))).selector === undefined ? true : undefined,
    );
    // The built-in controller may have written its slice meanwhile: within moments only zen-lead's
    // remains, and stays the only one.
    await waitFor("only zen-lead's slice for web-leader", async () => {
      const slices = await slicesOf("web-leader");
      return slices.length === 1 && managedBy(slices[0] as Json) === "controller.zen-lead.io"
        ? true
        : undefined;
    });
    await sleep(2_000);
    expect((await slicesOf("web-leader")).map(managedBy)).toEqual(["controller.zen-lead.io"]);
  });
});

describe("a write that cannot converge", () => {
  it("is said once as DriftNotCorrected, is not repeated as is, and never holds back another correction", async () => {
    // An admission policy that sets session affinity on `mad-leader` whatever anyone writes.
    await request(kc, "POST", "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies", {
      body: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingAdmissionPolicy",
        metadata: { name: `${namespace}-external-ips` },
        spec: {
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["services"],
              },
            ],
          },
          matchConditions: [
            {
              name: "mad",
              expression: `object.metadata.namespace == '${namespace}' && object.metadata.name == 'mad-leader'`,
            },
          ],
          failurePolicy: "Fail",
          reinvocationPolicy: "Never",
          mutations: [
            {
              patchType: "ApplyConfiguration",
              applyConfiguration: { expression: 'Object{spec: Object.spec{sessionAffinity: "ClientIP"}}' },
            },
          ],
        },
      },
    });
    await request(kc, "POST", "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings", {
      body: {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingAdmissionPolicyBinding",
        metadata: { name: `${namespace}-external-ips` },
        spec: { policyName: `${namespace}-external-ips` },
      },
    });
    try {
      // The policy takes a moment to be loaded by the API server: until it mutates, try again.
      await waitFor("the admission policy in force", async () => {
        await core.createNamespacedService({
          namespace,
          body: { metadata: { name: "mad-leader" }, spec: { ports: [{ port: 80 }] } },
        });
        const probe = await get(servicePath("mad-leader"));
        await core.deleteNamespacedService({ namespace, name: "mad-leader" });
        await waitFor("the probe gone", async () =>
          (await get(servicePath("mad-leader")).catch(() => undefined)) === undefined ? true : undefined,
        );
        return spec(probe).sessionAffinity === "ClientIP" ? true : undefined;
      });
      await createSource("mad");
      const warning = await waitFor("a DriftNotCorrected warning", async () => {
        const found = await warnings("mad", "DriftNotCorrected");
        return found.length > 0 ? found : undefined;
      });
      expect(warning[0]?.note).toContain("spec.sessionAffinity=ClientIP");
      const drifted = results.filter((r) => r.action.name === "mad-leader" && r.status === "drifted");
      expect(drifted.length).toBeGreaterThanOrEqual(1);
      // ClientIP brings the API server's default sessionAffinityConfig with it.
      expect(drifted[0]?.drift?.fields).toEqual([
        "spec.sessionAffinity=ClientIP",
        "spec.sessionAffinityConfig",
      ]);

      // Another writer changes the type: corrected at once, though the session affinity stays.
      const writes = () => results.filter((r) => r.action.name === "mad-leader").length;
      const before = writes();
      await EDITS.mergePatch(servicePath("mad-leader"), { spec: { type: "NodePort" } });
      await waitFor("type ClusterIP again", async () =>
        spec(await get(servicePath("mad-leader"))).type === "ClusterIP" ? true : undefined,
      );
      await waitFor("the correction written", () => (writes() > before ? true : undefined));
      // Not repeated as is: once its own write's echo is in, nothing new is observed and nothing
      // more is written (for the suppression window, 30 s at first).
      await sleep(1000);
      const settled = writes();
      await sleep(3000);
      expect(writes()).toBe(settled);
      expect(settled - before).toBeLessThanOrEqual(2);
    } finally {
      await request(
        kc,
        "DELETE",
        `/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings/${namespace}-external-ips`,
      );
      await request(
        kc,
        "DELETE",
        `/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies/${namespace}-external-ips`,
      );
    }
  });
});

describe("every collision is seen and said", () => {
  it("leaves a foreign slice squatting a slice name untouched, says NameCollision, and takes the name when it goes", async () => {
    await request(kc, "POST", `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      body: {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: "squat-leader-ipv4", labels: { "kubernetes.io/service-name": "squat-leader" } },
        addressType: "IPv4",
        endpoints: [],
      },
    });
    const squatter = await get(slicePath("squat-leader-ipv4"));
    await createSource("squat");
    const collision = await waitFor("a NameCollision warning", async () => {
      const found = await warnings("squat", "NameCollision");
      return found.length > 0 ? found : undefined;
    });
    expect(collision[0]?.note).toBe(
      "EndpointSlice squat-leader-ipv4 exists and is not zen-lead's for this Service; leaving it untouched (no leader is published for this Service meanwhile)",
    );
    // No leader Service naming a leader that gets no traffic.
    await waitFor("no squat-leader Service", async () =>
      (await get(servicePath("squat-leader")).catch(() => undefined)) === undefined ? true : undefined,
    );
    // The squatter was never written, and its create was refused once, not retried.
    expect(meta(await get(slicePath("squat-leader-ipv4"))).resourceVersion).toBe(
      meta(squatter).resourceVersion,
    );
    const creates = results.filter((r) => r.action.name === "squat-leader-ipv4");
    expect(creates.map((r) => r.status)).toEqual(["conflict"]);
    // Nothing else was written for it: no leader Service created (and deleted again), and no
    // leader change announced for a leader that was never published.
    const squatWrites = results.filter((r) => r.action.source === `${namespace}/squat`);
    expect(squatWrites.map((r) => `${r.action.type} ${r.action.kind} ${r.status}`)).toEqual([
      "apply EndpointSlice conflict",
    ]);
    expect(await warnings("squat", "LeaderChanged")).toEqual([]);

    await request(kc, "DELETE", slicePath("squat-leader-ipv4"));
    await waitFor("zen-lead's own slice with an endpoint", async () => {
      const slice = await get(slicePath("squat-leader-ipv4")).catch(() => undefined);
      const ours =
        meta(slice ?? {}).labels?.["endpointslice.kubernetes.io/managed-by"] === "controller.zen-lead.io";
      return ours && ((slice?.endpoints as unknown[] | undefined) ?? []).length === 1 ? true : undefined;
    });
    await waitFor("squat-leader created", () => get(servicePath("squat-leader")));
    // Announced once, when it is published.
    await waitFor("the LeaderChanged Event", async () =>
      (await warnings("squat", "LeaderChanged")).length === 1 ? true : undefined,
    );
  });

  it("never deletes a slice carrying its labels and an ownerReference to an unrelated Service", async () => {
    const other = await core.createNamespacedService({
      namespace,
      body: { metadata: { name: "unrelated" }, spec: { ports: [{ port: 80 }] } },
    });
    await request(kc, "POST", `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
      body: {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "stray-ipv4",
          labels: {
            "app.kubernetes.io/managed-by": "zen-lead",
            "zen-lead.io/source-service": "web",
            "kubernetes.io/service-name": "stray",
            "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
          },
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "Service",
              name: "unrelated",
              uid: other.metadata?.uid ?? "",
              controller: true,
            },
          ],
        },
        addressType: "IPv4",
        endpoints: [],
      },
    });
    // Once zen-lead has seen it (its label-selected watch does), it has not touched it.
    await waitFor("the stray slice seen by zen-lead", () => {
      const state = controller?.state();
      return state !== undefined && mapGet(state.slices, `${namespace}/stray-ipv4`) !== undefined
        ? true
        : undefined;
    });
    await sleep(500);
    expect(await get(slicePath("stray-ipv4"))).toBeDefined();
    expect(results.filter((r) => r.action.name === "stray-ipv4")).toEqual([]);
  });

  it("keeps a leader name with the source holding it: a later claimant gets NameCollision", async () => {
    await createSource("dup-b", { "zen-lead.io/leader-service-name": "shared" });
    const held = await waitFor("shared created for dup-b", () => get(servicePath("shared")));
    await sleep(1500);
    await createSource("dup-a", { "zen-lead.io/leader-service-name": "shared" });
    const collision = await waitFor("dup-a's NameCollision", async () => {
      const found = await warnings("dup-a", "NameCollision");
      return found.length > 0 ? found : undefined;
    });
    expect(collision[0]?.note).toBe(
      "Service shared is held by Service dup-b, which keeps it (no leader is published for this Service meanwhile)",
    );
    const now = await get(servicePath("shared"));
    expect([meta(now).uid, spec(now).clusterIP]).toEqual([meta(held).uid, spec(held).clusterIP]);
    expect(meta(now).labels?.["zen-lead.io/source-service"]).toBe("dup-b");
  });

  it("refuses a min-ready duration beyond Go's range with InvalidAnnotation", async () => {
    await createSource("forever", { "zen-lead.io/min-ready-duration": "99999999h" });
    const invalid = await waitFor("an InvalidAnnotation warning", async () => {
      const found = await warnings("forever", "InvalidAnnotation");
      return found.length > 0 ? found : undefined;
    });
    expect(invalid[0]?.note).toBe(
      'zen-lead.io/min-ready-duration="99999999h" is beyond the range of a Go duration (about 292 years); using 0s',
    );
  });
});

/** Deep-merges a patch into an object read from the API (what a plain update with that change sends). */
function mergeInto(target: Json, patch: Json) {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === "object" &&
      current !== null &&
      !Array.isArray(current)
    ) {
      mergeInto(current as Json, value as Json);
    } else target[key] = value;
  }
}
