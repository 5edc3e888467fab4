/**
 * An immutable, persistent hash map with string keys: the core's state store.
 *
 * Why it exists: `step()` never mutates its input state, yet one watch event must cost O(what it
 * touches), not O(cluster). Copying a native `Map` (or object) per event would be O(cluster) with
 * 100,000 pods; here `mapSet`/`mapRemove` copy only the few small nodes on the path to the key and
 * share everything else with the previous version, so every old state stays valid and unchanged.
 *
 * Design: a hash array mapped trie (HAMT).
 * - Keys hash to 32 bits (FNV-1a over UTF-16 code units, then murmur3's fmix32 finaliser so every
 *   bit of the key reaches the low bits the trie consumes first). Each level consumes 5 bits, low
 *   bits first (7 levels: 6 × 5 bits + 2). A branch stores only its occupied slots, located through
 *   a 32-bit bitmap and popcount.
 * - Keys whose 32-bit hashes are equal share a collision node, kept sorted by key.
 * - The trie is canonical: an entry sits at the shallowest level where its hash prefix is unique,
 *   and removal collapses a branch left holding a single leaf or collision node into its parent.
 *   Iteration walks slots in ascending order, so the order (by hash chunks level by level, then by
 *   key) is a function of the set of keys only, never of the order of the operations.
 * - Every branch records its subtree size, so `size` is O(1) and the root branch is the map itself
 *   (no wrapper object per version).
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

const BRANCH = 0;
const LEAF = 1;
const COLLISION = 2;

const BITS = 5;
const MASK = 31;

type Node<V> = Branch<V> | Leaf<V> | Collision<V>;

class Branch<V> {
  readonly kind = BRANCH;
  /** Bit i set ⇔ slot i is occupied; `children` holds the occupied slots in ascending order. */
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
  /** Number of entries in this subtree. */
  readonly size: number;
  declare readonly [valueType]: V;

  constructor(bitmap: number, children: readonly Node<V>[], size: number) {
    this.bitmap = bitmap;
    this.children = children;
    this.size = size;
  }
}

class Leaf<V> {
  readonly kind = LEAF;
  readonly hash: number;
  readonly key: string;
  readonly value: V;

  constructor(hash: number, key: string, value: V) {
    this.hash = hash;
    this.key = key;
    this.value = value;
  }
}

/** Two or more entries whose keys have the same 32-bit hash; `keys` ascending, `values` aligned. */
class Collision<V> {
  readonly kind = COLLISION;
  readonly hash: number;
  readonly keys: readonly string[];
  readonly values: readonly V[];

  constructor(hash: number, keys: readonly string[], values: readonly V[]) {
    this.hash = hash;
    this.keys = keys;
    this.values = values;
  }
}

const EMPTY: Branch<never> = Object.freeze(new Branch<never>(0, Object.freeze([]), 0));

/** Returned by `lookup` for an absent key (a value of type `V` may itself be `undefined`). */
const ABSENT: unique symbol = Symbol("absent");

// ---------------------------------------------------------------------------------------------
// Public API

export function emptyMap<V = never>(): PersistentMap<V> {
  return EMPTY;
}

export function mapGet<V>(m: PersistentMap<V>, key: string): V | undefined {
  const found = lookup(m as Branch<V>, hashString(key), key);
  return found === ABSENT ? undefined : found;
}

export function mapHas<V>(m: PersistentMap<V>, key: string): boolean {
  return lookup(m as Branch<V>, hashString(key), key) !== ABSENT;
}

export function mapSet<V>(m: PersistentMap<V>, key: string, value: V): PersistentMap<V> {
  return setIn(m as Branch<V>, 0, hashString(key), key, value);
}

export function mapRemove<V>(m: PersistentMap<V>, key: string): PersistentMap<V> {
  return removeIn(m as Branch<V>, 0, hashString(key), key);
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
  const root = m as Branch<V>;
  const hash = hashString(key);
  const found = lookup(root, hash, key);
  const next = f(found === ABSENT ? undefined : found);
  if (next === undefined) return found === ABSENT ? root : removeIn(root, 0, hash, key);
  return setIn(root, 0, hash, key, next);
}

/** Entries in trie order: deterministic, a function of the set of keys only. */
export function mapEntries<V>(m: PersistentMap<V>): IterableIterator<[string, V]> {
  return new EntryIterator(m as Branch<V>);
}

/** Values in the same order as `mapEntries`. */
export function mapValues<V>(m: PersistentMap<V>): IterableIterator<V> {
  return new ValueIterator(m as Branch<V>);
}

/** Keys in the same order as `mapEntries`. */
export function mapKeys<V>(m: PersistentMap<V>): IterableIterator<string> {
  return new KeyIterator(m as Branch<V>);
}

/**
 * Builds a map from entries; a later entry for the same key wins. Builds the trie in one pass
 * over the entries sorted into trie order, allocating each node once (no intermediate versions).
 */
export function mapFromEntries<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
  const keys: string[] = [];
  const values: V[] = [];
  const hashes: number[] = [];
  const orders: number[] = [];
  for (const [key, value] of entries) {
    const hash = hashString(key);
    keys.push(key);
    values.push(value);
    hashes.push(hash);
    orders.push(trieOrder(hash));
  }
  const n = keys.length;
  if (n === 0) return EMPTY;
  const perm: number[] = [];
  for (let i = 0; i < n; i++) perm.push(i);
  // Stable sort: entries with equal keys stay in input order, so the last one of a run wins.
  perm.sort((a, b) => (orders[a] as number) - (orders[b] as number) || compareKeys(keys[a], keys[b]));
  const sortedHashes: number[] = [];
  const sortedKeys: string[] = [];
  const sortedValues: V[] = [];
  for (let i = 0; i < n; i++) {
    const p = perm[i] as number;
    const next = perm[i + 1];
    if (next !== undefined && keys[next] === keys[p]) continue;
    sortedHashes.push(hashes[p] as number);
    sortedKeys.push(keys[p] as string);
    sortedValues.push(values[p] as V);
  }
  return buildBranch(sortedHashes, sortedKeys, sortedValues, 0, sortedKeys.length, 0);
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

function compareKeys(a: string | undefined, b: string | undefined): number {
  return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
}

function nodeSize<V>(node: Node<V>): number {
  return node.kind === BRANCH ? node.size : node.kind === LEAF ? 1 : node.keys.length;
}

// ---------------------------------------------------------------------------------------------
// Copy-on-write array helpers (arrays here are at most 32 long)

function replaceAt<T>(a: readonly T[], i: number, v: T): T[] {
  const out = a.slice();
  out[i] = v;
  return out;
}

function insertAt<T>(a: readonly T[], i: number, v: T): T[] {
  return a.toSpliced(i, 0, v);
}

function removeAt<T>(a: readonly T[], i: number): T[] {
  return a.toSpliced(i, 1);
}

// ---------------------------------------------------------------------------------------------
// Trie operations

function lookup<V>(root: Branch<V>, hash: number, key: string): V | typeof ABSENT {
  let node = root;
  let shift = 0;
  for (;;) {
    const bit = 1 << ((hash >>> shift) & MASK);
    const bitmap = node.bitmap;
    if ((bitmap & bit) === 0) return ABSENT;
    const child = node.children[popcount(bitmap & (bit - 1))] as Node<V>;
    if (child.kind === BRANCH) {
      node = child;
      shift += BITS;
    } else if (child.kind === LEAF) {
      return child.hash === hash && child.key === key ? child.value : ABSENT;
    } else {
      if (child.hash !== hash) return ABSENT;
      const i = child.keys.indexOf(key);
      return i < 0 ? ABSENT : (child.values[i] as V);
    }
  }
}

function setIn<V>(node: Branch<V>, shift: number, hash: number, key: string, value: V): Branch<V> {
  const bit = 1 << ((hash >>> shift) & MASK);
  const bitmap = node.bitmap;
  const children = node.children;
  const index = popcount(bitmap & (bit - 1));
  if ((bitmap & bit) === 0) {
    return new Branch(bitmap | bit, insertAt(children, index, new Leaf(hash, key, value)), node.size + 1);
  }
  const child = children[index] as Node<V>;
  let next: Node<V>;
  if (child.kind === LEAF) {
    if (child.hash === hash && child.key === key) {
      if (child.value === value) return node;
      next = new Leaf(hash, key, value);
    } else {
      next = merge(child, new Leaf(hash, key, value), shift + BITS);
    }
  } else if (child.kind === BRANCH) {
    next = setIn(child, shift + BITS, hash, key, value);
    if (next === child) return node;
  } else if (child.hash === hash) {
    next = collisionSet(child, key, value);
    if (next === child) return node;
  } else {
    next = merge(child, new Leaf(hash, key, value), shift + BITS);
  }
  return new Branch(bitmap, replaceAt(children, index, next), node.size + nodeSize(next) - nodeSize(child));
}

/** Joins an existing leaf or collision node with a new leaf whose key differs, from `shift` down. */
function merge<V>(a: Leaf<V> | Collision<V>, b: Leaf<V>, shift: number): Node<V> {
  if (a.hash === b.hash) {
    if (a.kind === COLLISION) return collisionSet(a, b.key, b.value);
    return a.key < b.key
      ? new Collision(a.hash, [a.key, b.key], [a.value, b.value])
      : new Collision(a.hash, [b.key, a.key], [b.value, a.value]);
  }
  const size = nodeSize(a) + 1;
  const ia = (a.hash >>> shift) & MASK;
  const ib = (b.hash >>> shift) & MASK;
  if (ia === ib) return new Branch(1 << ia, [merge(a, b, shift + BITS)], size);
  return new Branch((1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a], size);
}

function collisionSet<V>(c: Collision<V>, key: string, value: V): Collision<V> {
  const keys = c.keys;
  const n = keys.length;
  let i = 0;
  while (i < n && (keys[i] as string) < key) i++;
  if (keys[i] === key) {
    return c.values[i] === value ? c : new Collision(c.hash, keys, replaceAt(c.values, i, value));
  }
  return new Collision(c.hash, insertAt(keys, i, key), insertAt(c.values, i, value));
}

function removeIn<V>(node: Branch<V>, shift: number, hash: number, key: string): Branch<V> {
  const bit = 1 << ((hash >>> shift) & MASK);
  const bitmap = node.bitmap;
  if ((bitmap & bit) === 0) return node;
  const children = node.children;
  const index = popcount(bitmap & (bit - 1));
  const child = children[index] as Node<V>;
  let next: Node<V>;
  if (child.kind === LEAF) {
    if (child.hash !== hash || child.key !== key) return node;
    return new Branch(bitmap ^ bit, removeAt(children, index), node.size - 1);
  }
  if (child.kind === BRANCH) {
    const sub = removeIn(child, shift + BITS, hash, key);
    if (sub === child) return node;
    // Canonical form: a non-root branch left with one leaf or collision node is replaced by it.
    const only = sub.children[0] as Node<V>;
    next = sub.children.length === 1 && only.kind !== BRANCH ? only : sub;
  } else {
    if (child.hash !== hash) return node;
    next = collisionRemove(child, key);
    if (next === child) return node;
  }
  return new Branch(bitmap, replaceAt(children, index, next), node.size - 1);
}

function collisionRemove<V>(c: Collision<V>, key: string): Leaf<V> | Collision<V> {
  const i = c.keys.indexOf(key);
  if (i < 0) return c;
  if (c.keys.length === 2) {
    const j = 1 - i;
    return new Leaf(c.hash, c.keys[j] as string, c.values[j] as V);
  }
  return new Collision(c.hash, removeAt(c.keys, i), removeAt(c.values, i));
}

/** Builds the canonical branch for the sorted, de-duplicated entries [lo, hi) at `shift`. */
function buildBranch<V>(
  hashes: readonly number[],
  keys: readonly string[],
  values: readonly V[],
  lo: number,
  hi: number,
  shift: number,
): Branch<V> {
  const children: Node<V>[] = [];
  let bitmap = 0;
  let i = lo;
  while (i < hi) {
    const chunk = ((hashes[i] as number) >>> shift) & MASK;
    let j = i + 1;
    while (j < hi && (((hashes[j] as number) >>> shift) & MASK) === chunk) j++;
    bitmap |= 1 << chunk;
    if (j - i === 1) {
      children.push(new Leaf(hashes[i] as number, keys[i] as string, values[i] as V));
    } else if (hashes[i] === hashes[j - 1]) {
      // Sorted by trie order, so equal hashes are adjacent (and their keys ascending).
      children.push(new Collision(hashes[i] as number, keys.slice(i, j), values.slice(i, j)));
    } else {
      children.push(buildBranch(hashes, keys, values, i, j, shift + BITS));
    }
    i = j;
  }
  return new Branch(bitmap, children, hi - lo);
}

// ---------------------------------------------------------------------------------------------
// Iteration: an explicit depth-first stack over branches and collision nodes, in slot order.

abstract class TrieIterator<V, T> implements IterableIterator<T> {
  private readonly nodes: (Branch<V> | Collision<V>)[];
  private readonly positions: number[];
  private depth: number;

  constructor(root: Branch<V>) {
    this.nodes = [root];
    this.positions = [0];
    this.depth = root.size === 0 ? -1 : 0;
  }

  protected abstract emit(key: string, value: V): T;

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<T, undefined> {
    const nodes = this.nodes;
    const positions = this.positions;
    let depth = this.depth;
    while (depth >= 0) {
      const node = nodes[depth] as Branch<V> | Collision<V>;
      const i = positions[depth] as number;
      if (node.kind === BRANCH) {
        const children = node.children;
        if (i < children.length) {
          positions[depth] = i + 1;
          const child = children[i] as Node<V>;
          if (child.kind === LEAF) {
            this.depth = depth;
            return { done: false, value: this.emit(child.key, child.value) };
          }
          depth++;
          nodes[depth] = child;
          positions[depth] = 0;
          continue;
        }
      } else if (i < node.keys.length) {
        positions[depth] = i + 1;
        this.depth = depth;
        return { done: false, value: this.emit(node.keys[i] as string, node.values[i] as V) };
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
