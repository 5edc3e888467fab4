/**
 * Structural equality of JSON values: what the API model uses to tell a write or a put that would
 * change nothing (a real API server emits no watch event and keeps the resourceVersion for those).
 * Key order does not matter; a key holding `undefined` counts as present (objects here come from
 * JSON or from the core's manifests, which never hold one).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let count = 0;
  for (const key in left) {
    if (!Object.hasOwn(right, key) || !jsonEqual(left[key], right[key])) return false;
    count++;
  }
  return Object.keys(right).length === count;
}
