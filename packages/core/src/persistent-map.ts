/**
 * An immutable, persistent map with string keys: the core's state store.
 *
 * Why it exists: `step()` never changes its input state, yet one watch event must cost about what
 * a native `Map` operation costs, not O(cluster) (copying a 100,000-pod map per event) and not a
 * path copy of a trie per write (which made the fold a third as fast as a mutable one).
 *
 * Design: a *rerooting* persistent map (Baker's shallow binding, as in Conchon and Filliâtre's
 * persistent arrays, "A Persistent Union-Find Data Structure", 2007). The versions of one map form
 * a tree; exactly one version of it — the *root* — holds a native `Map` with its entries, and every
 * other version is a diff: "the version `next`, with `key` set to `value` (or removed)".
 * - A write to the root records the change in the native `Map` and makes the new version the root;
 *   the old version becomes a diff pointing to it. One small object per write; no copy.
 * - Reading a version that is not the root first *reroots* it: the diffs on its way to the root are
 *   applied to the native `Map` and reversed, so it becomes the root, at a cost of one native
 *   operation per diff. A fold that reads and writes only its newest state never reroots; reading
 *   a state a few writes back (a step's own input) costs a few operations.
 * - A version more than `REROOT_LIMIT` diffs from the root gets a native `Map` of its own instead
 *   (O(size)): alternating between two far-apart versions (two runs branched from one state) then
 *   costs one copy, not a walk per access.
 * - Maps of at most `SMALL` entries are copied on write (a fresh native `Map`): the copy costs
 *   what a diff costs, and the many small maps of the state (a Service's owned objects, a selector
 *   index's leaves) never share a native `Map` with another version.
 * - Diffs point from old versions to newer ones, so an old version somebody keeps holds the later
 *   versions of its map alive. A native `Map` takes at most `CHAIN_LIMIT` (or twice its size)
 *   writes in place before the next write copies it: that bounds what a kept version holds, for
 *   one copy per that many writes. (Reading a kept version reroots or detaches it, which lets go
 *   of the chain too.)
 * Every version answers the same forever: rerooting changes how a version is represented, never
 * what it holds. The representation lives in private fields, so `Object.freeze` of a version (as
 * the core's property tests do to every input state) freezes its value and leaves rerooting free.
 *
 * Iteration order is the trie order of the previous hash-trie implementation — by the key's
 * 32-bit hash (FNV-1a, then murmur3's fmix32), 5-bit chunks low first, then by key — so it is a
 * function of the set of keys only, never of the history (replays and reports stay deterministic
 * whichever way a state was built). Iteration sorts a snapshot of the entries: O(n) for large maps
 * (a radix sort), cheap for the small maps the fold iterates per event.
 *
 * Not safe for concurrent use from several threads (JavaScript shares no objects between them).
 */

declare const valueType: unique symbol;

/** An immutable map from strings to `V`. Opaque: use the `map*` functions. */
export interface PersistentMap<V> {
  /** Number of entries. */
  readonly size: number;
  /** Type-level only (no such property at runtime): ties the map to its value type. */
  readonly [valueType]: V;
}

/** Marks an absent key in a diff and in look-ups (a value of type `V` may itself be `undefined`). */
const ABSENT: unique symbol = Symbol("absent");
type Slot = unknown;

/** Maps of at most this many entries are copied on write instead of diffed. */
const SMALL = 8;
/** A version further than this many diffs from its root is given a native `Map` of its own. */
const REROOT_LIMIT = 64;
/**
 * A native `Map` takes at most this many diffs (or twice its size, if more) before a write
 * copies it: an old version somebody keeps then holds at most that many later versions alive
 * (diffs point from old to new), for one extra copy per that many writes.
 */
const CHAIN_LIMIT = 4096;

/** One version of a map. */
class Version<V> {
  readonly size: number;
  declare readonly [valueType]: V;
  /** The entries, when this version is the root of its tree; otherwise null. */
  #store: Map<string, unknown> | null;
  /** When not the root: this version is `#next` with `#key` set to `#value` (ABSENT: removed). */
  #next: Version<V> | null = null;
  #key = "";
  #value: Slot = ABSENT;
  /** Writes recorded in place since the native `Map` was made. */
  #writes: number;

  constructor(size: number, store: Map<string, unknown>, writes = 0) {
    this.size = size;
    this.#store = store;
    this.#writes = writes;
  }

  /**
   * Entries in `mapEntries` order. Makes a map iterable, so deep-equality checks (vitest's
   * `toEqual`, Node's `assert.deepStrictEqual`) compare maps by their contents.
   */
  [Symbol.iterator](): IterableIterator<[string, V]> {
    return mapEntries(this);
  }

  /** This version's entries as a native `Map` (it becomes the root, or gets a copy of its own). */
  static store<V>(v: Version<V>): Map<string, unknown> {
    return v.#store ?? Version.#reroot(v);
  }

  static #reroot<V>(v: Version<V>): Map<string, unknown> {
    // The way to the root: v = path[0], …, root = path[n].
    const path: Version<V>[] = [v];
    let at = v.#next as Version<V>;
    while (at.#store === null) {
      path.push(at);
      at = at.#next as Version<V>;
      if (path.length > REROOT_LIMIT) return Version.#detach(v, path, at);
    }
    const store = at.#store;
    // Walk back from the root, turning each step around: the root becomes a diff to its child.
    let root = at;
    for (let i = path.length - 1; i >= 0; i--) {
      const child = path[i] as Version<V>;
      const key = child.#key;
      const undo = store.has(key) ? store.get(key) : ABSENT;
      if (child.#value === ABSENT) store.delete(key);
      else store.set(key, child.#value);
      root.#store = null;
      root.#next = child;
      root.#key = key;
      root.#value = undo;
      child.#next = null;
      child.#value = ABSENT;
      root = child;
    }
    v.#store = store;
    return store;
  }

  /** Gives `v` a copy of its entries; the rest of its tree is left as it was. */
  static #detach<V>(v: Version<V>, path: Version<V>[], from: Version<V>): Map<string, unknown> {
    let at = from;
    while (at.#store === null) {
      path.push(at);
      at = at.#next as Version<V>;
    }
    const store = new Map(at.#store);
    for (let i = path.length - 1; i >= 0; i--) {
      const diff = path[i] as Version<V>;
      if (diff.#value === ABSENT) store.delete(diff.#key);
      else store.set(diff.#key, diff.#value);
    }
    v.#store = store;
    v.#next = null;
    v.#value = ABSENT;
    return store;
  }

  /** The version after setting `key` (ABSENT: removing it); `current` is its value in `v`. */
  static write<V>(v: Version<V>, key: string, value: Slot, current: Slot, size: number): Version<V> {
    if (v.size <= SMALL || v.#writes >= CHAIN_LIMIT + 2 * v.size) {
      const copy = new Map(Version.store(v));
      if (value === ABSENT) copy.delete(key);
      else copy.set(key, value);
      return new Version<V>(size, copy);
    }
    const store = Version.store(v);
    if (value === ABSENT) store.delete(key);
    else store.set(key, value);
    const next = new Version<V>(size, store, v.#writes + 1);
    v.#store = null;
    v.#next = next;
    v.#key = key;
    v.#value = current;
    return next;
  }
}

const EMPTY = new Version<never>(0, new Map());
Object.freeze(EMPTY);

// ---------------------------------------------------------------------------------------------
// Public API

/** The map with no entries (one shared instance). */
export function emptyMap<V = never>(): PersistentMap<V> {
  return EMPTY;
}

/** The value at `key`, or undefined when absent. O(1) on the newest version. */
export function mapGet<V>(m: PersistentMap<V>, key: string): V | undefined {
  return Version.store(m as Version<V>).get(key) as V | undefined;
}

/** Whether `key` is present (a stored `undefined` counts). O(1) on the newest version. */
export function mapHas<V>(m: PersistentMap<V>, key: string): boolean {
  return Version.store(m as Version<V>).has(key);
}

/** The map with `key` set to `value`; the same map when it already holds that (`===`) value. */
export function mapSet<V>(m: PersistentMap<V>, key: string, value: V): PersistentMap<V> {
  const v = m as Version<V>;
  const store = Version.store(v);
  const current = store.has(key) ? store.get(key) : ABSENT;
  if (current === value) return v;
  return Version.write(v, key, value, current, current === ABSENT ? v.size + 1 : v.size);
}

/** The map without `key`; the same map when it has no such key. */
export function mapRemove<V>(m: PersistentMap<V>, key: string): PersistentMap<V> {
  const v = m as Version<V>;
  const store = Version.store(v);
  if (!store.has(key)) return v;
  return Version.write(v, key, ABSENT, store.get(key), v.size - 1);
}

/**
 * Sets `key` to `f(current value)`, or removes it when `f` returns `undefined`. `f` receives
 * `undefined` for an absent key. Returns the same map when nothing changes.
 */
export function mapUpdate<V>(
  m: PersistentMap<V>,
  key: string,
  f: (old: V | undefined) => V | undefined,
): PersistentMap<V> {
  const v = m as Version<V>;
  const store = Version.store(v);
  const current = store.has(key) ? store.get(key) : ABSENT;
  const next = f(current === ABSENT ? undefined : (current as V));
  if (next === undefined) return current === ABSENT ? v : mapRemove(v, key);
  return mapSet(v, key, next);
}

/** Entries in trie order: deterministic, a function of the set of keys only. */
export function mapEntries<V>(m: PersistentMap<V>): IterableIterator<[string, V]> {
  const { keys, values } = sortedSnapshot(m as Version<V>);
  return keys.map((k, i): [string, V] => [k, values[i] as V])[Symbol.iterator]();
}

/** Values in the same order as `mapEntries`. */
export function mapValues<V>(m: PersistentMap<V>): IterableIterator<V> {
  return (sortedSnapshot(m as Version<V>).values as V[])[Symbol.iterator]();
}

/** Keys in the same order as `mapEntries`. */
export function mapKeys<V>(m: PersistentMap<V>): IterableIterator<string> {
  return sortedSnapshot(m as Version<V>).keys[Symbol.iterator]();
}

/** Builds a map from entries; a later entry for the same key wins. */
export function mapFromEntries<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
  const store = new Map<string, unknown>();
  for (const [key, value] of entries) store.set(key, value);
  return store.size === 0 ? EMPTY : new Version<V>(store.size, store);
}

// ---------------------------------------------------------------------------------------------
// Iteration order

/** The version's keys and values in trie order (fresh arrays). */
function sortedSnapshot<V>(v: Version<V>): { keys: string[]; values: unknown[] } {
  const store = Version.store(v);
  const n = store.size;
  const keys: string[] = new Array(n);
  const values: unknown[] = new Array(n);
  const orders: number[] = new Array(n);
  let i = 0;
  for (const [key, value] of store) {
    keys[i] = key;
    values[i] = value;
    orders[i] = trieOrder(hashString(key));
    i++;
  }
  if (n <= 1) return { keys, values };
  if (n <= 16) {
    // Insertion sort, in place.
    for (let a = 1; a < n; a++) {
      const k = keys[a] as string;
      const val = values[a];
      const o = orders[a] as number;
      let b = a - 1;
      while (b >= 0 && before(o, k, orders[b] as number, keys[b] as string)) {
        keys[b + 1] = keys[b] as string;
        values[b + 1] = values[b];
        orders[b + 1] = orders[b] as number;
        b--;
      }
      keys[b + 1] = k;
      values[b + 1] = val;
      orders[b + 1] = o;
    }
    return { keys, values };
  }
  const perm = radixSort(orders);
  const sortedKeys: string[] = new Array(n);
  const sortedValues: unknown[] = new Array(n);
  let a = 0;
  while (a < n) {
    let b = a + 1;
    const o = orders[perm[a] as number];
    while (b < n && orders[perm[b] as number] === o) b++;
    if (b - a > 1) {
      // Equal orders (equal hashes): by key.
      const run = Array.from(perm.subarray(a, b)).sort((x, y) =>
        compareKeys(keys[x] as string, keys[y] as string),
      );
      for (let r = 0; r < run.length; r++) perm[a + r] = run[r] as number;
    }
    a = b;
  }
  for (let j = 0; j < n; j++) {
    const p = perm[j] as number;
    sortedKeys[j] = keys[p] as string;
    sortedValues[j] = values[p];
  }
  return { keys: sortedKeys, values: sortedValues };
}

function before(o1: number, k1: string, o2: number, k2: string): boolean {
  return o1 < o2 || (o1 === o2 && k1 < k2);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a (32-bit) over UTF-16 code units, then murmur3's fmix32 avalanche. */
function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The hash's 5-bit chunks re-packed most-significant-first (low chunk first): the trie order. */
function trieOrder(h: number): number {
  return (
    (((h & 31) << 27) |
      (((h >>> 5) & 31) << 22) |
      (((h >>> 10) & 31) << 17) |
      (((h >>> 15) & 31) << 12) |
      (((h >>> 20) & 31) << 7) |
      (((h >>> 25) & 31) << 2) |
      (h >>> 30)) >>>
    0
  );
}

/** Indices of `orders` in ascending order; stable (an LSD radix sort, 8 bits per pass). */
function radixSort(orders: readonly number[]): Uint32Array {
  const n = orders.length;
  let perm = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const counts = new Uint32Array(257);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const bucket = (((orders[i] as number) >>> shift) & 255) + 1;
      counts[bucket] = (counts[bucket] as number) + 1;
    }
    for (let b = 1; b < 257; b++) counts[b] = (counts[b] as number) + (counts[b - 1] as number);
    for (let i = 0; i < n; i++) {
      const p = perm[i] as number;
      const bucket = ((orders[p] as number) >>> shift) & 255;
      const at = counts[bucket] as number;
      counts[bucket] = at + 1;
      spare[at] = p;
    }
    const t = perm;
    perm = spare;
    spare = t;
  }
  return perm;
}
