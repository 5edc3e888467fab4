import type { ApplyAction, DeleteAction, DesiredObject } from "@zen-lead/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  applyBody,
  createApplier,
  createBody,
  NO_OBJECT_RESOURCE_VERSION,
  type WriteAction,
  type WriteResult,
} from "./applier.ts";
import { ApiError } from "./http.ts";

interface Call {
  readonly action: WriteAction;
  readonly at: number;
  /** Answers the request (with the object, for a write that returns one). */
  resolve(answer?: unknown): void;
  reject(error: Error): void;
}

/** Writes stay in flight until the test settles them. */
class FakeWrites {
  calls: Call[] = [];
  private record(action: WriteAction): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.calls.push({ action, at: Date.now(), resolve: (answer?: unknown) => resolve(answer), reject });
    });
  }
  create = async (a: ApplyAction) => ({ object: await this.record(a) });
  apply = (a: ApplyAction) => this.record(a);
  replace = (a: ApplyAction) => this.record(a);
  get = (a: ApplyAction) => this.record(a);
  delete = async (a: DeleteAction) => {
    await this.record(a);
  };
  open(): Call[] {
    return this.calls;
  }
  take(): Call {
    const c = this.calls.shift();
    if (c === undefined) throw new Error("no call in flight");
    return c;
  }
}

const apply = (name: string, version = 1, create = false): ApplyAction => ({
  type: "apply",
  kind: "EndpointSlice",
  namespace: "ns",
  name,
  create,
  ...(create ? {} : { expectedUid: `uid-${name}` }),
  desired: {} as DesiredObject,
  manifest: { kind: "EndpointSlice", metadata: { name, namespace: "ns" }, version },
  source: "svc",
});

let writes: FakeWrites;
let results: WriteResult[];

function applier(extra: Parameters<typeof createApplier>[1] = {}) {
  return createApplier(undefined, {
    transport: writes,
    random: () => 1,
    onResult: (r) => results.push(r),
    ...extra,
  });
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  writes = new FakeWrites();
  results = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the applier's queue", () => {
  it("starts nothing and drops what waits once it may no longer write (the lease is lost)", async () => {
    let leading = true;
    const a = applier({ mayWrite: () => leading });
    a.submit(apply("x", 1));
    a.submit(apply("x", 2)); // waits behind 1
    a.submit(apply("y", 1));
    expect(writes.open().map((c) => c.action.name)).toEqual(["x", "y"]);
    leading = false;
    writes.take().resolve(); // the write already sent finishes
    writes.take().resolve();
    await a.idle();
    a.submit(apply("z", 1));
    await flush();
    expect(writes.open()).toEqual([]);
    expect(results.map((r) => `${r.action.name}:${r.status}`)).toEqual(["x:applied", "y:applied"]);
  });

  it("merges requests for one key (latest wins) and never has two writes of a key in flight", async () => {
    const a = applier();
    a.submit(apply("x", 1));
    a.submit(apply("x", 2));
    a.submit(apply("x", 3));
    expect(writes.open()).toHaveLength(1);
    expect(writes.open()[0]?.action.type === "apply" && writes.open()[0]?.action).toMatchObject({
      manifest: { version: 1 },
    });
    writes.take().resolve();
    await flush();
    // 2 was replaced by 3 while 1 was in flight.
    expect(writes.open()).toHaveLength(1);
    expect(writes.open()[0]?.action).toMatchObject({ manifest: { version: 3 } });
    writes.take().resolve();
    await a.idle();
    expect(results.map((r) => r.status)).toEqual(["applied", "applied"]);
  });

  it("reports where each write's time went: its cause, then queued, sent (after the rate limit) and answered", async () => {
    const a = applier({ qps: 10, burst: 1 });
    const t0 = performance.now();
    const cause = { receivedAt: t0 - 3, decodedAt: t0 - 2, foldedAt: t0 - 1 };
    a.submit(apply("x"), cause);
    a.submit(apply("y")); // no cause (a timer asked for it); waits 100 ms for a token
    await vi.advanceTimersByTimeAsync(7);
    writes.take().resolve();
    await vi.advanceTimersByTimeAsync(93);
    await vi.advanceTimersByTimeAsync(5);
    writes.take().reject(new ApiError(409, "conflict"));
    await a.idle();
    expect(results.map((r) => [r.action.name, r.status, r.trace])).toEqual([
      ["x", "applied", { ...cause, queuedAt: t0, sentAt: t0, answeredAt: t0 + 7 }],
      ["y", "conflict", { queuedAt: t0, sentAt: t0 + 100, answeredAt: t0 + 105 }],
    ]);
  });

  it("backs a failing key off exponentially while other keys keep flowing, retries it when the server answers again, and resets on success", async () => {
    const a = applier();
    a.submit(apply("bad"));
    writes.take().reject(new ApiError(503, "unavailable"));
    await flush();
    expect(results.at(-1)).toMatchObject({ status: "retrying", retryInMs: 200 });
    a.submit(apply("good"));
    expect(writes.open().map((c) => c.action.name)).toEqual(["good"]);
    // An answer to a write sent after bad's failure: the server answers again, bad goes at once.
    writes.take().resolve();
    await flush();
    expect(writes.open().map((c) => c.action.name)).toEqual(["bad"]);
    writes.take().reject(new ApiError(500, "boom"));
    await flush();
    expect(results.at(-1)).toMatchObject({ status: "retrying", retryInMs: 400 });
    // Nothing else answered since: it waits its backoff.
    await vi.advanceTimersByTimeAsync(399);
    expect(writes.open()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    writes.take().resolve();
    await flush();
    expect(results.at(-1)?.status).toBe("applied");
    // Reset: the next failure waits the first step again.
    a.submit(apply("bad", 2));
    writes.take().reject(new ApiError(0, "ECONNRESET"));
    await flush();
    expect(results.at(-1)).toMatchObject({ status: "retrying", retryInMs: 200 });
    a.stop();
  });

  it("honours Retry-After on 429", async () => {
    const a = applier();
    a.submit(apply("x"));
    writes.take().reject(new ApiError(429, "slow down", "TooManyRequests", 3_000));
    await flush();
    expect(results.at(-1)).toMatchObject({ status: "retrying", retryInMs: 3_000 });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(writes.open()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.open()).toHaveLength(1);
    a.stop();
  });

  it("sends a new request for a backing-off key at once, but not after a 429", async () => {
    const a = applier();
    a.submit(apply("x", 1));
    writes.take().reject(new ApiError(500, "boom"));
    await flush();
    a.submit(apply("x", 2));
    expect(writes.open().map((c) => c.action)).toMatchObject([{ manifest: { version: 2 } }]);
    writes.take().reject(new ApiError(500, "boom"));
    await flush();
    // The failure count stayed: the second failure waits the second step.
    expect(results.at(-1)).toMatchObject({ status: "retrying", retryInMs: 400 });
    a.stop();

    const b = applier();
    b.submit(apply("y", 1));
    writes.take().reject(new ApiError(429, "slow down", "TooManyRequests", 1_000));
    await flush();
    b.submit(apply("y", 2));
    expect(writes.open()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writes.open().map((c) => c.action)).toMatchObject([{ manifest: { version: 2 } }]);
    b.stop();
  });

  it("lets a newer request replace a retry", async () => {
    const a = applier();
    a.submit(apply("x", 1));
    const first = writes.take();
    a.submit(apply("x", 2));
    first.reject(new ApiError(500, "boom"));
    await vi.advanceTimersByTimeAsync(200);
    expect(writes.open()[0]?.action).toMatchObject({ manifest: { version: 2 } });
    a.stop();
  });

  it("reports a 409 on create as a conflict and does not retry it", async () => {
    const a = applier();
    a.submit(apply("x", 1, true));
    writes.take().reject(new ApiError(409, "already exists", "AlreadyExists"));
    await a.idle();
    expect(results.map((r) => r.status)).toEqual(["conflict"]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(writes.open()).toHaveLength(0);
  });

  it("does not retry other refusals, and reports a delete of a missing object as gone", async () => {
    const a = applier();
    a.submit(apply("x"));
    writes.take().reject(new ApiError(400, "bad request"));
    a.submit({ type: "delete", kind: "Service", namespace: "ns", name: "y", uid: "u", source: "svc" });
    writes.take().reject(new ApiError(404, "not found"));
    await a.idle();
    expect(results.map((r) => r.status).sort()).toEqual(["gone", "rejected"]);
  });

  it("answers an apply refused as invalid with a replacement of the same live object; rejected if that fails too", async () => {
    const a = applier();
    const desired: DesiredObject = {
      kind: "EndpointSlice",
      namespace: "ns",
      name: "x",
      labels: {},
      owner: { namespace: "ns", name: "svc", uid: "uid-svc" },
      addressType: "IPv4",
      endpoints: [],
      ports: [],
    };
    a.submit({ ...apply("x"), desired });
    writes.take().reject(new ApiError(422, "spec.loadBalancerSourceRanges: Forbidden"));
    await flush();
    writes.take().resolve({ metadata: { name: "x", uid: "uid-x", resourceVersion: "7" } }); // the GET
    await flush();
    await flush();
    writes.take().reject(new ApiError(422, "still invalid")); // the PUT
    await a.idle();
    expect(results.map((r) => [r.status, r.error?.message])).toEqual([["rejected", "still invalid"]]);
  });

  it("does not replace another object that took the name meanwhile: a conflict", async () => {
    const a = applier();
    a.submit(apply("x"));
    writes.take().reject(new ApiError(422, "invalid"));
    await flush();
    writes.take().resolve({ metadata: { name: "x", uid: "someone-elses" } });
    await a.idle();
    expect(results.map((r) => r.status)).toEqual(["conflict"]);
    expect(writes.open()).toHaveLength(0);
  });

  it("refuses an update without a uid precondition, writing nothing", async () => {
    const a = applier();
    const { expectedUid: _, ...noUid } = apply("x");
    a.submit(noUid);
    await a.idle();
    expect(writes.calls).toHaveLength(0);
    expect(results[0]?.status).toBe("rejected");
  });

  it("bounds the write rate with a token bucket", async () => {
    const a = applier({ qps: 2, burst: 2 });
    for (const name of ["a", "b", "c", "d", "e"]) a.submit(apply(name));
    expect(writes.open()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(499);
    expect(writes.open()).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes.open()).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writes.open().map((c) => c.action.name)).toEqual(["a", "b", "c", "d", "e"]);
    a.stop();
  });

  it("ignores actions that are not writes", () => {
    const a = applier();
    a.submit({ type: "report", reason: "DecodeFailed", object: "Pod default/x", message: "bad" });
    expect(a.size).toEqual({ pending: 0, inFlight: 0 });
  });
});

describe("createBody", () => {
  it("carries the resourceVersion no object can have: the server creates, or refuses whatever is there", () => {
    expect(createBody(apply("x", 1, true))).toMatchObject({
      kind: "EndpointSlice",
      metadata: { name: "x", namespace: "ns", resourceVersion: NO_OBJECT_RESOURCE_VERSION },
    });
    // 2^64 - 1: above any etcd revision (int64).
    expect(BigInt(NO_OBJECT_RESOURCE_VERSION)).toBe(2n ** 64n - 1n);
  });
});

describe("applyBody", () => {
  it("carries the expected uid as the server-side precondition", () => {
    const body = applyBody({ ...apply("x"), expectedUid: "uid-x" });
    expect(body).toMatchObject({
      kind: "EndpointSlice",
      metadata: { name: "x", namespace: "ns", uid: "uid-x" },
    });
  });
});
