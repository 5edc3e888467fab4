/**
 * zen-lead's objects created again: a create that succeeds for an object this process had written
 * and another writer deleted (`another-writer`), or that zen-lead deleted itself (`zen-lead`: the
 * Service opted out, then in again). `run` says both at info level — a leader Service created again
 * gets a new ClusterIP, which clients that cached the old one notice — and counts the first as
 * corrected drift. Objects written by an earlier process or another replica are not known here:
 * their re-creation looks like a first create (decided: no list of the cluster's history is kept
 * for it).
 */
import type { WriteResult } from "@zen-lead/k8s-adapter";

/** Who deleted the object that a create made again. */
export type Recreation = "another-writer" | "zen-lead";

export class Recreations {
  /** Keys (`Kind:namespace/name`) of objects this process wrote and has not deleted. */
  readonly #written = new Set<string>();
  /** Keys of objects this process deleted and has not created again. */
  readonly #deleted = new Set<string>();

  /** Notes a write's outcome; says who had deleted the object when it is a create of one this process knew. */
  see(result: Pick<WriteResult, "key" | "status">): Recreation | undefined {
    const { key, status } = result;
    if (status === "deleted" || status === "gone") {
      if (this.#written.delete(key) || status === "deleted") this.#deleted.add(key);
      return undefined;
    }
    if (status !== "created" && status !== "applied" && status !== "replaced") return undefined;
    const again: Recreation | undefined =
      status !== "created"
        ? undefined
        : this.#written.has(key)
          ? "another-writer"
          : this.#deleted.has(key)
            ? "zen-lead"
            : undefined;
    this.#written.add(key);
    this.#deleted.delete(key);
    return again;
  }
}
