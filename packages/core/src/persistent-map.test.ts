import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  emptyMap,
  mapEntries,
  mapFromEntries,
  mapGet,
  mapHas,
  mapKeys,
  mapRemove,
  mapSet,
  mapUpdate,
  mapValues,
  type PersistentMap,
} from "./persistent-map.ts";

// ---------------------------------------------------------------------------------------------
// A mirror of the implementation's hash (FNV-1a, then fmix32), used only to construct keys that
// collide (fully or in a prefix of the trie) and to state the expected iteration order. The test
// "the hash mirror agrees with the implementation" checks it through the iteration order, so a
// change of hash function fails loudly instead of silently leaving the collision tests with no
// collisions.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(s: string, start = FNV_OFFSET): number {
  let h = start;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

function fmix(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mirrorHash(key: string): number {
  return fmix(fnv(key));
}

/** Trie order: the 5-bit chunks, least significant (the root's) first, compared as numbers. */
function trieOrder(h: number): number {
  let order = 0;
  for (let shift = 0; shift < 30; shift += 5) order = order * 32 + ((h >>> shift) & 31);
  return order * 4 + (h >>> 30);
}

function expectedOrder(keys: Iterable<string>): string[] {
  return [...keys]
    .map((k): [number, string] => [trieOrder(mirrorHash(k)), k])
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([, k]) => k);
}

/**
 * `count` distinct keys `prefix + i + c` (c one UTF-16 code unit) with one and the same 32-bit
 * hash: among the FNV-1a states X of `prefix + i`, find `count` that agree in the high 16 bits;
 * then c = (X ^ T) & 0xffff brings each of them to the same state T, so to the same final hash.
 */
function collidingKeys(prefix: string, count: number): string[] {
  const buckets = new Map<number, string[]>();
  for (let i = 0; i < 1_000_000; i++) {
    const base = `${prefix}${i}`;
    const bucket = buckets.get(fnv(base) >>> 16) ?? [];
    buckets.set(fnv(base) >>> 16, bucket);
    bucket.push(base);
    if (bucket.length === count) {
      const target = fnv(bucket[0] as string);
      return bucket.map((b) => b + String.fromCharCode((fnv(b) ^ target) & 0xffff));
    }
  }
  throw new Error(`no ${count} colliding keys for ${prefix}`);
}

/** `count` keys whose hashes agree on the bits in `mask` (a prefix of trie levels) but all differ. */
function nearKeys(prefix: string, mask: number, count: number): string[] {
  const buckets = new Map<number, string[]>();
  for (let i = 0; i < 1_000_000; i++) {
    const key = `${prefix}${i}`;
    const h = mirrorHash(key);
    const bucket = buckets.get(h & mask) ?? [];
    buckets.set(h & mask, bucket);
    if (bucket.some((k) => mirrorHash(k) === h)) continue;
    bucket.push(key);
    if (bucket.length === count) return bucket;
  }
  throw new Error(`no ${count} keys sharing ${mask.toString(16)}`);
}

const COLLIDING_A = collidingKeys("pod/", 6);
const COLLIDING_B = collidingKeys("svc/", 3);
/** Same low 30 bits (six trie levels): they separate only at the last, 2-bit level. */
const NEAR_30 = nearKeys("near30-", 0x3fffffff, 2);
/** Same low 20 bits (four trie levels). */
const NEAR_20 = nearKeys("near20-", 0xfffff, 3);
const PLAIN = ["", "a", "b", "default/web-0", "default/web-1", "kube-system/dns", "x".repeat(40), "é"];
const POOL = [...COLLIDING_A, ...COLLIDING_B, ...NEAR_30, ...NEAR_20, ...PLAIN];

/** A deterministic shuffle (tests only), so large cases are reproducible. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = out[i] as T;
    out[i] = out[j] as T;
    out[j] = t;
  }
  return out;
}

/** The map agrees with the model in size, lookups over the pool, contents and iteration order. */
function expectMatches<V>(m: PersistentMap<V>, model: ReadonlyMap<string, V>): void {
  expect(m.size).toBe(model.size);
  for (const key of POOL) {
    expect(mapHas(m, key)).toBe(model.has(key));
    expect(mapGet(m, key)).toBe(model.get(key));
  }
  const order = expectedOrder(model.keys());
  expect([...mapKeys(m)]).toEqual(order);
  expect([...mapValues(m)]).toEqual(order.map((k) => model.get(k)));
  expect([...mapEntries(m)]).toEqual(order.map((k) => [k, model.get(k)]));
  // Deep equality compares contents: the same entries built in one go give an equal map.
  expect(m).toEqual(mapFromEntries(model));
}

function fold<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
  let m = emptyMap<V>();
  for (const [k, v] of entries) m = mapSet(m, k, v);
  return m;
}

// ---------------------------------------------------------------------------------------------

describe("test fixtures", () => {
  it("crafts fully colliding and prefix-colliding keys", () => {
    for (const group of [COLLIDING_A, COLLIDING_B]) {
      expect(new Set(group).size).toBe(group.length);
      expect(new Set(group.map(mirrorHash)).size).toBe(1);
    }
    expect(new Set(NEAR_30.map((k) => mirrorHash(k) & 0x3fffffff)).size).toBe(1);
    expect(new Set(NEAR_30.map(mirrorHash)).size).toBe(2);
    expect(new Set(NEAR_20.map((k) => mirrorHash(k) & 0xfffff)).size).toBe(1);
    expect(new Set(NEAR_20.map(mirrorHash)).size).toBe(3);
  });

  it("the hash mirror agrees with the implementation (via the iteration order)", () => {
    const keys = [...POOL, ...Array.from({ length: 5000 }, (_, i) => `ns-${i % 7}/pod-${i}`)];
    expect([...mapKeys(fold(keys.map((k) => [k, 0] as const)))]).toEqual(expectedOrder(keys));
  });
});

describe("PersistentMap basics", () => {
  it("starts empty", () => {
    const m = emptyMap<number>();
    expect(m.size).toBe(0);
    expect(mapGet(m, "a")).toBeUndefined();
    expect(mapHas(m, "a")).toBe(false);
    expect([...mapEntries(m)]).toEqual([]);
    expect([...mapKeys(m)]).toEqual([]);
    expect([...mapValues(m)]).toEqual([]);
  });

  it("distinguishes a stored undefined from an absent key", () => {
    const m = mapSet(emptyMap<number | undefined>(), "k", undefined);
    expect(m.size).toBe(1);
    expect(mapHas(m, "k")).toBe(true);
    expect(mapGet(m, "k")).toBeUndefined();
    expect([...mapEntries(m)]).toEqual([["k", undefined]]);
  });

  it("keeps old versions unchanged (persistence)", () => {
    const v0 = mapFromEntries(POOL.map((k, i) => [k, i] as const));
    const snapshot = [...mapEntries(v0)];
    const v1 = mapSet(v0, COLLIDING_A[0] as string, -1);
    const v2 = mapRemove(v1, COLLIDING_B[1] as string);
    const v3 = mapUpdate(v2, "brand-new", () => 99);
    const v4 = mapRemove(v3, NEAR_30[0] as string);
    expect([...mapEntries(v0)]).toEqual(snapshot);
    expect(v0.size).toBe(POOL.length);
    expect(mapGet(v1, COLLIDING_A[0] as string)).toBe(-1);
    expect(mapGet(v0, COLLIDING_A[0] as string)).toBe(0);
    expect(mapHas(v1, COLLIDING_B[1] as string)).toBe(true);
    expect(mapHas(v2, COLLIDING_B[1] as string)).toBe(false);
    expect(mapHas(v2, "brand-new")).toBe(false);
    expect(v3.size).toBe(POOL.length);
    expect(v4.size).toBe(POOL.length - 1);
    expect(mapHas(v3, NEAR_30[0] as string)).toBe(true);
  });

  it("returns the same instance when nothing changes", () => {
    const obj = { a: 1 };
    const m = mapFromEntries<object>([["x", obj], ...COLLIDING_A.slice(0, 3).map((k) => [k, obj] as const)]);
    expect(mapSet(m, "x", obj)).toBe(m);
    expect(mapSet(m, COLLIDING_A[1] as string, obj)).toBe(m);
    expect(mapSet(m, "x", { a: 1 })).not.toBe(m);
    expect(mapRemove(m, "absent")).toBe(m);
    expect(mapRemove(m, COLLIDING_A[4] as string)).toBe(m); // same hash as a collision node
    expect(mapRemove(emptyMap(), "absent")).toBe(emptyMap());
    expect(mapUpdate(m, "x", (old) => old)).toBe(m);
    expect(mapUpdate(m, "absent", () => undefined)).toBe(m);
    expect(mapUpdate(m, COLLIDING_A[2] as string, (old) => old)).toBe(m);
  });

  it("passes the current value to mapUpdate and removes on undefined", () => {
    const m = mapFromEntries([
      ["a", 1],
      ["b", 2],
    ]);
    const seen: (number | undefined)[] = [];
    const m2 = mapUpdate(m, "a", (old) => {
      seen.push(old);
      return undefined;
    });
    const m3 = mapUpdate(m2, "c", (old) => {
      seen.push(old);
      return 3;
    });
    expect(seen).toEqual([1, undefined]);
    expect([...mapEntries(m3)].sort()).toEqual([
      ["b", 2],
      ["c", 3],
    ]);
  });

  it("iterators follow the iterator protocol and are independent", () => {
    const m = mapFromEntries(PLAIN.map((k, i) => [k, i] as const));
    const it1 = mapKeys(m);
    expect(it1[Symbol.iterator]()).toBe(it1);
    const first = it1.next();
    const it2 = mapKeys(m);
    expect(it2.next()).toEqual(first);
    expect([...it1].length).toBe(PLAIN.length - 1);
    expect(it1.next()).toEqual({ done: true, value: undefined });
    expect(it1.next().done).toBe(true);
    expect([...it2].length).toBe(PLAIN.length - 1);
  });

  it("keeps keys of one and the same hash apart: added, iterated in key order, removed", () => {
    let m = emptyMap<number>();
    const model = new Map<string, number>();
    for (const [i, k] of COLLIDING_A.entries()) {
      m = mapSet(m, k, i);
      model.set(k, i);
      expectMatches(m, model);
    }
    // Colliding keys iterate adjacently, in key order.
    const keys = [...mapKeys(m)];
    expect(keys).toEqual([...COLLIDING_A].sort());
    for (const k of shuffled(COLLIDING_A, 7)) {
      m = mapRemove(m, k);
      model.delete(k);
      expectMatches(m, model);
    }
    expect(m.size).toBe(0);
  });
});

describe("PersistentMap vs a native Map model", () => {
  type Op =
    | { readonly op: "set"; readonly key: string; readonly value: number }
    | { readonly op: "remove"; readonly key: string }
    | { readonly op: "update"; readonly key: string; readonly how: "drop" | "bump" | "keep" };

  const key = fc.constantFrom(...POOL);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("set" as const), key, value: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant("remove" as const), key }),
    fc.record({ op: fc.constant("update" as const), key, how: fc.constantFrom("drop", "bump", "keep") }),
  );

  it("agrees after every step, and every old version still agrees with its snapshot", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        let m = emptyMap<number>();
        const model = new Map<string, number>();
        const history: [PersistentMap<number>, Map<string, number>][] = [[m, new Map()]];
        for (const o of ops) {
          const prev = m;
          const old = model.get(o.key);
          let next: number | undefined;
          if (o.op === "set") {
            next = o.value;
            m = mapSet(m, o.key, o.value);
          } else if (o.op === "remove") {
            next = undefined;
            m = mapRemove(m, o.key);
          } else {
            next = o.how === "drop" ? undefined : o.how === "bump" ? (old ?? -1) + 1 : old;
            m = mapUpdate(m, o.key, (v) => {
              expect(v).toBe(old);
              return next;
            });
          }
          if (next === undefined) model.delete(o.key);
          else model.set(o.key, next);
          const changed = next !== old || model.has(o.key) !== mapHas(prev, o.key);
          expect(m === prev).toBe(!changed);
          expectMatches(m, model);
          history.push([m, new Map(model)]);
        }
        for (const [version, snapshot] of history) expectMatches(version, snapshot);
      }),
      { numRuns: 300 },
    );
  });

  // Versions form a tree: any earlier version may be read or written again, in any order. The
  // implementation keeps one native Map per tree and reroots it to the version read (or gives a far
  // version a copy of its own); none of that may show.
  it("agrees on every version of a version tree, read and written in random order, even frozen", () => {
    const step = fc.record({
      from: fc.nat(),
      key,
      value: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      read: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 100, maxLength: 400 }), fc.boolean(), (steps, freeze) => {
        const versions: [PersistentMap<number>, Map<string, number>][] = [[emptyMap(), new Map()]];
        for (const s of steps) {
          // Mostly the newest version (a fold), sometimes an old one (a branch).
          const at = s.from % 4 === 0 ? s.from % versions.length : versions.length - 1;
          const [base, model] = versions[at] as [PersistentMap<number>, Map<string, number>];
          const next = s.value === undefined ? mapRemove(base, s.key) : mapSet(base, s.key, s.value);
          const nextModel = new Map(model);
          if (s.value === undefined) nextModel.delete(s.key);
          else nextModel.set(s.key, s.value);
          if (freeze) Object.freeze(next);
          versions.push([next, nextModel]);
          // A read of any version, far or near, between writes.
          const [old, oldModel] = versions[s.read % versions.length] as [
            PersistentMap<number>,
            Map<string, number>,
          ];
          expect(old.size).toBe(oldModel.size);
          expect(mapGet(old, s.key)).toBe(oldModel.get(s.key));
        }
        for (const [version, model] of versions) expectMatches(version, model);
      }),
      { numRuns: 60 },
    );
  });

  it("agrees across many writes to one map, every kept version included", () => {
    // Past the point where the native Map is copied (4,096 writes plus twice its size).
    const keys = POOL.slice(0, 20);
    let m = mapFromEntries(keys.map((k, i) => [k, i] as const));
    const model = new Map(keys.map((k, i) => [k, i] as const));
    const kept: [PersistentMap<number>, Map<string, number>][] = [];
    for (let i = 0; i < 10_000; i++) {
      const k = keys[(i * 7) % keys.length] as string;
      // Every key is removed now and then (i % 3 and i * 7 % 20 go through all their pairs).
      if (i % 3 === 2) {
        m = mapRemove(m, k);
        model.delete(k);
      } else {
        m = mapSet(m, k, i);
        model.set(k, i);
      }
      if (i % 250 === 0) kept.push([m, new Map(model)]);
    }
    expectMatches(m, model);
    for (const [version, snapshot] of kept.reverse()) expectMatches(version, snapshot);
    expectMatches(m, model);
  });

  it("agrees with arbitrary string keys (any UTF-16 code units)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ unit: "binary", maxLength: 6 }), fc.integer()), {
          maxLength: 300,
        }),
        (ops) => {
          let m = emptyMap<number>();
          const model = new Map<string, number>();
          for (const [isSet, k, v] of ops) {
            if (isSet) {
              m = mapSet(m, k, v);
              model.set(k, v);
            } else {
              m = mapRemove(m, k);
              model.delete(k);
            }
          }
          expect(m.size).toBe(model.size);
          for (const [k, v] of model) expect(mapGet(m, k)).toBe(v);
          expect([...mapKeys(m)]).toEqual(expectedOrder(model.keys()));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("deterministic iteration order", () => {
  const keys = fc.uniqueArray(fc.oneof(fc.constantFrom(...POOL), fc.string({ maxLength: 8 })), {
    maxLength: 60,
  });

  it("depends only on the set of keys, not on insertion order or history", () => {
    fc.assert(
      fc.property(
        keys.chain((ks) =>
          fc.tuple(
            fc.constant(ks),
            fc.shuffledSubarray(ks, { minLength: ks.length, maxLength: ks.length }),
            fc.uniqueArray(fc.string({ maxLength: 8 }), { maxLength: 20 }),
          ),
        ),
        ([ks, permuted, extra]) => {
          const a = fold(ks.map((k) => [k, 1] as const));
          // Insert extra keys first, then remove those that are not in the set.
          let b = fold([...extra, ...permuted].map((k) => [k, 1] as const));
          for (const k of extra) if (!ks.includes(k)) b = mapRemove(b, k);
          const c = mapFromEntries(permuted.map((k) => [k, 1] as const));
          const order = [...mapKeys(a)];
          expect([...mapKeys(b)]).toEqual(order);
          expect([...mapKeys(c)]).toEqual(order);
          expect(order).toEqual(expectedOrder(ks));
          // Canonical structure: equal contents give deeply equal maps, whatever the history.
          expect(b).toEqual(a);
          expect(c).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("holds at scale (20,000 keys, three insertion orders, removal of half)", () => {
    const all = [...POOL, ...Array.from({ length: 20_000 }, (_, i) => `ns-${i % 13}/pod-${i}`)];
    const a = fold(shuffled(all, 1).map((k) => [k, k] as const));
    const b = fold(shuffled(all, 2).map((k) => [k, k] as const));
    const c = mapFromEntries(shuffled(all, 3).map((k) => [k, k] as const));
    const order = expectedOrder(all);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    for (const m of [a, b, c]) {
      expect(m.size).toBe(all.length);
      expect([...mapKeys(m)]).toEqual(order);
      for (const k of all) expect(mapGet(m, k)).toBe(k);
    }
    const removed = new Set(shuffled(all, 4).slice(0, all.length / 2));
    let d = a;
    for (const k of removed) d = mapRemove(d, k);
    const rest = all.filter((k) => !removed.has(k));
    expect(d.size).toBe(rest.length);
    expect([...mapKeys(d)]).toEqual(expectedOrder(rest));
    expect(mapFromEntries(rest.map((k) => [k, k] as const))).toEqual(d);
    for (const k of all) expect(mapHas(d, k)).toBe(!removed.has(k));
    expect(a.size).toBe(all.length); // untouched by the removals
    let e = d;
    for (const k of rest) e = mapRemove(e, k);
    expect(e.size).toBe(0);
    expect([...mapEntries(e)]).toEqual([]);
  });
});

describe("mapFromEntries", () => {
  const entries = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...POOL), fc.string({ maxLength: 4 })), fc.integer()),
    { maxLength: 100 },
  );

  it("equals folding mapSet over the entries (later duplicates win)", () => {
    fc.assert(
      fc.property(entries, (es) => {
        const built = mapFromEntries(es);
        const model = new Map(es);
        expect(built.size).toBe(model.size);
        expect([...mapEntries(built)]).toEqual([...mapEntries(fold(es))]);
        for (const [k, v] of model) expect(mapGet(built, k)).toBe(v);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts any iterable and is immutable afterwards", () => {
    const source: [string, number][] = [
      ["a", 1],
      [COLLIDING_B[0] as string, 2],
      [COLLIDING_B[1] as string, 3],
      ["a", 4],
    ];
    const m = mapFromEntries(source);
    const snapshot = [...mapEntries(m)];
    source.push(["b", 5]);
    source[0] = ["z", 0];
    const m2 = mapSet(mapRemove(m, COLLIDING_B[0] as string), "c", 6);
    expect([...mapEntries(m)]).toEqual(snapshot);
    expect(m.size).toBe(3);
    expect(mapGet(m, "a")).toBe(4);
    expect(m2.size).toBe(3);
    expect([...mapEntries(mapFromEntries(new Map(snapshot)))]).toEqual(snapshot);
    expect(mapFromEntries([]).size).toBe(0);
  });
});
