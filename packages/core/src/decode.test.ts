/**
 * Decoding API JSON into views: only the fields the decisions read survive, the API server's
 * defaults are applied, and a malformed object becomes a one-line reason — never an exception.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, decodeEndpointSlice, decodeNode, decodePod, decodeService } from "./decode.ts";
import { fromWatch } from "./events.ts";
import { nodeJson, podJson, serviceJson } from "./testing/fixtures.ts";
import { type DecodeFailure, isFailure, KINDS, type Kind } from "./views.ts";

type Json = Record<string, unknown>;
const at = (raw: Json, key: string) => raw[key] as Json;

/** The reason of a decode that must fail. */
function reasonOf(result: ReturnType<typeof decode>): string {
  if (!isFailure(result)) throw new Error(`expected a decode failure, got a ${result.kind} view`);
  return result.reason;
}

describe("Services", () => {
  it("keep only what zen-lead reads: its own annotations and labels, selector, type, families, ports", () => {
    const raw = serviceJson("web", {
      annotations: {
        "zen-lead.io/enabled": "true",
        "kubectl.kubernetes.io/last-applied-configuration": "{...}",
      },
      labels: { app: "web", "app.kubernetes.io/managed-by": "zen-lead", "zen-lead.io/source-service": "x" },
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "x", uid: "uid-x" }],
      type: "NodePort",
      ports: [
        { name: "http", protocol: "TCP", appProtocol: "http", port: 80, targetPort: 8080, nodePort: 30080 },
      ],
    });
    const spec = at(raw, "spec");
    const withExtras = {
      ...raw,
      metadata: { ...at(raw, "metadata"), resourceVersion: "42", managedFields: [{ manager: "kubectl" }] },
      spec: { ...spec, sessionAffinity: "None", externalTrafficPolicy: "Cluster" },
      status: { loadBalancer: {} },
    };
    expect(decodeService(withExtras)).toEqual({
      kind: "Service",
      namespace: "default",
      name: "web",
      uid: "uid-svc-default-web",
      createdAt: 0,
      annotations: { "zen-lead.io/enabled": "true" },
      labels: { "app.kubernetes.io/managed-by": "zen-lead", "zen-lead.io/source-service": "x" },
      owners: [{ apiVersion: "v1", kind: "Service", name: "x", uid: "uid-x", controller: false }],
      selector: { app: "web" },
      type: "NodePort",
      headless: false,
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: [{ name: "http", protocol: "TCP", appProtocol: "http", port: 80, targetPort: 8080 }],
      extraSpec: ["spec.externalTrafficPolicy=Cluster"],
    });
  });

  it("list every spec field beyond a plain ClusterIP Service's (what a leader Service must not have)", () => {
    const raw = serviceJson("web-leader", { selector: null, type: "LoadBalancer" });
    const view = decodeService({
      ...raw,
      spec: {
        ...at(raw, "spec"),
        externalIPs: ["1.2.3.4"],
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } },
        internalTrafficPolicy: "Local",
        externalTrafficPolicy: "Local",
        publishNotReadyAddresses: true,
        loadBalancerSourceRanges: ["10.0.0.0/8"],
        allocateLoadBalancerNodePorts: false,
        healthCheckNodePort: 31000,
        trafficDistribution: "PreferClose",
        // At their defaults, or empty: nothing to say.
        loadBalancerIP: "",
        externalName: null,
      },
    });
    expect(isFailure(view) ? view.reason : view.extraSpec).toEqual([
      "spec.allocateLoadBalancerNodePorts=false",
      "spec.externalIPs",
      "spec.externalTrafficPolicy=Local",
      "spec.healthCheckNodePort=31000",
      "spec.internalTrafficPolicy=Local",
      "spec.loadBalancerSourceRanges",
      "spec.publishNotReadyAddresses=true",
      "spec.sessionAffinity=ClientIP",
      "spec.sessionAffinityConfig",
      "spec.trafficDistribution=PreferClose",
    ]);
    const plain = decodeService({
      ...raw,
      spec: {
        ...at(raw, "spec"),
        type: "ClusterIP",
        sessionAffinity: "None",
        internalTrafficPolicy: "Cluster",
      },
    });
    expect(isFailure(plain) ? plain.reason : plain.extraSpec).toEqual([]);
  });

  it("keep every ownerReference with its controller flag, and the creation time", () => {
    const raw = serviceJson("web-leader", {
      ownerReferences: [
        { apiVersion: "v1", kind: "Service", name: "web", uid: "uid-web", controller: true },
        { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "uid-d" },
      ],
    });
    const view = decodeService({
      ...raw,
      metadata: { ...at(raw, "metadata"), creationTimestamp: "2026-01-02T03:04:05Z" },
    });
    expect(view).toMatchObject({
      createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
      owners: [
        { apiVersion: "v1", kind: "Service", name: "web", uid: "uid-web", controller: true },
        { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "uid-d", controller: false },
      ],
    });
  });

  it("apply the API server's defaults: protocol TCP, targetPort = port, type ClusterIP", () => {
    const raw = serviceJson("web", { ports: [{ port: 80 }, { port: 53, targetPort: 0, protocol: "UDP" }] });
    const { type: _type, ipFamilies: _families, ipFamilyPolicy: _policy, ...spec } = at(raw, "spec");
    const view = decodeService({ ...raw, spec });
    expect(view).toMatchObject({
      type: "ClusterIP",
      ipFamilies: [],
      ports: [
        { name: "", protocol: "TCP", port: 80, targetPort: 80 },
        { name: "", protocol: "UDP", port: 53, targetPort: 53 },
      ],
    });
    expect(view).not.toHaveProperty("ipFamilyPolicy");
  });

  it("keep a named or numeric-string targetPort as given", () => {
    const view = decodeService(
      serviceJson("web", {
        ports: [
          { name: "a", port: 80, targetPort: "web" },
          { port: 81, targetPort: "8081" },
        ],
      }),
    );
    expect(isFailure(view) ? [] : view.ports.map((p) => p.targetPort)).toEqual(["web", "8081"]);
  });

  it.each([
    ["an empty selector", {}],
    ["a null selector", null],
  ])("read %s as no selector", (_, selector) => {
    const raw = serviceJson("web");
    expect(decodeService({ ...raw, spec: { ...at(raw, "spec"), selector } })).toMatchObject({
      selector: undefined,
    });
  });

  it('read clusterIP "None" as headless', () => {
    expect(decodeService(serviceJson("web", { clusterIP: "None" }))).toMatchObject({ headless: true });
  });

  it("tolerate null lists and maps, as some clients send them", () => {
    const raw = serviceJson("web");
    const view = decodeService({
      ...raw,
      metadata: { ...at(raw, "metadata"), labels: null, annotations: null, ownerReferences: null },
      spec: { ...at(raw, "spec"), ports: null, ipFamilies: null },
    });
    expect(view).toMatchObject({ annotations: {}, labels: {}, owners: [], ports: [], ipFamilies: [] });
  });
});

describe("Pods", () => {
  it("keep labels, times, phase, readiness, IPs, node and container ports, and nothing else", () => {
    const raw = podJson("web-0", {
      labels: { app: "web", "pod-template-hash": "abc" },
      created: 10,
      readySince: 20,
      ips: ["10.0.0.1", "fd00::1"],
      node: "node-a",
      deleting: 30,
      containerPorts: [
        { name: "http", containerPort: 8080 },
        { containerPort: 53, protocol: "UDP" },
      ],
    });
    const status = at(raw, "status");
    const withExtras = {
      ...raw,
      spec: { ...at(raw, "spec"), restartPolicy: "Always" },
      status: { ...status, hostIP: "192.168.0.1", containerStatuses: [{ name: "main", ready: true }] },
    };
    expect(decodePod(withExtras)).toEqual({
      kind: "Pod",
      namespace: "default",
      name: "web-0",
      uid: "uid-default-web-0",
      labels: { app: "web", "pod-template-hash": "abc" },
      createdAt: 10_000,
      deletedAt: 30_000,
      phase: "Running",
      ready: true,
      readySince: 20_000,
      ips: ["10.0.0.1", "fd00::1"],
      nodeName: "node-a",
      containerPorts: [
        { name: "http", containerPort: 8080, protocol: "TCP" },
        { name: "", containerPort: 53, protocol: "UDP" },
      ],
    });
  });

  it("read the Ready condition: not Ready has no readySince; Ready with no time counts from creation", () => {
    expect(decodePod(podJson("p", { ready: false }))).not.toHaveProperty("readySince");
    const raw = podJson("p", { created: 7 });
    const status = at(raw, "status");
    const untimed = { ...status, conditions: [{ type: "Ready", status: "True", lastTransitionTime: null }] };
    expect(decodePod({ ...raw, status: untimed })).toMatchObject({ ready: true, readySince: 7000 });
    const unknown = { ...status, conditions: [{ type: "Ready", status: "Unknown" }] };
    expect(decodePod({ ...raw, status: unknown })).toMatchObject({ ready: false });
    const none = { ...status, conditions: [{ type: "PodScheduled", status: "True" }] };
    expect(decodePod({ ...raw, status: none })).toMatchObject({ ready: false });
  });

  it("fall back to status.podIP when podIPs is absent, and default the phase to Pending", () => {
    const raw = podJson("p");
    expect(decodePod({ ...raw, status: { podIP: "10.0.0.9" } })).toMatchObject({
      ips: ["10.0.0.9"],
      phase: "Pending",
      ready: false,
    });
    expect(decodePod({ ...raw, status: {} })).toMatchObject({ ips: [] });
  });
});

describe("EndpointSlices", () => {
  const meta = { name: "s", namespace: "default", uid: "u" };

  it("read a nil condition as ready (and serving as ready, terminating as false)", () => {
    const view = decodeEndpointSlice({
      metadata: meta,
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.1"] },
        { addresses: ["10.0.0.2"], conditions: { ready: null, serving: null, terminating: null } },
        { addresses: ["10.0.0.3"], conditions: { ready: false } },
        { addresses: ["10.0.0.4"], conditions: { ready: false, serving: true, terminating: true } },
      ],
    });
    expect(isFailure(view) ? [] : view.endpoints.map((e) => [e.ready, e.serving, e.terminating])).toEqual([
      [true, true, false],
      [true, true, false],
      [false, false, false],
      [false, true, true],
    ]);
  });

  it("keep the targetRef of a Pod only, the node, the zone and zen-lead's labels", () => {
    const view = decodeEndpointSlice({
      metadata: {
        ...meta,
        labels: { "kubernetes.io/service-name": "web-leader", "service.kubernetes.io/headless": "" },
        ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "uid-web" }],
      },
      addressType: "IPv4",
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          targetRef: { kind: "Pod", namespace: "default", name: "web-0", uid: "uid-0" },
          nodeName: "node-a",
          zone: "z1",
          hints: { forZones: [{ name: "z1" }] },
        },
        { addresses: ["10.0.0.2"], targetRef: { kind: "Node", name: "n", uid: "uid-n" }, nodeName: null },
      ],
      ports: [
        { name: "http", protocol: "TCP", port: 8080, appProtocol: "http" },
        { name: null, port: null },
      ],
    });
    expect(view).toEqual({
      kind: "EndpointSlice",
      ...meta,
      // kube-proxy's opt-out label is kept: on zen-lead's slice it is drift to correct.
      labels: { "kubernetes.io/service-name": "web-leader", "service.kubernetes.io/headless": "" },
      owners: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "uid-web", controller: false }],
      addressType: "IPv4",
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          ready: true,
          serving: true,
          terminating: false,
          podName: "web-0",
          podUid: "uid-0",
          nodeName: "node-a",
          zone: "z1",
        },
        { addresses: ["10.0.0.2"], ready: true, serving: true, terminating: false },
      ],
      ports: [
        { name: "http", protocol: "TCP", appProtocol: "http", port: 8080 },
        { name: "", protocol: "TCP", port: 0 },
      ],
    });
  });

  it("read null endpoints and ports as none", () => {
    expect(
      decodeEndpointSlice({ metadata: meta, addressType: "IPv6", endpoints: null, ports: null }),
    ).toMatchObject({ endpoints: [], ports: [] });
  });
});

describe("Nodes", () => {
  it("keep only the zone", () => {
    expect(decodeNode(nodeJson("node-a", "z1"))).toEqual({
      kind: "Node",
      namespace: "",
      name: "node-a",
      uid: "uid-node-node-a",
      zone: "z1",
    });
    expect(decodeNode(nodeJson("node-b"))).not.toHaveProperty("zone");
  });
});

describe("malformed objects", () => {
  const svc = serviceJson("web");
  const pod = podJson("web-0");

  it.each<[string, Kind, unknown, string]>([
    [
      "a port that is not a number",
      "Service",
      { ...svc, spec: { ...at(svc, "spec"), ports: [{ name: "http", port: "eighty" }] } },
      'spec.ports.0.port: expected port (1-65535), got "eighty"',
    ],
    [
      "a port out of range",
      "Service",
      { ...svc, spec: { ...at(svc, "spec"), ports: [{ port: 0 }] } },
      "spec.ports.0.port: expected port (1-65535), got 0",
    ],
    [
      "an unknown protocol",
      "Service",
      { ...svc, spec: { ...at(svc, "spec"), ports: [{ port: 80, protocol: "HTTP" }] } },
      'spec.ports.0.protocol: expected TCP | UDP | SCTP, got "HTTP"',
    ],
    [
      "an unknown Service type",
      "Service",
      { ...svc, spec: { ...at(svc, "spec"), type: "Weird" } },
      'spec.type: expected "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName", got "Weird"',
    ],
    [
      "an unknown IP family",
      "Service",
      { ...svc, spec: { ...at(svc, "spec"), ipFamilies: ["IPv5"] } },
      'spec.ipFamilies.0: expected "IPv4" | "IPv6", got "IPv5"',
    ],
    [
      "a non-string annotation",
      "Service",
      { ...svc, metadata: { ...at(svc, "metadata"), annotations: { "zen-lead.io/enabled": true } } },
      "metadata.annotations.zen-lead.io/enabled: expected string, got true",
    ],
    ["no name", "Service", { metadata: {}, spec: {} }, "metadata.name: expected string, got nothing"],
    ["a numeric name", "Pod", { metadata: { name: 7 } }, "metadata.name: expected string, got 7"],
    [
      "an empty name",
      "Service",
      { ...svc, metadata: { ...at(svc, "metadata"), name: "" } },
      "metadata.name: must not be empty",
    ],
    [
      "no namespace",
      "Service",
      { ...svc, metadata: { ...at(svc, "metadata"), namespace: undefined } },
      "metadata.namespace: must be set",
    ],
    ["no uid", "Pod", { ...pod, metadata: { ...at(pod, "metadata"), uid: "" } }, "metadata.uid: must be set"],
    [
      "a malformed creationTimestamp",
      "Pod",
      { ...pod, metadata: { ...at(pod, "metadata"), creationTimestamp: "yesterday" } },
      "metadata.creationTimestamp: expected an RFC 3339 time",
    ],
    [
      "no creationTimestamp",
      "Pod",
      { ...pod, metadata: { ...at(pod, "metadata"), creationTimestamp: undefined } },
      "metadata.creationTimestamp: expected an RFC 3339 time",
    ],
    [
      "a malformed deletionTimestamp",
      "Pod",
      { ...pod, metadata: { ...at(pod, "metadata"), deletionTimestamp: "soon" } },
      "metadata.deletionTimestamp: expected an RFC 3339 time",
    ],
    [
      "a container port out of range",
      "Pod",
      { ...pod, spec: { containers: [{ ports: [{ containerPort: 70000 }] }] } },
      "spec.containers.0.ports.0.containerPort: expected port (1-65535), got 70000",
    ],
    [
      "addresses that are not a list",
      "EndpointSlice",
      {
        metadata: { name: "s", namespace: "d", uid: "u" },
        addressType: "IPv4",
        endpoints: [{ addresses: "1.2.3.4" }],
      },
      'endpoints.0.addresses: expected Array<string>, got "1.2.3.4"',
    ],
    [
      "no addressType",
      "EndpointSlice",
      { metadata: { name: "s", namespace: "d", uid: "u" } },
      "addressType: expected string, got nothing",
    ],
    ["a Node with an empty name", "Node", { metadata: { name: "" } }, "metadata.name: must not be empty"],
  ])("%s: a one-line reason naming the field", (_, kind, raw, reason) => {
    expect(reasonOf(decode(kind, raw))).toBe(reason);
  });

  it("name the object when its metadata could be read, so it can be keyed and forgotten", () => {
    const broken = { ...pod, status: { conditions: "ready" } };
    expect(decodePod(broken)).toMatchObject({
      kind: "Pod",
      failed: true,
      namespace: "default",
      name: "web-0",
    });
    const nameless = decodePod({ metadata: { namespace: "default" } }) as DecodeFailure;
    expect(nameless).toMatchObject({ kind: "Pod", failed: true, namespace: "default" });
    expect(nameless).not.toHaveProperty("name");
  });

  it("quote at most 60 characters of the offending value", () => {
    const long = { ...svc, spec: { ...at(svc, "spec"), ports: [{ port: "x".repeat(500) }] } };
    const reason = reasonOf(decodeService(long));
    expect(reason.startsWith('spec.ports.0.port: expected port (1-65535), got "xxx')).toBe(true);
    expect(reason.length).toBeLessThan(120);
  });

  const oneLine = (kind: Kind, raw: unknown) => {
    const result = decode(kind, raw);
    expect(result.kind).toBe(kind);
    if (isFailure(result)) {
      expect(result.reason).not.toBe("");
      expect(result.reason).not.toMatch(/[\r\n]/);
    }
  };

  it("never throw, whatever the JSON", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.anything({ withNullPrototype: true }), (kind, raw) => {
        oneLine(kind, raw);
        expect(() => fromWatch(kind, "DELETED", raw)).not.toThrow();
        expect(fromWatch(kind, "MODIFIED", raw)).toMatchObject({ type: "upsert" });
      }),
      { numRuns: 300 },
    );
  });

  it("never throw when any one field of a valid object holds anything", () => {
    const valid: Record<Kind, Json> = {
      Service: serviceJson("web", { ports: [{ name: "http", port: 80, targetPort: "web" }] }),
      Pod: podJson("web-0", { containerPorts: [{ name: "web", containerPort: 8080 }], deleting: 5 }),
      EndpointSlice: {
        metadata: { name: "s", namespace: "d", uid: "u", labels: {}, ownerReferences: [] },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod" } }],
        ports: [{ name: "http", port: 80 }],
      },
      Node: nodeJson("node-a", "z1"),
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.anything(),
        (kind, path, value) => {
          oneLine(kind, replaceAt(valid[kind], path, value));
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** A copy of `json` with the node reached by following `path` (child index mod count) replaced. */
function replaceAt(json: unknown, path: readonly number[], value: unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined || typeof json !== "object" || json === null) return value;
  const keys = Object.keys(json);
  if (keys.length === 0) return value;
  const key = keys[step % keys.length] as string;
  const child = (json as Record<string, unknown>)[key];
  const replaced = rest.length === 0 ? value : replaceAt(child, rest, value);
  if (Array.isArray(json)) return json.map((v, i) => (String(i) === key ? replaced : v));
  return { ...json, [key]: replaced };
}
