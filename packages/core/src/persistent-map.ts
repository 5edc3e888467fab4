/**
 * An immutable, persistent hash map with string keys: the core's state store.
 *
 * Why it exists: `step()` never mutates its input state, yet one watch event must cost O(what it
 * touches), not O(cluster). Copying a native `Map` (or object) per event would be O(cluster) with
 * 100,000 pods; here `mapSet`/`mapRemove` copy only the few small nodes on the path to the key and
 * share everything else with the previous version, so every old state stays valid and unchanged.
 *
 * Design: a hash array mapped trie (HAMT), laid out like CHAMP.
 * - Keys hash to 32 bits (FNV-1a over UTF-16 code units, then murmur3's fmix32 finaliser so every
 *   bit of the key reaches the low bits the trie consumes first). Each level consumes 5 bits, low
 *   bits first (7 levels: 6 × 5 bits + 2).
 * - A branch is one flat array, `[datamap, nodemap, size, k0, v0, k1, v1, …, node1, node0]`: the
 *   entries that end at this level inline (no leaf objects), then the child nodes in reverse; the
 *   two 32-bit bitmaps say which of the 32 slots hold an entry or a child, and popcount finds it.
 *   One array per level (no node object around it) keeps a 100,000-key lookup to a few cache
 *   misses, and a path copy to one array slice per level.
 * - Keys whose 32-bit hashes are equal share a collision node, kept sorted by key.
 * - The trie is canonical: an entry sits at the shallowest level where its hash prefix is unique,
 *   and removal pulls a child left with one entry (or just one collision node) back into its
 *   parent. Iteration visits each branch's slots in ascending order, so the order (by hash chunks
 *   level by level, then by key) is a function of the set of keys only, never of the history.
 * - `mapSet` of an identical (`===`) value, and `mapRemove` of an absent key, return the same map.
 * - Functions rather than methods, so it tree-shakes and call sites stay monomorphic. Lookups are
 *   loops; updates recurse at most 7 levels; neither allocates closures or iterators.
 */

declare const valueType: unique symbol;

/** An immutable map from strings to `V`. Opaque: use the `map*` functions. */
export interface PersistentMap<V> {
  readonly size: number;
  /** Type-level only (no such property at runtime): ties the map to its value type. */
  readonly [valueType]: V;
}

/**
 * `[datamap, nodemap, size, k0, v0, …, k(d-1), v(d-1), node(n-1), …, node0]`, where d and n are
 * the popcounts of the bitmaps and `size` counts the entries of the whole subtree. Never mutated
 * once published (fresh copies are filled in before they are returned).
 */
type Branch = readonly unknown[];
type Child = Branch | Collision;

const DATAMAP = 0;
const NODEMAP = 1;
const SIZE = 2;
const HEADER = 3;

const BITS = 5;
const MASK = 31;

/** Two or more entries whose keys have the same 32-bit hash; `keys` ascending, `values` aligned. */
class Collision {
  readonly hash: number;
  readonly keys: readonly string[];
  readonly values: readonly unknown[];

  constructor(hash: number, keys: readonly string[], values: readonly unknown[]) {
    this.hash = hash;
    this.keys = keys;
    this.values = values;
  }
}

/** One version of a map: the root branch, plus its size as a plain property. */
class Root<V> {
  readonly size: number;
  readonly branch: Branch;
  declare readonly [valueType]: V;

  constructor(branch: Branch) {
    this.size = branch[SIZE] as number;
    this.branch = branch;
  }
}

const EMPTY: Root<never> = Object.freeze(new Root<never>(Object.freeze([0, 0, 0])));

/** Returned by `lookup` for an absent key (a value of type `V` may itself be `undefined`). */
const ABSENT: unique symbol = Symbol("absent");

// ---------------------------------------------------------------------------------------------
// Public API

export function emptyMap<V = never>(): PersistentMap<V> {
  return EMPTY;
}

export function mapGet<V>(m: PersistentMap<V>, key: string): V | undefined {
  const found = lookup((m as Root<V>).branch, hashString(key), key);
  return found === ABSENT ? undefined : (found as V);
}

export function mapHas<V>(m: PersistentMap<V>, key: string): boolean {
  return lookup((m as Root<V>).branch, hashString(key), key) !== ABSENT;
}

export function mapSet<V>(m: PersistentMap<V>, key: string, value: V): PersistentMap<V> {
  const root = m as Root<V>;
  const branch = setIn(root.branch, 0, hashString(key), key, value);
  return branch === root.branch ? root : new Root(branch);
}

export function mapRemove<V>(m: PersistentMap<V>, key: string): PersistentMap<V> {
  const root = m as Root<V>;
  const branch = removeIn(root.branch, 0, hashString(key), key);
  return branch === root.branch ? root : new Root(branch);
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
  const root = m as Root<V>;
  const hash = hashString(key);
  const found = lookup(root.branch, hash, key);
  const next = f(found === ABSENT ? undefined : (found as V));
  if (next === undefined && found === ABSENT) return root;
  const branch =
    next === undefined ? removeIn(root.branch, 0, hash, key) : setIn(root.branch, 0, hash, key, next);
  return branch === root.branch ? root : new Root(branch);
}

/** Entries in trie order: deterministic, a function of the set of keys only. */
export function mapEntries<V>(m: PersistentMap<V>): IterableIterator<[string, V]> {
  return new EntryIterator<V>((m as Root<V>).branch);
}

/** Values in the same order as `mapEntries`. */
export function mapValues<V>(m: PersistentMap<V>): IterableIterator<V> {
  return new ValueIterator<V>((m as Root<V>).branch);
}

/** Keys in the same order as `mapEntries`. */
export function mapKeys<V>(m: PersistentMap<V>): IterableIterator<string> {
  return new KeyIterator<V>((m as Root<V>).branch);
}

/**
 * Calls `f(value, key)` for every entry, in the order of `mapEntries`, without an iterator or an
 * entry tuple per step (for the fold's hot loops).
 */
export function mapForEach<V>(m: PersistentMap<V>, f: (value: V, key: string) => void): void {
  forEachIn((m as Root<V>).branch, f as (value: unknown, key: string) => void);
}

function forEachIn(node: Child, f: (value: unknown, key: string) => void): void {
  if (!isBranch(node)) {
    for (let i = 0; i < node.keys.length; i++) f(node.values[i], node.keys[i] as string);
    return;
  }
  const datamap = node[DATAMAP] as number;
  const nodemap = node[NODEMAP] as number;
  let slots = datamap | nodemap;
  while (slots !== 0) {
    const bit = slots & -slots;
    slots ^= bit;
    if ((datamap & bit) !== 0) {
      const i = dataIndex(datamap, bit);
      f(node[i + 1], node[i] as string);
    } else forEachIn(node[nodeIndex(node, nodemap, bit)] as Child, f);
  }
}

/**
 * Builds a map from entries; a later entry for the same key wins. Sorts the entries into trie
 * order (a radix sort on the hashes) and builds each node once, bottom-up, in canonical form: no
 * intermediate versions.
 */
export function mapFromEntries<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
  const keys: string[] = [];
  const values: V[] = [];
  const hashes: number[] = [];
  for (const [key, value] of entries) {
    keys.push(key);
    values.push(value);
    hashes.push(hashString(key));
  }
  const n = keys.length;
  if (n === 0) return EMPTY;
  const perm = trieSort(hashes);
  const sortedHashes: number[] = [];
  const sortedKeys: string[] = [];
  const sortedValues: V[] = [];
  let i = 0;
  while (i < n) {
    const hash = hashes[perm[i] as number] as number;
    let j = i + 1;
    while (j < n && hashes[perm[j] as number] === hash) j++;
    // Equal hashes (the same key repeated, or colliding keys): order by key. The sorts are stable,
    // so repeats of a key stay in input order and the last one is kept.
    const run = j - i === 1 ? [perm[i] as number] : Array.from(perm.subarray(i, j)).sort(byKey(keys));
    for (let r = 0; r < run.length; r++) {
      const p = run[r] as number;
      const next = run[r + 1];
      if (next !== undefined && keys[next] === keys[p]) continue;
      sortedHashes.push(hash);
      sortedKeys.push(keys[p] as string);
      sortedValues.push(values[p] as V);
    }
    i = j;
  }
  return new Root(buildBranch(sortedHashes, sortedKeys, sortedValues, 0, sortedKeys.length, 0));
}

// ---------------------------------------------------------------------------------------------
// Hashing and bit tricks

/** FNV-1a (32-bit) over UTF-16 code units, then murmur3's fmix32 avalanche. Signed int32. */
function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

/** The hash's chunks re-packed most-significant-first: sorting by it sorts into trie order. */
function trieOrder(h: number): number {
  return (
    (((h & MASK) << 27) |
      (((h >>> 5) & MASK) << 22) |
      (((h >>> 10) & MASK) << 17) |
      (((h >>> 15) & MASK) << 12) |
      (((h >>> 20) & MASK) << 7) |
      (((h >>> 25) & MASK) << 2) |
      (h >>> 30)) >>>
    0
  );
}

/** Indices of `hashes` in trie order; stable (an LSD radix sort, 8 bits per pass). */
function trieSort(hashes: readonly number[]): Uint32Array {
  const n = hashes.length;
  const orders = new Uint32Array(n);
  let perm = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    orders[i] = trieOrder(hashes[i] as number);
    perm[i] = i;
  }
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

function byKey(keys: readonly string[]): (a: number, b: number) => number {
  return (a, b) => {
    const ka = keys[a] as string;
    const kb = keys[b] as string;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

function isBranch(node: Child): node is Branch {
  return Array.isArray(node);
}

function childSize(node: Child): number {
  return isBranch(node) ? (node[SIZE] as number) : node.keys.length;
}

/** Index of the entry's key for `bit` (its value follows). */
function dataIndex(datamap: number, bit: number): number {
  return HEADER + 2 * popcount(datamap & (bit - 1));
}

/** Index of the child for `bit` (children are stored last-to-first at the end). */
function nodeIndex(branch: Branch, nodemap: number, bit: number): number {
  return branch.length - 1 - popcount(nodemap & (bit - 1));
}

// ---------------------------------------------------------------------------------------------
// Trie operations

function lookup(root: Branch, hash: number, key: string): unknown {
  let branch = root;
  let shift = 0;
  for (;;) {
    const bit = 1 << ((hash >>> shift) & MASK);
    const datamap = branch[DATAMAP] as number;
    if ((datamap & bit) !== 0) {
      const i = dataIndex(datamap, bit);
      return branch[i] === key ? branch[i + 1] : ABSENT;
    }
    const nodemap = branch[NODEMAP] as number;
    if ((nodemap & bit) === 0) return ABSENT;
    const child = branch[nodeIndex(branch, nodemap, bit)] as Child;
    if (isBranch(child)) {
      branch = child;
      shift += BITS;
    } else {
      if (child.hash !== hash) return ABSENT;
      const j = child.keys.indexOf(key);
      return j < 0 ? ABSENT : child.values[j];
    }
  }
}

function setIn(branch: Branch, shift: number, hash: number, key: string, value: unknown): Branch {
  const bit = 1 << ((hash >>> shift) & MASK);
  const datamap = branch[DATAMAP] as number;
  const nodemap = branch[NODEMAP] as number;
  const size = branch[SIZE] as number;
  if ((datamap & bit) !== 0) {
    const i = dataIndex(datamap, bit);
    const other = branch[i] as string;
    if (other === key) {
      if (branch[i + 1] === value) return branch;
      const out = branch.slice();
      out[i + 1] = value;
      return out;
    }
    // Another key ends in this slot: both move down into a new child (or a collision node).
    const child = pair(shift + BITS, hashString(other), other, branch[i + 1], hash, key, value);
    const out = branch.toSpliced(i, 2);
    out.splice(out.length - popcount(nodemap & (bit - 1)), 0, child);
    out[DATAMAP] = datamap ^ bit;
    out[NODEMAP] = nodemap | bit;
    out[SIZE] = size + 1;
    return out;
  }
  if ((nodemap & bit) !== 0) {
    const j = nodeIndex(branch, nodemap, bit);
    const child = branch[j] as Child;
    let next: Child;
    if (isBranch(child)) next = setIn(child, shift + BITS, hash, key, value);
    else if (child.hash === hash) next = collisionSet(child, key, value);
    else next = splitCollision(shift + BITS, child, hash, key, value);
    if (next === child) return branch;
    const out = branch.slice();
    out[j] = next;
    out[SIZE] = size + childSize(next) - childSize(child);
    return out;
  }
  const out = branch.toSpliced(dataIndex(datamap, bit), 0, key, value);
  out[DATAMAP] = datamap | bit;
  out[SIZE] = size + 1;
  return out;
}

/** The node holding two entries with different keys, from `shift` down. */
function pair(
  shift: number,
  h1: number,
  k1: string,
  v1: unknown,
  h2: number,
  k2: string,
  v2: unknown,
): Child {
  if (h1 === h2) {
    return k1 < k2 ? new Collision(h1, [k1, k2], [v1, v2]) : new Collision(h1, [k2, k1], [v2, v1]);
  }
  const c1 = (h1 >>> shift) & MASK;
  const c2 = (h2 >>> shift) & MASK;
  if (c1 === c2) return [0, 1 << c1, 2, pair(shift + BITS, h1, k1, v1, h2, k2, v2)];
  const bits = (1 << c1) | (1 << c2);
  return c1 < c2 ? [bits, 0, 2, k1, v1, k2, v2] : [bits, 0, 2, k2, v2, k1, v1];
}

/** The node holding a collision node and an entry whose hash differs, from `shift` down. */
function splitCollision(shift: number, c: Collision, hash: number, key: string, value: unknown): Branch {
  const cc = (c.hash >>> shift) & MASK;
  const ck = (hash >>> shift) & MASK;
  const size = c.keys.length + 1;
  if (cc === ck) return [0, 1 << cc, size, splitCollision(shift + BITS, c, hash, key, value)];
  return [1 << ck, 1 << cc, size, key, value, c];
}

function collisionSet(c: Collision, key: string, value: unknown): Collision {
  const keys = c.keys;
  const n = keys.length;
  let i = 0;
  while (i < n && (keys[i] as string) < key) i++;
  if (keys[i] === key) {
    if (c.values[i] === value) return c;
    const values = c.values.slice();
    values[i] = value;
    return new Collision(c.hash, keys, values);
  }
  return new Collision(c.hash, keys.toSpliced(i, 0, key), c.values.toSpliced(i, 0, value));
}

function removeIn(branch: Branch, shift: number, hash: number, key: string): Branch {
  const bit = 1 << ((hash >>> shift) & MASK);
  const datamap = branch[DATAMAP] as number;
  const nodemap = branch[NODEMAP] as number;
  const size = branch[SIZE] as number;
  if ((datamap & bit) !== 0) {
    const i = dataIndex(datamap, bit);
    if (branch[i] !== key) return branch;
    const out = branch.toSpliced(i, 2);
    out[DATAMAP] = datamap ^ bit;
    out[SIZE] = size - 1;
    return out;
  }
  if ((nodemap & bit) === 0) return branch;
  const j = nodeIndex(branch, nodemap, bit);
  const child = branch[j] as Child;
  let next: Child;
  if (isBranch(child)) {
    const sub = removeIn(child, shift + BITS, hash, key);
    if (sub === child) return branch;
    // Canonical form: a child left with one entry hands it back to this branch (it is then a
    // bare entry there, as it is in any other subtree of size 1), and a child left with just a
    // collision node is replaced by it.
    if (sub[SIZE] === 1) return inline(branch, j, bit, sub[HEADER] as string, sub[HEADER + 1], size - 1);
    const only = sub[HEADER] as Child;
    next = sub[DATAMAP] === 0 && sub.length === HEADER + 1 && !isBranch(only) ? only : sub;
  } else {
    if (child.hash !== hash) return branch;
    const i = child.keys.indexOf(key);
    if (i < 0) return branch;
    if (child.keys.length === 2) {
      return inline(branch, j, bit, child.keys[1 - i] as string, child.values[1 - i], size - 1);
    }
    next = new Collision(hash, child.keys.toSpliced(i, 1), child.values.toSpliced(i, 1));
  }
  const out = branch.slice();
  out[j] = next;
  out[SIZE] = size - 1;
  return out;
}

/** Replaces the child at index `j` (slot `bit`) with the single entry `key → value`. */
function inline(branch: Branch, j: number, bit: number, key: string, value: unknown, size: number): Branch {
  const datamap = branch[DATAMAP] as number;
  const out = branch.toSpliced(j, 1);
  out.splice(dataIndex(datamap, bit), 0, key, value);
  out[DATAMAP] = datamap | bit;
  out[NODEMAP] = (branch[NODEMAP] as number) ^ bit;
  out[SIZE] = size;
  return out;
}

/** Builds the canonical branch for the sorted, de-duplicated entries [lo, hi) at `shift`. */
function buildBranch(
  hashes: readonly number[],
  keys: readonly string[],
  values: readonly unknown[],
  lo: number,
  hi: number,
  shift: number,
): Branch {
  const data: unknown[] = [];
  const children: Child[] = [];
  let datamap = 0;
  let nodemap = 0;
  let i = lo;
  while (i < hi) {
    const chunk = ((hashes[i] as number) >>> shift) & MASK;
    let j = i + 1;
    while (j < hi && (((hashes[j] as number) >>> shift) & MASK) === chunk) j++;
    if (j - i === 1) {
      datamap |= 1 << chunk;
      data.push(keys[i], values[i]);
    } else {
      nodemap |= 1 << chunk;
      // Sorted by trie order, so equal hashes are adjacent (and their keys ascending).
      children.push(
        hashes[i] === hashes[j - 1]
          ? new Collision(hashes[i] as number, keys.slice(i, j), values.slice(i, j))
          : buildBranch(hashes, keys, values, i, j, shift + BITS),
      );
    }
    i = j;
  }
  const out: unknown[] = [datamap, nodemap, hi - lo];
  for (const item of data) out.push(item);
  for (let c = children.length - 1; c >= 0; c--) out.push(children[c]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Iteration: an explicit depth-first stack; each branch's slots are visited in ascending order.

abstract class TrieIterator<V, T> implements IterableIterator<T> {
  private readonly nodes: Child[];
  /** Per depth: for a branch, the bitmap of slots still to visit; for a collision, the index. */
  private readonly cursors: number[];
  private depth: number;

  constructor(root: Branch) {
    this.nodes = [root];
    this.cursors = [(root[DATAMAP] as number) | (root[NODEMAP] as number)];
    this.depth = 0;
  }

  protected abstract emit(key: string, value: V): T;

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<T, undefined> {
    const nodes = this.nodes;
    const cursors = this.cursors;
    let depth = this.depth;
    while (depth >= 0) {
      const node = nodes[depth] as Child;
      const cursor = cursors[depth] as number;
      if (isBranch(node)) {
        if (cursor !== 0) {
          const bit = cursor & -cursor;
          cursors[depth] = cursor ^ bit;
          const datamap = node[DATAMAP] as number;
          if ((datamap & bit) !== 0) {
            const i = dataIndex(datamap, bit);
            this.depth = depth;
            return { done: false, value: this.emit(node[i] as string, node[i + 1] as V) };
          }
          const child = node[nodeIndex(node, node[NODEMAP] as number, bit)] as Child;
          depth++;
          nodes[depth] = child;
          cursors[depth] = isBranch(child) ? (child[DATAMAP] as number) | (child[NODEMAP] as number) : 0;
          continue;
        }
      } else if (cursor < node.keys.length) {
        cursors[depth] = cursor + 1;
        this.depth = depth;
        return { done: false, value: this.emit(node.keys[cursor] as string, node.values[cursor] as V) };
      }
      depth--;
    }
    this.depth = -1;
    return { done: true, value: undefined };
  }
}

class EntryIterator<V> extends TrieIterator<V, [string, V]> {
  protected override emit(key: string, value: V): [string, V] {
    return [key, value];
  }
}

class KeyIterator<V> extends TrieIterator<V, string> {
  protected override emit(key: string): string {
    return key;
  }
}

class ValueIterator<V> extends TrieIterator<V, V> {
  protected override emit(_key: string, value: V): V {
    return value;
  }
}
