import { describe, expect, it } from "vitest";
import { createWatchLiveness } from "./liveness.ts";

describe("watch liveness", () => {
  it("is live only while every registered watch is, and counts blindness from the last moment it was", () => {
    let now = 1_000;
    const liveness = createWatchLiveness({ now: () => now });
    const seen: boolean[] = [];
    liveness.live$.subscribe((live) => seen.push(live));
    expect(liveness.live()).toBe(false); // nothing seen yet
    expect(liveness.blindForMs()).toBe(1); // never "0 ms blind" while not live
    liveness.set("Service", false);
    liveness.set("Pod", true);
    now += 500;
    expect(liveness.blindForMs()).toBe(500);
    liveness.set("Service", true);
    expect(liveness.live()).toBe(true);
    expect(liveness.blindForMs()).toBe(0);
    now += 10_000;
    liveness.set("Pod", false);
    now += 3_000;
    expect(liveness.blindForMs()).toBe(3_000);
    expect(liveness.notLive()).toEqual(["Pod"]);
    liveness.remove("Pod");
    expect(liveness.live()).toBe(true);
    expect(seen).toEqual([false, true, false, true]);
  });
});
