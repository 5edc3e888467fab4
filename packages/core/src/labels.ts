/** Label keys and values zen-lead reads and writes. */

export const ANNOTATION_PREFIX = "zen-lead.io/";
export const ANNOTATIONS = {
  enabled: "zen-lead.io/enabled",
  leaderServiceName: "zen-lead.io/leader-service-name",
  sticky: "zen-lead.io/sticky",
  minReadyDuration: "zen-lead.io/min-ready-duration",
  preferredLeader: "zen-lead.io/preferred-leader",
  // Written by zen-lead on the leader Service.
  leaderPod: "zen-lead.io/leader-pod",
  leaderPodUid: "zen-lead.io/leader-pod-uid",
  leaderSince: "zen-lead.io/leader-since",
  /** Why the leader leads (a LeaderReason), kept for `zen-lead status` after Events expire. */
  leaderReason: "zen-lead.io/leader-reason",
} as const;

/** The annotations zen-lead writes on a leader Service (users may add other zen-lead.io/ ones). */
export const WRITTEN_ANNOTATIONS: readonly string[] = [
  ANNOTATIONS.leaderPod,
  ANNOTATIONS.leaderPodUid,
  ANNOTATIONS.leaderSince,
  ANNOTATIONS.leaderReason,
];

export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  sourceService: "zen-lead.io/source-service",
  serviceName: "kubernetes.io/service-name",
  sliceManagedBy: "endpointslice.kubernetes.io/managed-by",
  zone: "topology.kubernetes.io/zone",
  /** kube-proxy ignores a Service or EndpointSlice carrying either of these two labels. */
  headless: "service.kubernetes.io/headless",
  serviceProxyName: "service.kubernetes.io/service-proxy-name",
} as const;

/**
 * Labels that must never be on zen-lead's objects: with either, kube-proxy ignores the object and
 * the leader Service gets no traffic (kube-proxy's informers select on their absence).
 */
export const FORBIDDEN_LABELS: readonly string[] = [LABELS.headless, LABELS.serviceProxyName];

export const MANAGED_BY = "zen-lead";
/**
 * Unique, so the built-in EndpointSlice controller and mirroring controller leave our slices alone.
 * A label value: no "/" (in the style of the built-in `endpointslice-controller.k8s.io`).
 */
export const SLICE_MANAGED_BY = "controller.zen-lead.io";

/** The labels decoding keeps on Services and EndpointSlices (everything else is dropped). */
export const KEPT_LABELS: ReadonlySet<string> = new Set([
  LABELS.managedBy,
  LABELS.sourceService,
  LABELS.serviceName,
  LABELS.sliceManagedBy,
  ...FORBIDDEN_LABELS,
]);

/** Equality-based selector match, as Service selectors are (every pair must be present). */
export function selectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const key in selector) {
    if (labels[key] !== selector[key]) return false;
  }
  return true;
}
