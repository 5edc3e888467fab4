/**
 * Another zen-lead install over the same namespaces (docs/deploy.md, "Two installs over one
 * namespace"): its Events give it away. Only the replica holding an install's Lease writes, so
 * while this replica leads, an Event of zen-lead's reportingController from an instance other
 * than this one is another install's — unless it is from a previous holder of this install's own
 * Lease, which stops writing before the Lease can pass: callers pass `since` = when this replica
 * started leading plus the lease duration (which also covers clock skew between replicas).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { REPORTING_CONTROLLER } from "./events.ts";
import { request } from "./http.ts";

/** An Event written by another zen-lead instance. */
export interface OtherInstallEvent {
  /** The Event's namespace (that of the source Service it regards). */
  readonly namespace: string;
  /** The source Service's name. */
  readonly source: string;
  /** The other instance: its `reportingInstance` (a pod name, in a cluster). */
  readonly instance: string;
  readonly reason: string;
  /** When it was last observed (series.lastObservedTime, else eventTime), epoch ms. */
  readonly at: number;
}

/** Where and since when `findOtherInstall` looks. */
export interface FindOtherInstallOptions {
  /** This replica's identity (its Events' `reportingInstance`). */
  readonly identity: string;
  /** The namespaces this install watches; empty or absent: all (one cluster-wide list). */
  readonly namespaces?: readonly string[];
  /** Only Events observed after this (epoch ms) count; see the module's comment. */
  readonly since: number;
}

/**
 * The latest Event of another zen-lead instance in the watched namespaces observed after
 * `since`, or undefined. One paged list (500 a page) of zen-lead's Events per namespace (or one
 * cluster-wide) — the RBAC the read-back already needs (events: list). Rejects with the API's
 * error (ApiError) when a list fails.
 */
export async function findOtherInstall(
  kc: KubeConfig,
  options: FindOtherInstallOptions,
): Promise<OtherInstallEvent | undefined> {
  const paths =
    options.namespaces === undefined || options.namespaces.length === 0
      ? ["/apis/events.k8s.io/v1/events"]
      : options.namespaces.map((ns) => `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/events`);
  let latest: OtherInstallEvent | undefined;
  for (const path of paths) {
    let cont: string | undefined;
    do {
      const page = (await request(kc, "GET", path, {
        query: { fieldSelector: `reportingController=${REPORTING_CONTROLLER}`, limit: 500, continue: cont },
      })) as { items?: unknown[]; metadata?: { continue?: string } } | undefined;
      for (const item of page?.items ?? []) {
        const event = otherInstallEvent(item, options.identity);
        if (
          event !== undefined &&
          event.at > options.since &&
          (latest === undefined || event.at > latest.at)
        ) {
          latest = event;
        }
      }
      cont = page?.metadata?.continue || undefined;
    } while (cont !== undefined);
  }
  return latest;
}

/** The Event as another instance's, or undefined when it is this one's or malformed. */
function otherInstallEvent(raw: unknown, identity: string): OtherInstallEvent | undefined {
  const e = raw as {
    metadata?: { namespace?: unknown };
    regarding?: { name?: unknown };
    reportingInstance?: unknown;
    reason?: unknown;
    eventTime?: unknown;
    series?: { lastObservedTime?: unknown };
  } | null;
  const instance = e?.reportingInstance;
  const namespace = e?.metadata?.namespace;
  const source = e?.regarding?.name;
  if (typeof instance !== "string" || instance === identity) return undefined;
  if (typeof namespace !== "string" || typeof source !== "string") return undefined;
  const at = Date.parse(String(e?.series?.lastObservedTime ?? e?.eventTime ?? ""));
  if (Number.isNaN(at)) return undefined;
  return { namespace, source, instance, reason: typeof e?.reason === "string" ? e.reason : "", at };
}
