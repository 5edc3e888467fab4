/**
 * The selector index: which sources a pod's labels may route it to. Each source with an active
 * selector is indexed under one pair of its selector (the lexically first key, with its value) in
 * its namespace, nested as namespace -> key -> value -> the sources indexed there, each with its
 * current Service view (so routing reads neither the Service map nor, in `decide`, the source's
 * Service again). Nested rather than keyed by a composed `namespace/key=value` string: routing a
 * pod builds no string and looks up only small maps (a namespace's label keys, one key's values),
 * which stay in cache. The sources under one pair are a small array (usually one), read with a
 * plain loop.
 */
import { emptyMap, mapGet, mapUpdate, type PersistentMap } from "./persistent-map.ts";
import type { ServiceView } from "./views.ts";

export type Selector = Readonly<Record<string, string>>;
/** A source (`namespace/name`) indexed under a pair, with its current Service view. */
export interface IndexedSource {
  readonly source: string;
  readonly service: ServiceView;
}
/** label value -> the sources indexed under it, sorted by source (never empty). */
export type ValueIndex = PersistentMap<readonly IndexedSource[]>;
/** label key -> ValueIndex, for one namespace. */
export type NamespaceIndex = PersistentMap<ValueIndex>;
/** namespace -> NamespaceIndex. */
export type SelectorIndex = PersistentMap<NamespaceIndex>;

/** The pair a selector is indexed under: its lexically first key (deterministic). */
function firstKey(selector: Selector): string {
  let first: string | undefined;
  for (const key in selector) if (first === undefined || key < first) first = key;
  return first ?? "";
}

/** `sources` with `source` set to `service` (or, undefined, taken out); sorted by source. */
function withSource(
  sources: readonly IndexedSource[],
  source: string,
  service: ServiceView | undefined,
): readonly IndexedSource[] {
  const out = sources.filter((s) => s.source !== source);
  if (service !== undefined) {
    out.push({ source, service });
    out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  }
  return out;
}

/** Sets (or, undefined, removes) `source` under the selector's pair, dropping maps left empty. */
function put(
  index: SelectorIndex,
  namespace: string,
  selector: Selector,
  source: string,
  value: ServiceView | undefined,
): SelectorIndex {
  const key = firstKey(selector);
  const labelValue = selector[key] ?? "";
  const prune = <V>(m: PersistentMap<V>) => (m.size === 0 ? undefined : m);
  return mapUpdate(index, namespace, (keys) =>
    prune(
      mapUpdate(keys ?? emptyMap(), key, (values) =>
        prune(
          mapUpdate(values ?? emptyMap(), labelValue, (sources) => {
            const next = withSource(sources ?? [], source, value);
            return next.length === 0 ? undefined : next;
          }),
        ),
      ),
    ),
  );
}

/** The index with `source` (indexed under `selector`, in `namespace`) set to its view `service`. */
export function indexSource(
  index: SelectorIndex,
  namespace: string,
  selector: Selector,
  source: string,
  service: ServiceView,
): SelectorIndex {
  return put(index, namespace, selector, source, service);
}

/** The index without `source` (indexed under `selector` in `namespace`). */
export function unindexSource(
  index: SelectorIndex,
  namespace: string,
  selector: Selector,
  source: string,
): SelectorIndex {
  return put(index, namespace, selector, source, undefined);
}

/** The sources indexed under `key=value` in a namespace's index: each may select the pod. */
export function sourcesUnder(
  namespaceIndex: NamespaceIndex,
  key: string,
  value: string,
): readonly IndexedSource[] | undefined {
  const values = mapGet(namespaceIndex, key);
  return values === undefined ? undefined : mapGet(values, value);
}
