/**
 * zen-lead's objects that another writer deleted: a create that succeeds for an object this process
 * had written (and not deleted itself since) is a re-creation. `run` says it at info level and
 * counts it as corrected drift — a leader Service created again gets a new ClusterIP, which clients
 * that cached the old one notice. Objects written by an earlier process or another replica are not
 * known here: their re-creation looks like a first create (decided: no list of the cluster's history
 * is kept for it).
 */
import type { WriteResult } from "@zen-lead/k8s-adapter";

export class Recreations {
  /** Keys (`Kind:namespace/name`) of objects this process wrote and has not deleted. */
  readonly #written = new Set<string>();

  /** Notes a write's outcome; true when it created again an object this process had written. */
  see(result: Pick<WriteResult, "key" | "status">): boolean {
    const { key, status } = result;
    if (status === "deleted" || status === "gone") {
      this.#written.delete(key);
      return false;
    }
    if (status !== "created" && status !== "applied" && status !== "replaced") return false;
    const again = status === "created" && this.#written.has(key);
    this.#written.add(key);
    return again;
  }
}
