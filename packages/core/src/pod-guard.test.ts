/**
 * The hand-written pod guard against its reference, the io-ts codec: for any object, the guard
 * says yes exactly when io-ts decodes it, and `decodePod` gives the very view (or the very failure)
 * that io-ts alone gives — for arbitrary values, for realistic pods, and for realistic pods with
 * one field anywhere replaced by something else.
 */
import fc from "fast-check";
import { isRight } from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { codecsForTest, decodePod } from "./decode.ts";
import { isPodShape } from "./pod-guard.ts";
import { podJson } from "./testing/fixtures.ts";

const { PodC, decodePodWithIoTs } = codecsForTest;

function agrees(raw: unknown) {
  expect(isPodShape(raw)).toBe(isRight(PodC.decode(raw)));
  expect(decodePod(raw)).toEqual(decodePodWithIoTs(raw));
}

/** What may sit where a field is expected: the right kind of value or anything else. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 70_000 }),
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
const port = fc.oneof(fc.integer({ min: 0, max: 65_536 }), fc.constant(8080));
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
    ports: fc.array(fc.record({ name: fc.constantFrom("http", ""), containerPort: port }), { maxLength: 2 }),
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
