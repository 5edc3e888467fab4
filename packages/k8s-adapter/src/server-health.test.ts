import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createServerHealth,
  MAX_PROBES_IN_FLIGHT,
  type ServerHealth,
  showsServerUp,
} from "./server-health.ts";

/** A scripted server: each probe is stamped like a real request and answered (or not) on demand. */
function setup(options: { probeIntervalMs?: number; probeTimeoutMs?: number } = {}) {
  const probes: { seq: number; signal: AbortSignal; answer: () => void; fail: () => void }[] = [];
  let health: ServerHealth;
  health = createServerHealth({
    ...options,
    probe: (signal) =>
      new Promise<void>((resolve, reject) => {
        const seq = health.sent();
        signal.addEventListener("abort", () => reject(new Error("aborted")));
        probes.push({
          seq,
          signal,
          answer: () => {
            health.answered(seq);
            resolve();
          },
          fail: () => reject(new Error("ECONNREFUSED")),
        });
      }),
  });
  return { health: () => health, probes };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("server health", () => {
  it("counts any answer below 500 but 429 as the server being up", () => {
    expect([200, 201, 404, 409, 410, 403].every(showsServerUp)).toBe(true);
    expect([0, 429, 500, 503, 504].some(showsServerUp)).toBe(false);
  });

  it("wakes a waiter on the answer to a request sent after it started waiting, not before", async () => {
    const { health } = setup();
    const h = health();
    const before = h.sent();
    const woken = vi.fn();
    h.whenUp(woken);
    h.answered(before); // left the server before the failure the waiter saw: proves nothing
    expect(woken).not.toHaveBeenCalled();
    const after = h.sent();
    h.answered(after);
    expect(woken).toHaveBeenCalledTimes(1);
    h.answered(h.sent());
    expect(woken).toHaveBeenCalledTimes(1); // once
  });

  it("probes every interval while anyone waits, overlapping hung probes, and stops when nobody does", async () => {
    const { health, probes } = setup({ probeIntervalMs: 250, probeTimeoutMs: 10_000 });
    const h = health();
    const woken = [vi.fn(), vi.fn()];
    h.whenUp(woken[0] as () => void);
    h.whenUp(woken[1] as () => void);
    expect(probes).toHaveLength(1); // at once
    probes[0]?.fail(); // connection refused
    await vi.advanceTimersByTimeAsync(249);
    expect(probes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toHaveLength(2);
    // A frozen server: probes hang; the next ones start anyway, up to three at once.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toHaveLength(MAX_PROBES_IN_FLIGHT + 1);
    // Each hung probe is given up after the probe timeout, making room for another.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes[1]?.signal.aborted).toBe(true);
    expect(probes.length).toBeGreaterThan(MAX_PROBES_IN_FLIGHT + 1);
    // The server thaws: the oldest probe still out is answered, and everyone wakes.
    probes.at(-1)?.answer();
    expect(woken[0]).toHaveBeenCalledTimes(1);
    expect(woken[1]).toHaveBeenCalledTimes(1);
    const count = probes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes).toHaveLength(count);
    expect(vi.getTimerCount()).toBe(0); // the ticker stopped; the hung probes have timed out
  });

  it("wakes a ready-only waiter on /readyz coming back after a failed probe, not on any answer", async () => {
    const { health, probes } = setup({ probeIntervalMs: 250 });
    const h = health();
    const strict = vi.fn();
    const any = vi.fn();
    h.whenUp(strict, { readyOnly: true });
    probes[0]?.fail(); // /readyz 500: etcd is down
    h.whenUp(any);
    h.answered(h.sent()); // a 404 from the API server's cache: it answers, but is not well
    expect(any).toHaveBeenCalledTimes(1);
    expect(strict).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(250);
    probes[1]?.answer(); // /readyz 200 again
    await vi.advanceTimersByTimeAsync(0);
    expect(strict).toHaveBeenCalledTimes(1);
  });

  it("does not wake a ready-only waiter while /readyz has been 200 all along (its failure is its own)", async () => {
    const { health, probes } = setup({ probeIntervalMs: 250 });
    const strict = vi.fn();
    const cancel = health().whenUp(strict, { readyOnly: true });
    probes[0]?.answer();
    await vi.advanceTimersByTimeAsync(250);
    probes[1]?.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(strict).not.toHaveBeenCalled();
    cancel();
  });

  it("stops probing when the last waiter gives up", async () => {
    const { health, probes } = setup({ probeIntervalMs: 250 });
    const cancel = health().whenUp(() => {});
    probes[0]?.fail();
    await vi.advanceTimersByTimeAsync(0);
    cancel();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toHaveLength(1);
  });
});
