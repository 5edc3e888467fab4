/**
 * The write queue's rules (write-queue.ts), transition by transition: what is sent, when the
 * driver must come back, and what waits.
 */
import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay, type Dispatch, isTransient, WriteQueue } from "./write-queue.ts";

const FINAL = { final: true } as const;
const FAILED = { final: false, throttled: false } as const;
const sent = (d: Dispatch<string>) => d.sends.map((s) => s.write);

describe("the write queue", () => {
  it("merges requests for one key (latest wins) and never has two writes of a key in flight", () => {
    const q = new WriteQueue<string>({}, 0);
    expect(sent(q.submit("x", "x1", 0))).toEqual(["x1"]);
    expect(sent(q.submit("x", "x2", 0))).toEqual([]);
    expect(sent(q.submit("x", "x3", 0))).toEqual([]);
    expect(q.size).toEqual({ waiting: 1, inFlight: 1 });
    expect(sent(q.answer("x", "x1", FINAL, 5, 0.5).dispatch)).toEqual(["x3"]);
    expect(sent(q.answer("x", "x3", FINAL, 10, 0.5).dispatch)).toEqual([]);
    expect(q.idle).toBe(true);
  });

  it("backs a failing key off exponentially with jitter while other keys flow, and resets on a final answer", () => {
    const q = new WriteQueue<string>({ backoffInitialMs: 200, backoffMaxMs: 30_000 }, 0);
    q.submit("bad", "b1", 0);
    const first = q.answer("bad", "b1", FAILED, 10, 1);
    expect(first.retryInMs).toBe(200);
    expect(first.dispatch).toEqual({ sends: [], wakeAt: 210 });
    expect(sent(q.submit("good", "g1", 20))).toEqual(["g1"]);
    expect(sent(q.tick(209))).toEqual([]);
    expect(sent(q.tick(210))).toEqual(["b1"]);
    expect(q.answer("bad", "b1", FAILED, 220, 1).retryInMs).toBe(400);
    expect(q.answer("bad", "b1", FAILED, 620, 0).retryInMs).toBe(400); // half of 800 at the lowest draw
    q.tick(1020);
    expect(q.answer("bad", "b1", FINAL, 1030, 1).retryInMs).toBeUndefined();
    q.submit("bad", "b2", 1040);
    expect(q.answer("bad", "b2", FAILED, 1050, 1).retryInMs).toBe(200);
  });

  it("retries a backing-off key at once when a write sent after its failure is answered: the server answers again", () => {
    const q = new WriteQueue<string>({ backoffInitialMs: 10_000 }, 0);
    q.submit("slice", "s1", 0);
    expect(q.answer("slice", "s1", FAILED, 10, 1).dispatch.wakeAt).toBe(10_010);
    expect(sent(q.submit("other", "o1", 20))).toEqual(["o1"]);
    // o1 was sent after s1 failed and got an answer: s1 goes now, not at 10,010.
    expect(sent(q.answer("other", "o1", FINAL, 30, 1).dispatch)).toEqual(["s1"]);
    // It keeps its failure count; failing again with nothing else answered, it waits its backoff.
    const again = q.answer("slice", "s1", FAILED, 40, 1);
    expect(again.retryInMs).toBe(20_000);
    expect(sent(q.tick(1_000))).toEqual([]);
    // The next answer to a request sent after that failure wakes it again: one retry per answer.
    q.submit("other", "o2", 50);
    expect(sent(q.answer("other", "o2", FINAL, 60, 1).dispatch)).toEqual(["s1"]);
  });

  it("does not wake a key for an answer to a request sent before its failure", () => {
    const q = new WriteQueue<string>({ backoffInitialMs: 10_000 }, 0);
    q.submit("other", "o1", 0);
    q.submit("slice", "s1", 0);
    q.answer("slice", "s1", FAILED, 10, 1);
    const answered = q.answer("other", "o1", FINAL, 20, 1).dispatch;
    expect(answered).toEqual({ sends: [], wakeAt: 10_010 });
    // Nor for a transient failure of another key.
    q.submit("third", "t1", 30);
    expect(q.answer("third", "t1", FAILED, 40, 1).dispatch.sends).toEqual([]);
  });

  it("wakes a throttled key no sooner than its Retry-After", () => {
    const q = new WriteQueue<string>({ backoffInitialMs: 10_000 }, 0);
    q.submit("x", "x1", 0);
    q.answer("x", "x1", { final: false, throttled: true, retryAfterMs: 5_000 }, 10, 1);
    q.submit("other", "o1", 20);
    expect(q.answer("other", "o1", FINAL, 30, 1).dispatch).toEqual({ sends: [], wakeAt: 5_010 });
    expect(sent(q.tick(5_010))).toEqual(["x1"]);
  });

  it("honours Retry-After on 429, and then holds every request for the key until it passes", () => {
    const q = new WriteQueue<string>({}, 0);
    q.submit("x", "x1", 0);
    const throttled = q.answer("x", "x1", { final: false, throttled: true, retryAfterMs: 5000 }, 10, 0);
    expect(throttled.retryInMs).toBe(5000);
    expect(sent(q.submit("x", "x2", 100))).toEqual([]);
    expect(sent(q.tick(5010))).toEqual(["x2"]);
  });

  it("sends a new request for a backing-off key at once: new intent does not wait out an old backoff", () => {
    const q = new WriteQueue<string>({}, 0);
    q.submit("x", "x1", 0);
    q.answer("x", "x1", FAILED, 10, 1);
    expect(sent(q.submit("x", "x2", 20))).toEqual(["x2"]);
    // The failure count stays: if this one fails too, it waits the next, longer step.
    expect(q.answer("x", "x2", FAILED, 30, 1).retryInMs).toBe(400);
  });

  it("lets a newer request replace a retry", () => {
    const q = new WriteQueue<string>({}, 0);
    q.submit("x", "x1", 0);
    q.submit("x", "x2", 1); // waits behind x1
    q.answer("x", "x1", FAILED, 10, 1);
    expect(sent(q.tick(210))).toEqual(["x2"]);
    expect(q.size).toEqual({ waiting: 0, inFlight: 1 });
  });

  it("bounds the write rate with a token bucket: burst at once, then qps", () => {
    const q = new WriteQueue<string>({ qps: 10, burst: 2 }, 0);
    expect(sent(q.submit("a", "a", 0))).toEqual(["a"]);
    expect(sent(q.submit("b", "b", 0))).toEqual(["b"]);
    const c = q.submit("c", "c", 0);
    expect(c).toEqual({ sends: [], wakeAt: 100 });
    q.submit("d", "d", 0);
    expect(sent(q.tick(100))).toEqual(["c"]);
    expect(sent(q.tick(150))).toEqual([]);
    expect(sent(q.tick(200))).toEqual(["d"]);
  });

  it("serves keys in the order they were first asked for; a replaced request keeps its place", () => {
    const q = new WriteQueue<string>({ qps: 1, burst: 1 }, 0);
    q.submit("a", "a1", 0);
    q.submit("b", "b1", 0);
    q.submit("c", "c1", 0);
    q.submit("b", "b2", 0);
    const served: string[] = [];
    for (let t = 1000; t <= 3000; t += 1000) served.push(...sent(q.tick(t)));
    expect(served).toEqual(["b2", "c1"]);
  });

  it("drops what waits when told to (the Lease is lost), while a write in flight still gets its answer", () => {
    const q = new WriteQueue<string>({}, 0);
    q.submit("x", "x1", 0);
    q.submit("x", "x2", 0);
    q.submit("y", "y1", 0);
    q.answer("y", "y1", FAILED, 5, 1);
    q.dropWaiting();
    expect(q.size).toEqual({ waiting: 0, inFlight: 1 });
    expect(sent(q.answer("x", "x1", FINAL, 10, 0).dispatch)).toEqual([]);
    expect(q.idle).toBe(true);
    // A new holder's first request for y is not held back by the old backoff.
    expect(sent(q.submit("y", "y2", 20))).toEqual(["y2"]);
  });
});

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the maximum, with equal jitter", () => {
    expect(backoffDelay(0, 200, 30_000, 1)).toBe(200);
    expect(backoffDelay(3, 200, 30_000, 1)).toBe(1600);
    expect(backoffDelay(20, 200, 30_000, 1)).toBe(30_000);
    expect(backoffDelay(20, 200, 30_000, 0)).toBe(15_000);
  });

  it("never waits longer than backoffCeiling, nor less than half of it", () => {
    expect([0, 3, 7, 8, 40].map((n) => backoffCeiling(n, 200, 30_000))).toEqual([
      200, 1600, 25_600, 30_000, 30_000,
    ]);
    for (const failures of [0, 1, 5, 7, 8, 12, 40]) {
      const ceiling = backoffCeiling(failures, 200, 30_000);
      for (const draw of [0, 0.25, 0.5, 0.999_999]) {
        const delay = backoffDelay(failures, 200, 30_000, draw);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      }
    }
  });
});

describe("isTransient", () => {
  it("retries 429, 5xx and no answer; nothing else", () => {
    expect([0, 429, 500, 503].map(isTransient)).toEqual([true, true, true, true]);
    expect([200, 400, 403, 404, 409, 422].map(isTransient)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
