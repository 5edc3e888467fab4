/**
 * The hand-written guards against their reference, the io-ts codecs: for any object, a guard says
 * yes exactly when io-ts decodes it, and the decoder gives the very view (or the very failure) that
 * io-ts alone gives — for arbitrary values, for objects of the right shape with any field missing,
 * wrong or extra, and for realistic objects as they are and with one value anywhere replaced.
 */
import fc from "fast-check";
import { isRight } from "fp-ts/lib/Either.js";
import type * as t from "io-ts";
import { describe, expect, it } from "vitest";
import { codecsForTest, decodeEndpointSlice, decodePod, decodeService } from "./decode.ts";
import { isEndpointSliceShape, isPodShape, isServiceShape } from "./guards.ts";
import { podJson, serviceJson, sliceJson } from "./testing/fixtures.ts";

const c = codecsForTest;

/** Guard and codec agree, and so do the decoder and the decoder through io-ts alone. */
function agreement(
  guard: (u: unknown) => boolean,
  codec: t.Decoder<unknown, unknown>,
  decoder: (u: unknown) => unknown,
  reference: (u: unknown) => unknown,
) {
  return (raw: unknown) => {
    expect(guard(raw)).toBe(isRight(codec.decode(raw)));
    expect(decoder(raw)).toEqual(reference(raw));
  };
}

const agrees = agreement(isPodShape, c.PodC, decodePod, c.decodePodWithIoTs);
const serviceAgrees = agreement(isServiceShape, c.ServiceC, decodeService, c.decodeServiceWithIoTs);
const sliceAgrees = agreement(
  isEndpointSliceShape,
  c.EndpointSliceC,
  decodeEndpointSlice,
  c.decodeEndpointSliceWithIoTs,
);

/** What may sit where a field is expected: the right kind of value or anything else. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom(-1, 0, 1, 65_535, 65_536, 1.5, Number.NaN),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom("TCP", "UDP", "SCTP", "tcp", "Ready", "True", "2024-01-01T00:00:00Z"),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

/** An object with some of `keys`, each holding `value` or junk; sometimes an extra key. */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(([key, value]) =>
    fc.option(
      fc.tuple(fc.constant(key), fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: junk })),
      {
        freq: 5,
        nil: undefined,
      },
    ),
  );
  return fc
    .tuple(fc.tuple(...entries), fc.dictionary(fc.string({ maxLength: 4 }), junk, { maxKeys: 1 }))
    .map(([present, extra]) => {
      const out: Record<string, unknown> = { ...extra };
      for (const entry of present) if (entry !== undefined) out[entry[0]] = entry[1];
      return out;
    });
}

const stringMap = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), junk), {
  maxKeys: 3,
});
const arrayOf = (item: fc.Arbitrary<unknown>) =>
  fc.array(fc.oneof({ weight: 5, arbitrary: item }, junk), { maxLength: 3 });
const port = fc.oneof(fc.integer({ min: 0, max: 65_536 }), fc.constantFrom(0, 1, 8080, 65_535, 65_536, 80.5));
const owner = shaped({
  kind: fc.string(),
  name: fc.string(),
  uid: fc.string(),
  apiVersion: fc.string(),
  controller: fc.boolean(),
});
const metadata = shaped({
  name: fc.string({ maxLength: 6 }),
  namespace: fc.string({ maxLength: 6 }),
  uid: fc.string({ maxLength: 6 }),
  labels: stringMap,
  annotations: stringMap,
  creationTimestamp: fc.constantFrom("2024-01-01T00:00:00Z", "yesterday"),
  deletionTimestamp: fc.constantFrom("2024-01-01T00:00:05Z", "x"),
  ownerReferences: arrayOf(owner),
});
const containerPort = shaped({
  containerPort: port,
  name: fc.string({ maxLength: 4 }),
  protocol: fc.constantFrom("TCP", "UDP", "SCTP"),
});
const container = shaped({ name: fc.string(), ports: arrayOf(containerPort) });
const spec = shaped({ nodeName: fc.string({ maxLength: 4 }), containers: arrayOf(container) });
const condition = shaped({
  type: fc.constantFrom("Ready", "PodScheduled"),
  status: fc.constantFrom("True", "False"),
  lastTransitionTime: fc.constantFrom("2024-01-01T00:00:01Z", "soon"),
});
const status = shaped({
  phase: fc.constantFrom("Running", "Pending"),
  podIP: fc.string({ maxLength: 8 }),
  podIPs: arrayOf(shaped({ ip: fc.string({ maxLength: 8 }) })),
  conditions: arrayOf(condition),
});
const podLike = shaped({ metadata, spec, status });

/** A realistic pod from the fixtures, then one value anywhere in it replaced (or none). */
const realistic = fc
  .record({
    name: fc.constantFrom("web-0", "web-1", "db-7f9c"),
    ready: fc.boolean(),
    deleting: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    ips: fc.array(fc.constantFrom("10.0.0.1", "fd00::1"), { maxLength: 2 }),
    ports: fc.array(
      fc.record({ name: fc.constantFrom("http", ""), containerPort: fc.integer({ min: 1, max: 65_535 }) }),
      { maxLength: 2 },
    ),
  })
  .map(({ name, ready, deleting, ips, ports }) =>
    podJson(name, { ready, ips, containerPorts: ports, ...(deleting !== undefined ? { deleting } : {}) }),
  );

/** Every path to a value inside `value` (objects and arrays). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const out: (string | number)[][] = [prefix];
  for (const [key, child] of Object.entries(value)) {
    out.push(...paths(child, [...prefix, Array.isArray(value) ? Number(key) : key]));
  }
  return out;
}

function replaced(value: unknown, path: readonly (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v));
  const record = value as Record<string, unknown>;
  return { ...record, [head]: replaced(record[head], rest, by) };
}

const servicePort = shaped({
  port,
  name: fc.string({ maxLength: 4 }),
  protocol: fc.constantFrom("TCP", "UDP", "SCTP"),
  appProtocol: fc.string({ maxLength: 4 }),
  targetPort: fc.oneof(port, fc.constantFrom("http", "8080")),
});
const serviceLike = shaped({
  metadata,
  spec: shaped({
    selector: stringMap,
    type: fc.constantFrom("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"),
    clusterIP: fc.constantFrom("None", "10.96.0.1"),
    ipFamilies: arrayOf(fc.constantFrom("IPv4", "IPv6")),
    ipFamilyPolicy: fc.constantFrom("SingleStack", "RequireDualStack"),
    ports: arrayOf(servicePort),
    sessionAffinity: fc.constantFrom("None", "ClientIP"),
  }),
});
const endpoint = shaped({
  addresses: arrayOf(fc.constantFrom("10.0.0.1", "fd00::1")),
  conditions: shaped({ ready: fc.boolean(), serving: fc.boolean(), terminating: fc.boolean() }),
  targetRef: shaped({ kind: fc.constantFrom("Pod"), name: fc.string({ maxLength: 4 }), uid: fc.string() }),
  nodeName: fc.string({ maxLength: 4 }),
  zone: fc.string({ maxLength: 4 }),
});
const sliceLike = shaped({
  metadata,
  addressType: fc.constantFrom("IPv4", "IPv6"),
  endpoints: arrayOf(endpoint),
  ports: arrayOf(
    shaped({
      name: fc.string({ maxLength: 4 }),
      protocol: fc.constantFrom("TCP", "UDP"),
      appProtocol: fc.string(),
      port,
    }),
  ),
});

const realisticService = fc
  .record({
    type: fc.constantFrom("ClusterIP", "NodePort"),
    selector: fc.option(fc.constant({ app: "web" }), { nil: null }),
    ipFamilies: fc.constantFrom(["IPv4"], ["IPv4", "IPv6"]),
    annotations: fc.constantFrom(
      { "zen-lead.io/enabled": "true" },
      { "zen-lead.io/enabled": "true", x: "y" },
    ),
  })
  .map((spec) => serviceJson("web", spec));
const realisticSlice = fc
  .array(
    fc.record({
      addresses: fc.constant(["10.0.0.1"]),
      conditions: fc.constant({ ready: true, serving: true, terminating: false }),
      targetRef: fc.constant({ kind: "Pod", name: "web-0", uid: "u" }),
    }),
    { maxLength: 2 },
  )
  .map((endpoints) => sliceJson("web-leader-ipv4", { endpoints }));

/** Objects with every field each codec reads, present and valid. */
const meta = {
  name: "web-0",
  namespace: "default",
  uid: "u-1",
  labels: { app: "web" },
  annotations: { "zen-lead.io/enabled": "true" },
  creationTimestamp: "2024-01-01T00:00:00Z",
  deletionTimestamp: "2024-01-01T00:01:00Z",
  ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "u-0", controller: true }],
};
const FULL = {
  Pod: {
    metadata: meta,
    spec: {
      nodeName: "node-a",
      containers: [{ name: "main", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] }],
    },
    status: {
      phase: "Running",
      podIP: "10.0.0.1",
      podIPs: [{ ip: "10.0.0.1" }],
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-01-01T00:00:05Z" }],
    },
  },
  Service: {
    metadata: meta,
    spec: {
      selector: { app: "web" },
      type: "ClusterIP",
      clusterIP: "10.96.0.1",
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      ports: [{ name: "http", protocol: "TCP", appProtocol: "http", port: 80, targetPort: "http" }],
    },
  },
  EndpointSlice: {
    metadata: meta,
    addressType: "IPv4",
    endpoints: [
      {
        addresses: ["10.0.0.1"],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: "Pod", name: "web-0", uid: "u-1" },
        nodeName: "node-a",
        zone: "zone-a",
      },
    ],
    ports: [{ name: "http", protocol: "TCP", appProtocol: "http", port: 8080 }],
  },
};
/** What each value is replaced by, in turn: every kind of JSON value, and the edges of the checks. */
const REPLACEMENTS: readonly unknown[] = [
  undefined,
  null,
  true,
  0,
  1,
  -1,
  1.5,
  65_535,
  65_536,
  "",
  "x",
  "TCP",
  "IPv6",
  "NodePort",
  [],
  ["x"],
  {},
  { x: 1 },
];

describe("every single-value change to a complete object", () => {
  for (const [kind, check] of [
    ["Pod", agrees],
    ["Service", serviceAgrees],
    ["EndpointSlice", sliceAgrees],
  ] as const) {
    it(`gets the same answer from the guard and from io-ts: ${kind}`, () => {
      const full = FULL[kind];
      check(full);
      for (const path of paths(full)) for (const by of REPLACEMENTS) check(replaced(full, path, by));
    });
  }
});

describe("the hand-written Service and EndpointSlice guards", () => {
  it("agree with io-ts on arbitrary values and on shaped objects with any field missing, wrong or extra", () => {
    fc.assert(fc.property(fc.oneof(junk, serviceLike), serviceAgrees), { numRuns: 3000 });
    fc.assert(fc.property(fc.oneof(junk, sliceLike), sliceAgrees), { numRuns: 3000 });
  });

  it("agree with io-ts on realistic objects, as they are and with one value anywhere replaced", () => {
    for (const [objects, check] of [
      [realisticService, serviceAgrees],
      [realisticSlice, sliceAgrees],
    ] as const) {
      fc.assert(
        fc.property(objects as fc.Arbitrary<unknown>, fc.nat(), junk, (object, pick, by) => {
          check(object);
          const all = paths(object);
          check(replaced(object, all[pick % all.length] as (string | number)[], by));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it("accept realistic objects (the fast path is the one taken)", () => {
    fc.assert(fc.property(realisticService, (s) => isServiceShape(s)));
    fc.assert(fc.property(realisticSlice, (s) => isEndpointSliceShape(s)));
  });
});

describe("the hand-written pod guard", () => {
  it("agrees with io-ts on arbitrary values", () => {
    fc.assert(fc.property(fc.oneof(junk, podLike), agrees), { numRuns: 3000 });
  });

  it("agrees with io-ts on pod-shaped objects with any field missing, wrong or extra", () => {
    fc.assert(fc.property(podLike, agrees), { numRuns: 5000 });
  });

  it("agrees with io-ts on realistic pods, as they are and with one value anywhere replaced", () => {
    fc.assert(
      fc.property(realistic, fc.nat(), junk, (pod, pick, by) => {
        agrees(pod);
        const all = paths(pod);
        agrees(replaced(pod, all[pick % all.length] as (string | number)[], by));
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts realistic pods (the fast path is the one taken)", () => {
    fc.assert(
      fc.property(realistic, (pod) => {
        expect(isPodShape(pod)).toBe(true);
      }),
    );
  });
});
