/** Naming of the objects zen-lead owns. */

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL = 63;
const LEADER_SUFFIX = "-leader";

export function isDns1035Label(name: string): boolean {
  return name.length <= MAX_LABEL && DNS1035_LABEL.test(name);
}

/** FNV-1a, 32 bit: a stable, dependency-free hash for name suffixes. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * `<svc>-leader`, shortened deterministically when that overflows a DNS-1035 label:
 * `<prefix>-<8 hex of the full name's hash>-leader`, so two long names sharing a prefix differ.
 */
export function defaultLeaderServiceName(source: string): string {
  const plain = source + LEADER_SUFFIX;
  if (plain.length <= MAX_LABEL) return plain;
  const hash = fnv1a(source).toString(16).padStart(8, "0");
  const keep = MAX_LABEL - LEADER_SUFFIX.length - hash.length - 1;
  return `${source.slice(0, keep).replace(/-+$/, "")}-${hash}${LEADER_SUFFIX}`;
}

/** One EndpointSlice per IP family; the family is in the name so addressType never changes in place. */
export function leaderSliceName(leaderService: string, family: "IPv4" | "IPv6"): string {
  return `${leaderService}-${family.toLowerCase()}`;
}
