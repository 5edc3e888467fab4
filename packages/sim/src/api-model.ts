/**
 * The in-memory API server the simulator runs zen-lead against. It keeps objects by kind and
 * `namespace/name`, stamps them as an API server would (uid, a global resourceVersion,
 * creationTimestamp), enforces the preconditions zen-lead's writes carry, injects failures from a
 * seeded PRNG, and says what changed, so the engine can turn each accepted change into a watch
 * event. It knows nothing about time passing: callers pass `now` (epoch ms) for timestamps.
 *
 * Why these rules: they are the ones zen-lead's correctness rests on in a real cluster — a create
 * never overwrites (409 AlreadyExists), an update or delete only touches the object whose uid it
 * observed (409 on a mismatch, 404 when gone), and a write that changes nothing is a no-op that
 * emits no watch event (so a controller that writes redundantly cannot count on an echo).
 */
import {
  type ApplyAction,
  type Decoded,
  type DeleteAction,
  decode,
  deepEqual,
  formatTimestamp,
  type Kind,
  objectKey,
} from "@zen-lead/core";
import { mulberry32 } from "./event-log/index.ts";
import type { ApiBehaviour, ApiObject } from "./model.ts";

/** One stored object: the JSON as the API serves it, and its decoded view (decoded once, shared). */
export interface StoredObject {
  readonly kind: Kind;
  /** `namespace/name`, or `name` for cluster-scoped objects (core `objectKey`). */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly raw: ApiObject;
  readonly view: Decoded;
  readonly uid: string;
  readonly resourceVersion: number;
  /**
   * The resourceVersion the object carried when it was put (recorded logs keep the real
   * cluster's). A later put carrying the same one is the same object again and changes nothing.
   */
  readonly sourceVersion: string | undefined;
}

/** A watch event's type. */
export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** An accepted change: what a watch would report. For DELETED, `object` is the last state. */
export interface ApiChange {
  readonly type: ChangeType;
  readonly object: StoredObject;
}

/** What a write of zen-lead's did: a create (POST), an update (apply or replace), a delete. */
export type WriteVerb = "create" | "update" | "delete";

/** The API server's answer to one of zen-lead's writes. */
export interface WriteOutcome {
  readonly verb: WriteVerb;
  /** 200 (update, delete), 201 (create), 404, 409, or an injected failure code. */
  readonly status: number;
  /** The failure was injected by ApiBehaviour (a transient fault, worth retrying). */
  readonly injected: boolean;
  /** Why it failed, one line (absent on success). */
  readonly reason?: string;
  /** The accepted change (absent when the write failed or changed nothing). */
  readonly change?: ApiChange;
  /** Accepted but identical to what was stored: no new resourceVersion, no watch event. */
  readonly unchanged: boolean;
  /** The object as stored after the write (on success), or as it was (on failure), if any. */
  readonly stored?: StoredObject;
}

const CLUSTER_SCOPED: ReadonlySet<Kind> = new Set<Kind>(["Node"]);

function stringField(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

type Json = Record<string, unknown>;

/** The namespace the API model stores an object under: "" for cluster-scoped kinds, else `default` when absent. */
export function storedNamespace(kind: Kind, metadata: ApiObject["metadata"]): string {
  return CLUSTER_SCOPED.has(kind) ? "" : (stringField(metadata.namespace) ?? "default");
}

/** The value as a JSON object, or `{}` when it is not one (API JSON read without trusting it). */
export function record(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The in-memory API server of one run (module comment); `seed` drives its failure injection. */
export class ApiModel {
  #behaviour: ApiBehaviour;
  readonly #random: () => number;
  readonly #objects = new Map<Kind, Map<string, StoredObject>>();
  #resourceVersion = 0;
  #uids = 0;
  #clusterIps = 0;

  constructor(seed: number, behaviour: ApiBehaviour) {
    this.#behaviour = behaviour;
    this.#random = mulberry32(seed);
  }

  get behaviour(): ApiBehaviour {
    return this.#behaviour;
  }

  /** From now on the server behaves like this (fields not given keep their value). */
  changeBehaviour(change: Partial<ApiBehaviour>): void {
    this.#behaviour = { ...this.#behaviour, ...change };
  }

  /** The last resourceVersion handed out (what a list would carry). */
  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  #store(kind: Kind): Map<string, StoredObject> {
    let store = this.#objects.get(kind);
    if (store === undefined) {
      store = new Map();
      this.#objects.set(kind, store);
    }
    return store;
  }

  get(kind: Kind, namespace: string, name: string): StoredObject | undefined {
    return this.#objects.get(kind)?.get(objectKey(CLUSTER_SCOPED.has(kind) ? "" : namespace, name));
  }

  /** Every stored object of a kind, in the order they were first stored (deterministic). */
  list(kind: Kind): Iterable<StoredObject> {
    return this.#objects.get(kind)?.values() ?? [];
  }

  count(kind: Kind): number {
    return this.#objects.get(kind)?.size ?? 0;
  }

  #newUid(): string {
    return `uid-${++this.#uids}`;
  }

  /** Stores `raw` under `key` (the one string built for it: a Map hashes a string once). */
  #keep(
    kind: Kind,
    key: string,
    namespace: string,
    name: string,
    raw: ApiObject,
    sourceVersion: string | undefined,
  ) {
    const stored: StoredObject = {
      kind,
      key,
      namespace,
      name,
      raw,
      view: decode(kind, raw),
      uid: String(raw.metadata.uid),
      resourceVersion: this.#resourceVersion,
      sourceVersion,
    };
    this.#store(kind).set(key, stored);
    return stored;
  }

  /**
   * A world change: store the object as given, filling in what an API server would (namespace
   * `default` for namespaced kinds, uid, creationTimestamp) and a fresh resourceVersion. A put
   * that would change nothing — the same source resourceVersion again, or (without one) the same
   * content — is ignored, as a relist of unchanged objects must be. `key`, when the caller has
   * built it already (`objectKey(storedNamespace(kind, metadata), name)`), is used as given: a
   * string hashed once serves every lookup.
   */
  put(kind: Kind, object: ApiObject, now: number, key?: string): ApiChange | undefined {
    const meta = object.metadata;
    const namespace = storedNamespace(kind, meta);
    const name = meta.name;
    key ??= objectKey(namespace, name);
    const previous = this.#store(kind).get(key);
    const sourceVersion = stringField(meta.resourceVersion);
    if (previous !== undefined && sourceVersion !== undefined && previous.sourceVersion === sourceVersion) {
      return undefined;
    }
    const previousMeta = previous?.raw.metadata;
    // One copy, then assignments (in the order a literal would add them): every record of a
    // replay passes here.
    const metadata: Json = { ...meta };
    if (!CLUSTER_SCOPED.has(kind)) metadata.namespace = namespace;
    metadata.uid = stringField(meta.uid) ?? previous?.uid ?? this.#newUid();
    metadata.creationTimestamp =
      stringField(meta.creationTimestamp) ??
      stringField(previousMeta?.creationTimestamp) ??
      formatTimestamp(now);
    if (previous !== undefined && sourceVersion === undefined) {
      metadata.resourceVersion = String(previous.resourceVersion);
      const same = { ...object, metadata };
      if (deepEqual(same, previous.raw)) return undefined;
    }
    metadata.resourceVersion = String(++this.#resourceVersion);
    const raw = { ...object, metadata } as ApiObject;
    const stored = this.#keep(kind, key, namespace, name, raw, sourceVersion);
    return { type: previous === undefined ? "ADDED" : "MODIFIED", object: stored };
  }

  /** A world change: the object is gone (nothing happens if it was not there). */
  remove(kind: Kind, namespace: string, name: string): ApiChange | undefined {
    const key = objectKey(CLUSTER_SCOPED.has(kind) ? "" : namespace, name);
    const store = this.#objects.get(kind);
    const previous = store?.get(key);
    if (store === undefined || previous === undefined) return undefined;
    store.delete(key);
    this.#resourceVersion++;
    return { type: "DELETED", object: previous };
  }

  /** Decides whether this write fails by injection; draws from the PRNG only while failures are on. */
  #injectedFailure(): number | undefined {
    const { writeFailureRate, writeFailureCodes } = this.#behaviour;
    if (writeFailureRate <= 0 || this.#random() >= writeFailureRate) return undefined;
    const codes = writeFailureCodes.length > 0 ? writeFailureCodes : [500];
    return codes[Math.floor(this.#random() * codes.length)] ?? 500;
  }

  /**
   * zen-lead's server-side apply. `create: true` creates (409 AlreadyExists when anything holds
   * the name); `expectedUid` replaces only that object (404 when absent, 409 on another uid),
   * keeping its uid, creationTimestamp and server-assigned fields.
   */
  apply(action: ApplyAction, now: number): WriteOutcome {
    const verb: WriteVerb = action.create ? "create" : "update";
    const injected = this.#injectedFailure();
    if (injected !== undefined) {
      return { verb, status: injected, injected: true, reason: "injected failure", unchanged: false };
    }
    const previous = this.get(action.kind, action.namespace, action.name);
    const fail = (status: number, reason: string): WriteOutcome => ({
      verb,
      status,
      injected: false,
      reason,
      unchanged: false,
      ...(previous !== undefined ? { stored: previous } : {}),
    });
    if (action.create && previous !== undefined) {
      return fail(409, `AlreadyExists: ${action.kind} ${action.namespace}/${action.name}`);
    }
    if (action.expectedUid !== undefined) {
      if (previous === undefined)
        return fail(404, `NotFound: ${action.kind} ${action.namespace}/${action.name}`);
      if (previous.uid !== action.expectedUid) {
        return fail(409, `Conflict: uid precondition ${action.expectedUid} does not match ${previous.uid}`);
      }
    }
    const manifest = action.manifest as Json;
    const previousMeta = previous?.raw.metadata;
    const metadata: Json = {
      ...record(manifest.metadata),
      name: action.name,
      namespace: action.namespace,
      uid: previous?.uid ?? this.#newUid(),
      creationTimestamp: stringField(previousMeta?.creationTimestamp) ?? formatTimestamp(now),
      resourceVersion: String(previous?.resourceVersion ?? 0),
    };
    const body: Json = { ...manifest, metadata };
    if (action.kind === "Service") body.spec = this.#serviceDefaults(record(manifest.spec), previous);
    if (previous !== undefined && deepEqual(body, previous.raw)) {
      return { verb, status: 200, injected: false, unchanged: true, stored: previous };
    }
    metadata.resourceVersion = String(++this.#resourceVersion);
    const stored = this.#keep(
      action.kind,
      previous?.key ?? objectKey(action.namespace, action.name),
      action.namespace,
      action.name,
      body as ApiObject,
      undefined,
    );
    return {
      verb,
      status: previous === undefined ? 201 : 200,
      injected: false,
      unchanged: false,
      change: { type: previous === undefined ? "ADDED" : "MODIFIED", object: stored },
      stored,
    };
  }

  /**
   * What the API server fills in on a Service zen-lead writes: a cluster IP (kept across updates,
   * it is immutable), the IP families and policy. The core must see its own writes back with these
   * defaults and still find them matching, or it would write forever: the simulator checks that.
   */
  #serviceDefaults(spec: Json, previous: StoredObject | undefined): Json {
    const before = record(previous?.raw.spec);
    let clusterIP = stringField(spec.clusterIP) ?? stringField(before.clusterIP);
    if (clusterIP === undefined) {
      const n = ++this.#clusterIps;
      clusterIP = `10.96.${200 + ((n >> 8) & 31)}.${n & 255}`;
    }
    return {
      ...spec,
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: spec.ipFamilies ?? ["IPv4"],
      ipFamilyPolicy: spec.ipFamilyPolicy ?? "SingleStack",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    };
  }

  /** zen-lead's delete, with its uid precondition (404 when absent, 409 on another uid). */
  delete(action: DeleteAction): WriteOutcome {
    const injected = this.#injectedFailure();
    if (injected !== undefined) {
      return {
        verb: "delete",
        status: injected,
        injected: true,
        reason: "injected failure",
        unchanged: false,
      };
    }
    const previous = this.get(action.kind, action.namespace, action.name);
    if (previous === undefined) {
      return {
        verb: "delete",
        status: 404,
        injected: false,
        reason: `NotFound: ${action.kind} ${action.namespace}/${action.name}`,
        unchanged: false,
      };
    }
    if (previous.uid !== action.uid) {
      return {
        verb: "delete",
        status: 409,
        injected: false,
        reason: `Conflict: uid precondition ${action.uid} does not match ${previous.uid}`,
        unchanged: false,
        stored: previous,
      };
    }
    const change = this.remove(action.kind, action.namespace, action.name);
    return {
      verb: "delete",
      status: 200,
      injected: false,
      unchanged: false,
      ...(change !== undefined ? { change } : {}),
    };
  }
}
