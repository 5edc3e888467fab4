import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterEvent } from "@zen-lead/core";
import { podJson } from "@zen-lead/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, type Query } from "./http.ts";
import { createWatchLiveness } from "./liveness.ts";
import { type ListPage, type WatchTransport, watchKind } from "./watch.ts";

interface OpenWatch {
  readonly path: string;
  readonly query: Query;
  readonly send: (type: string, object: unknown, receivedAt?: number) => void;
  readonly done: (error: unknown) => void;
  readonly controller: AbortController;
}

/** A scripted API server: lists answer from `listAnswers` (then `items`), watches stay open. */
class FakeTransport implements WatchTransport {
  items: unknown[] = [];
  rv = "10";
  listAnswers: (ListPage | Error)[] = [];
  lists: Query[] = [];
  watches: OpenWatch[] = [];

  async list(path: string, query: Query, _signal?: AbortSignal): Promise<ListPage> {
    this.lists.push({ ...query, path });
    const next = this.listAnswers.shift();
    if (next instanceof Error) throw next;
    return next ?? { items: this.items, resourceVersion: this.rv };
  }

  async watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: unknown, receivedAt?: number) => void,
    onDone: (error: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    this.watches.push({ path, query, send: onEvent, done: onDone, controller });
    return controller;
  }

  get last(): OpenWatch {
    const w = this.watches.at(-1);
    if (w === undefined) throw new Error("no watch");
    return w;
  }
}

const pod = (name: string, rv: string, namespace = "default") => {
  const p = podJson(name, { namespace });
  return { ...p, metadata: { ...(p.metadata as object), resourceVersion: rv } };
};

let transport: FakeTransport;
let events: ClusterEvent[];
let lines: string[];
const kc = new KubeConfig();

function start(extra: Parameters<typeof watchKind>[2] = {}) {
  return watchKind(kc, "Pod", {
    transport,
    random: () => 1,
    onDiagnostic: (line) => lines.push(line),
    ...extra,
  }).subscribe((e) => events.push(e));
}

beforeEach(() => {
  vi.useFakeTimers();
  transport = new FakeTransport();
  events = [];
  lines = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe("watchKind", () => {
  it("lists page by page, emits one resync, then watches from the list's resourceVersion with bookmarks", async () => {
    transport.listAnswers = [
      { items: [pod("a", "3")], resourceVersion: "7", continue: "page2" },
      { items: [pod("b", "5")], resourceVersion: "9" },
    ];
    const sub = start({ pageSize: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.lists.map((q) => [q.limit, q.continue])).toEqual([
      [1, undefined],
      [1, "page2"],
    ]);
    expect(events).toHaveLength(1);
    const resync = events[0];
    expect(resync?.type === "resync" && resync.objects.map((o) => o.name)).toEqual(["a", "b"]);
    expect(transport.last.path).toBe("/api/v1/pods");
    expect(transport.last.query).toMatchObject({ resourceVersion: "9", allowWatchBookmarks: true });
    transport.last.send("ADDED", pod("c", "11"));
    transport.last.send("MODIFIED", pod("c", "12"));
    transport.last.send("DELETED", pod("c", "13"));
    expect(events.slice(1).map((e) => e.type)).toEqual(["upsert", "upsert", "delete"]);
    sub.unsubscribe();
  });

  it("says when each watch event arrived and was decoded, before the event goes out", async () => {
    const arrivals: [string, number, number, number][] = [];
    const sub = start({
      onArrival: (event, a) => arrivals.push([event.type, a.receivedAt, a.decodedAt, events.length]),
    });
    await vi.advanceTimersByTimeAsync(0);
    const t = performance.now();
    transport.last.send("ADDED", pod("c", "11"), t - 4);
    transport.last.send("BOOKMARK", { kind: "Pod", metadata: { resourceVersion: "20" } }, t);
    transport.last.send("DELETED", pod("c", "21")); // no arrival time from the transport: decoded is it
    // Told before emitting (events.length is the count before), nothing for a bookmark.
    expect(arrivals).toEqual([
      ["upsert", t - 4, t, 1],
      ["delete", t, t, 2],
    ]);
    sub.unsubscribe();
  });

  it("re-watches at once, from the last resourceVersion (bookmarks included), when the server ends a working watch", async () => {
    const sub = start({ watchTimeoutMs: 30_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.last.query.timeoutSeconds).toBe(15);
    transport.last.send("ADDED", pod("c", "11"));
    transport.last.send("BOOKMARK", { kind: "Pod", metadata: { resourceVersion: "20" } });
    transport.last.done(null);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.watches).toHaveLength(2);
    expect(transport.last.query.resourceVersion).toBe("20");
    expect(transport.lists).toHaveLength(1);
    expect(events.filter((e) => e.type === "resync")).toHaveLength(1);
    // The expected end of a watch is not a restart worth a line.
    expect(lines.filter((l) => l.startsWith("rewatch"))).toEqual([]);
    sub.unsubscribe();
  });

  it("backs off when a watch closes at once without delivering anything", async () => {
    const sub = start();
    await vi.advanceTimersByTimeAsync(0);
    transport.last.done(null);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.watches).toHaveLength(2);
    expect(lines.some((l) => l.startsWith("rewatch Pod in 200 ms: the watch stream closed at once"))).toBe(
      true,
    );
    sub.unsubscribe();
  });

  it("relists at once on 410 Gone after an outage, with the backoff reset", async () => {
    const sub = start({ random: () => 0 });
    await vi.advanceTimersByTimeAsync(0);
    transport.last.send("ADDED", pod("c", "11"));
    // An outage: the watch fails, and re-watching fails four times (backoff 100, 200, 400, 800).
    const real = transport.watch.bind(transport);
    transport.watch = () => Promise.reject(new ApiError(0, "connect ECONNREFUSED"));
    transport.last.done(new ApiError(0, "socket closed"));
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800);
    expect(lines.filter((l) => l.startsWith("rewatch"))).toHaveLength(5);
    // The server is back, but the resourceVersion has been compacted away meanwhile.
    transport.watch = real;
    await vi.advanceTimersByTimeAsync(1600);
    expect(transport.last.query.resourceVersion).toBe("11");
    transport.items = [pod("x", "30")];
    transport.rv = "30";
    transport.last.send("ERROR", { kind: "Status", code: 410, message: "too old resource version" });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.lists).toHaveLength(2);
    expect(lines).toContain("relist Pod now: 410 Gone: the resourceVersion is too old");
    const resyncs = events.filter((e) => e.type === "resync");
    expect(resyncs[1]?.type === "resync" && resyncs[1].objects.map((o) => o.name)).toEqual(["x"]);
    expect(transport.last.query.resourceVersion).toBe("30");
    // And the backoff starts over: the next failure waits the first step.
    transport.last.done(new ApiError(503, "unavailable"));
    expect(lines.at(-1)).toBe("rewatch Pod in 100 ms: watch failed: unavailable");
    sub.unsubscribe();
  });

  it("relists after a 410 on a list's own resourceVersion with a backoff, not at once (it could spin)", async () => {
    const sub = start();
    await vi.advanceTimersByTimeAsync(0);
    transport.last.send("ERROR", { kind: "Status", code: 410, message: "too old resource version" });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.lists).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.lists).toHaveLength(2);
    transport.last.done(Object.assign(new Error("Gone"), { statusCode: 410 }));
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.lists).toHaveLength(3);
    expect(events.filter((e) => e.type === "resync")).toHaveLength(3);
    sub.unsubscribe();
  });

  it("resumes the moment the server answers again; after that, only when /readyz comes back", async () => {
    const waits: { wake: () => void; readyOnly: boolean }[] = [];
    const health = {
      sent: () => 0,
      answered: () => {},
      whenUp: (wake: () => void, options: { readyOnly?: boolean } = {}) => {
        const w = { wake, readyOnly: options.readyOnly === true };
        waits.push(w);
        return () => {
          const i = waits.indexOf(w);
          if (i >= 0) waits.splice(i, 1);
        };
      },
    };
    transport.listAnswers = Array.from({ length: 8 }, () => new ApiError(0, "connect ECONNREFUSED"));
    const sub = start({ health, random: () => 1 });
    await vi.advanceTimersByTimeAsync(200 + 400 + 800 + 1600 + 3200);
    expect(transport.lists).toHaveLength(6);
    expect(waits).toEqual([{ wake: expect.any(Function), readyOnly: false }]); // only the latest wait
    expect(lines.at(-1)).toContain("relist Pod in 6400 ms");
    waits.shift()?.wake(); // as the real health does: a waiter is woken once
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.lists).toHaveLength(7);
    // It failed again although the server answered: its own trouble, or a server still half broken
    // (etcd down). A plain backoff from the start, and only /readyz coming back wakes it now.
    expect(lines.at(-1)).toContain("relist Pod in 200 ms");
    expect(waits.map((w) => w.readyOnly)).toEqual([true]);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.lists).toHaveLength(8);
    expect(lines.at(-1)).toContain("relist Pod in 400 ms");
    waits.shift()?.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.map((e) => e.type)).toEqual(["resync"]);
    sub.unsubscribe();
  });

  it("does not wait for the server after a refusal (403): it backs off", async () => {
    const wakes: (() => void)[] = [];
    const health = {
      sent: () => 0,
      answered: () => {},
      whenUp: (wake: () => void) => {
        wakes.push(wake);
        return () => {};
      },
    };
    transport.listAnswers = [new ApiError(403, "forbidden")];
    const sub = start({ health });
    await vi.advanceTimersByTimeAsync(0);
    expect(wakes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.lists).toHaveLength(2);
    sub.unsubscribe();
  });

  it("reports each watch live from its connection until it fails, and not across a relist", async () => {
    const liveness = createWatchLiveness();
    const sub = start({ liveness, namespaces: ["a", "b"] });
    expect(liveness.live()).toBe(false);
    expect(liveness.notLive()).toEqual(["Pod/a", "Pod/b"]);
    await vi.advanceTimersByTimeAsync(0);
    expect(liveness.live()).toBe(true);
    const [wa] = transport.watches;
    wa?.send("ADDED", pod("p1", "11", "a"));
    wa?.done(null); // the server ended it: still live, re-watching at once
    expect(liveness.live()).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    transport.last.done(new ApiError(0, "socket closed"));
    expect(liveness.notLive()).toEqual(["Pod/a"]);
    await vi.advanceTimersByTimeAsync(200);
    expect(liveness.live()).toBe(true);
    transport.watches.at(-1)?.send("ERROR", { code: 410 });
    expect(liveness.live()).toBe(false);
    sub.unsubscribe();
    expect(liveness.notLive()).toEqual([]);
  });

  it("backs off exponentially with jitter while lists fail, and resets after a success", async () => {
    const fail = () => new ApiError(500, "boom");
    transport.listAnswers = [fail(), fail(), fail()];
    const sub = start({ random: () => 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.lists).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(transport.lists).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 100 ms: half of 200
    expect(transport.lists).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200); // half of 400
    expect(transport.lists).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(400); // half of 800, then the list succeeds
    expect(transport.lists).toHaveLength(4);
    expect(events.map((e) => e.type)).toEqual(["resync"]);
    transport.last.done(new Error("ECONNRESET"));
    await vi.advanceTimersByTimeAsync(100); // reset: back to the first step
    expect(transport.watches).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith("relist"))).toHaveLength(3);
    sub.unsubscribe();
  });

  it("restarts a watch not heard from for the watch timeout, and not one that keeps talking", async () => {
    const sub = start({ watchTimeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(0);
    const first = transport.last;
    await vi.advanceTimersByTimeAsync(6_000);
    first.send("BOOKMARK", { metadata: { resourceVersion: "15" } });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(transport.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(first.controller.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(transport.watches).toHaveLength(2);
    expect(transport.last.query.resourceVersion).toBe("15");
    expect(lines.some((l) => l.includes("not heard from for 10000 ms (watch timeout 10000 ms)"))).toBe(true);
    sub.unsubscribe();
  });

  it("lists again when a list hangs past its deadline", async () => {
    let aborted = false;
    transport.list = (_path: string, query: Query, signal?: AbortSignal): Promise<ListPage> => {
      transport.lists.push(query);
      if (transport.lists.length > 1) return Promise.resolve({ items: [], resourceVersion: "5" });
      return new Promise((_, reject) => {
        signal?.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        });
      });
    };
    const sub = start({ listTimeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(aborted).toBe(true);
    expect(lines.at(-1)).toContain("list took longer than 1000 ms");
    await vi.advanceTimersByTimeAsync(200);
    expect(events.map((e) => e.type)).toEqual(["resync"]);
    expect(transport.last.query.resourceVersion).toBe("5");
    sub.unsubscribe();
  });

  it("aborts the watch on unsubscribe and schedules nothing more", async () => {
    const sub = start();
    await vi.advanceTimersByTimeAsync(0);
    const w = transport.last;
    sub.unsubscribe();
    expect(w.controller.signal.aborted).toBe(true);
    w.done(null);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.watches).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("watches a namespace list as one stream: one combined resync, also when one namespace relists", async () => {
    const sub = start({ namespaces: ["a", "b"] });
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.watches.map((w) => w.path)).toEqual([
      "/api/v1/namespaces/a/pods",
      "/api/v1/namespaces/b/pods",
    ]);
    const [wa, wb] = transport.watches;
    wa?.send("ADDED", pod("p1", "11", "a"));
    wb?.send("ADDED", pod("p2", "12", "b"));
    expect(events.map((e) => e.type)).toEqual(["resync", "upsert", "upsert"]);
    transport.items = [];
    wa?.send("ERROR", { code: 410 });
    await vi.advanceTimersByTimeAsync(200);
    const last = events.at(-1);
    // Namespace a relisted empty; b's pod is still there.
    expect(last?.type === "resync" && last.objects.map((o) => `${o.namespace}/${o.name}`)).toEqual(["b/p2"]);
    sub.unsubscribe();
  });

  it("selects the EndpointSlices labelled as zen-lead's (its own, and strays copying its leader Service's labels)", async () => {
    const sub = watchKind(kc, "EndpointSlice", { transport }).subscribe();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.last.path).toBe("/apis/discovery.k8s.io/v1/endpointslices");
    expect(transport.last.query.labelSelector).toBe("app.kubernetes.io/managed-by=zen-lead");
    expect(transport.lists[0]?.labelSelector).toBe(transport.last.query.labelSelector);
    sub.unsubscribe();
  });
});
