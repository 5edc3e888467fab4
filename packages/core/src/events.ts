/** What happens in the cluster, as the core hears it: the input alphabet of `step`. */
import { decode } from "./decode.ts";
import type { Decoded, Kind } from "./views.ts";

export type ClusterEvent =
  /** An object was added or changed (already decoded: a view or a decode failure). */
  | { readonly type: "upsert"; readonly object: Decoded }
  | { readonly type: "delete"; readonly kind: Kind; readonly namespace: string; readonly name: string }
  /** A relist: everything of this kind is replaced at once (objects missing from it are gone). Implies synced. */
  | { readonly type: "resync"; readonly kind: Kind; readonly objects: readonly Decoded[] }
  /** The initial list of this kind is complete. */
  | { readonly type: "synced"; readonly kind: Kind }
  /** Time passes: `now` in epoch ms. Timers (min-ready damping) fire from it. */
  | { readonly type: "tick"; readonly now: number }
  /**
   * Whether the shell performs this fold's writes (it holds the Lease). While not leading the fold
   * keeps deciding — a warm standby — but asks for no writes and announces nothing. On becoming
   * the leader it forgets the writes it remembers as in flight (the shell dropped them), and plans
   * and announces against what the cluster shows (docs/semantics.md, "Leading"). Default: leading.
   */
  | { readonly type: "leadership"; readonly leading: boolean };

/**
 * The kinds whose initial list must be complete before zen-lead decides or writes anything. Nodes
 * too: a slice written before the zone is known would be written again when it is.
 */
export const REQUIRED_KINDS: readonly Kind[] = ["Service", "Pod", "EndpointSlice", "Node"];

export type WatchType = "ADDED" | "MODIFIED" | "DELETED";

/** A watch event straight from the API (or an event log) as a core event; never throws. */
export function fromWatch(kind: Kind, type: WatchType, raw: unknown): ClusterEvent {
  if (type !== "DELETED") return { type: "upsert", object: decode(kind, raw) };
  const meta = (raw as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata;
  const namespace = typeof meta?.namespace === "string" ? meta.namespace : "";
  const name = typeof meta?.name === "string" ? meta.name : "";
  return { type: "delete", kind, namespace, name };
}
