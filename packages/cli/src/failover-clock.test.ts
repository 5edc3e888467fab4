/** FailoverClock: when each pod stopped serving, and what it forgets. */
import { decode, fromWatch } from "@zen-lead/core";
import { podJson } from "@zen-lead/core/testing";
import { describe, expect, it } from "vitest";
import { FailoverClock, GONE_TTL_MS } from "./failover-clock.ts";

const gone = (name: string) => ({ type: "delete", kind: "Pod", namespace: "default", name }) as const;

describe("FailoverClock", () => {
  it("keeps the first moment a watch showed a pod stopped, and forgets it once the pod serves again", () => {
    const clock = new FailoverClock();
    clock.see(fromWatch("Pod", "MODIFIED", podJson("a", { ready: false })), 1_000);
    clock.see(fromWatch("Pod", "MODIFIED", podJson("a", { phase: "Failed", ready: false })), 2_000);
    expect(clock.stoppedAt("default", "a", 5_000)).toBe(1_000);
    clock.see(fromWatch("Pod", "MODIFIED", podJson("a")), 3_000);
    expect(clock.stoppedAt("default", "a", 5_000)).toBeUndefined();
  });

  it("takes the end of a deletionTimestamp's second when it is earlier, and never a moment after now", () => {
    const clock = new FailoverClock();
    clock.see(
      { type: "resync", kind: "Pod", objects: [decode("Pod", podJson("a", { deleting: 4 }))] },
      9_000,
    );
    expect(clock.stoppedAt("default", "a", 9_000)).toBe(4_999);
    expect(clock.stoppedAt("default", "a", 4_500)).toBe(4_500);
    // Seen live before its recorded second ended: the sighting.
    const live = new FailoverClock();
    live.see(fromWatch("Pod", "MODIFIED", podJson("a", { deleting: 4 })), 4_200);
    expect(live.stoppedAt("default", "a", 9_000)).toBe(4_200);
  });

  it("knows no moment for a pod seen stopped only in a list without a deletionTimestamp", () => {
    const clock = new FailoverClock();
    clock.see(
      { type: "resync", kind: "Pod", objects: [decode("Pod", podJson("a", { ready: false }))] },
      9_000,
    );
    expect(clock.stoppedAt("default", "a", 9_000)).toBeUndefined();
  });

  it("forgets a deleted pod after GONE_TTL_MS", () => {
    const clock = new FailoverClock();
    clock.see(gone("a"), 1_000);
    clock.see(gone("b"), 1_000 + GONE_TTL_MS);
    expect(clock.stoppedAt("default", "a", 2_000 + GONE_TTL_MS)).toBe(1_000);
    clock.see(gone("c"), 1_001 + GONE_TTL_MS);
    expect(clock.stoppedAt("default", "a", 2_000 + GONE_TTL_MS)).toBeUndefined();
    expect(clock.stoppedAt("default", "b", 2_000 + GONE_TTL_MS)).toBe(1_000 + GONE_TTL_MS);
  });
});
