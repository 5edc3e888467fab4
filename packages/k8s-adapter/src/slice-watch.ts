/**
 * zen-lead's EndpointSlices as one stream of core events: the label-selected watch of its own
 * slices, plus a watch of each single name it was told to follow. A create refused with 409
 * AlreadyExists means something else holds a slice name zen-lead wants — a foreign slice the
 * label-selected watch does not see, or zen-lead's own slice with its managed-by label edited away
 * — and the core must see it to say NameCollision (or to take its own object back). So that one
 * name is followed (a list and watch with `metadata.name=<name>`): never every EndpointSlice of the
 * cluster. A name is followed until nothing is at it any more, or the label-selected watch has it.
 *
 * The collections are merged as one kind: a relist of any of them is one `resync` of the union,
 * and a delete is passed on only when no collection still holds the object.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { type ClusterEvent, type Decoded, objectKey } from "@zen-lead/core";
import { Observable, Subscription } from "rxjs";
import { type WatchOptions, watchKind } from "./watch.ts";

export interface SliceWatch {
  /** The merged stream; each subscription has its own watches. */
  readonly events$: Observable<ClusterEvent>;
  /** Follow the EndpointSlice at this name too (no-op when already followed or unsubscribed). */
  follow(namespace: string, name: string): void;
}

const BASE = "";

function keyOf(d: Decoded): string {
  return objectKey(d.namespace ?? "", d.name ?? "");
}

/**
 * `options` are those of the label-selected watch (namespaces, timeouts, scheduler, transport...);
 * a followed name uses the same ones in its namespace, without the label selector.
 */
export function watchSlices(kc: KubeConfig, options: WatchOptions = {}): SliceWatch {
  let follow: (namespace: string, name: string) => void = () => {};
  const events$ = new Observable<ClusterEvent>((subscriber) => {
    /** collection ("" for the label-selected one, else the followed object's key) -> its objects. */
    const stores = new Map<string, Map<string, Decoded>>();
    const followed = new Map<string, Subscription>();
    const emitResync = () => {
      if (!stores.has(BASE)) return; // the core hears of slices once its own are listed
      const union = new Map<string, Decoded>();
      for (const store of stores.values()) for (const [key, d] of store) union.set(key, d);
      subscriber.next({ type: "resync", kind: "EndpointSlice", objects: [...union.values()] });
    };
    const unfollow = (key: string) => {
      followed.get(key)?.unsubscribe();
      followed.delete(key);
      stores.delete(key);
    };
    /** Feeds one collection's event into the union; `collection` is BASE or a followed key. */
    const feed = (collection: string, event: ClusterEvent) => {
      if (event.type === "resync") {
        stores.set(collection, new Map(event.objects.map((d) => [keyOf(d), d])));
        emitResync();
      } else if (event.type === "upsert") {
        stores.get(collection)?.set(keyOf(event.object), event.object);
        if (stores.has(BASE)) subscriber.next(event);
      } else if (event.type === "delete") {
        const key = objectKey(event.namespace, event.name);
        stores.get(collection)?.delete(key);
        const held = [...stores.values()].some((store) => store.has(key));
        if (!held && stores.has(BASE)) subscriber.next(event);
      }
      // Stop following a name once nothing is there, or the label-selected watch has it.
      for (const key of followed.keys()) {
        const store = stores.get(key);
        if (store === undefined) continue;
        if (store.size === 0 || stores.get(BASE)?.has(key) === true) unfollow(key);
      }
    };
    const base = watchKind(kc, "EndpointSlice", options).subscribe((e) => feed(BASE, e));
    follow = (namespace, name) => {
      const key = objectKey(namespace, name);
      if (followed.has(key) || subscriber.closed) return;
      const one = watchKind(kc, "EndpointSlice", {
        ...options,
        namespaces: [namespace],
        labelSelector: "",
        fieldSelector: `metadata.name=${name}`,
      });
      // Registered before subscribing: if it is unfollowed at once, the watch ends with it.
      const holder = new Subscription();
      followed.set(key, holder);
      holder.add(one.subscribe((e) => feed(key, e)));
    };
    return () => {
      follow = () => {};
      base.unsubscribe();
      for (const s of followed.values()) s.unsubscribe();
      followed.clear();
    };
  });
  return { events$, follow: (namespace, name) => follow(namespace, name) };
}
