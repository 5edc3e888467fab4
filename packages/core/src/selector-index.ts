/**
 * The selector index: which sources a pod's labels may route it to. Each source with an active
 * selector is indexed under one pair of its selector (the lexically first key, with its value) in
 * its namespace, nested as namespace -> key -> value -> source -> its current Service view (so
 * routing reads neither the Service map nor, in `decide`, the source's Service again). Nested rather than
 * keyed by a composed `namespace/key=value` string: routing a pod builds no string and looks up
 * only small maps (a namespace's label keys, one key's values), which stay in cache.
 */
import { emptyMap, mapGet, mapRemove, mapSet, mapUpdate, type PersistentMap } from "./persistent-map.ts";
import type { ServiceView } from "./views.ts";

export type Selector = Readonly<Record<string, string>>;
/** label value -> source (`namespace/name`) -> its Service view. */
export type ValueIndex = PersistentMap<PersistentMap<ServiceView>>;
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
            const base = sources ?? emptyMap<ServiceView>();
            return prune(value === undefined ? mapRemove(base, source) : mapSet(base, source, value));
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
): PersistentMap<ServiceView> | undefined {
  const values = mapGet(namespaceIndex, key);
  return values === undefined ? undefined : mapGet(values, value);
}
