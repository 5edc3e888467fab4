import type { EventsV1Event } from "@kubernetes/client-node";
import type { EventAction } from "@zen-lead/core";
import { describe, expect, it } from "vitest";
import { createEventRecorder, type EventProblem, type EventSink, truncateNote } from "./events.ts";
import { ManualScheduler, settle } from "./manual-scheduler.ts";

const MIN = 60_000;

interface Stored {
  event: EventsV1Event;
  count: number;
}

/** An in-memory events API that records every write; `hold` makes writes wait until released. */
function fakeSink() {
  const events = new Map<string, Stored>();
  const writes: string[] = [];
  let held: (() => void)[] | undefined;
  const gate = () =>
    held === undefined ? Promise.resolve() : new Promise<void>((resolve) => held?.push(resolve));
  const sink: EventSink = {
    async list() {
      await gate();
      return [...events.values()].map(({ event, count }) => ({
        namespace: event.metadata?.namespace ?? "",
        name: event.metadata?.name ?? "",
        regarding: {
          name: event.regarding?.name ?? "",
          ...(event.regarding?.uid ? { uid: event.regarding.uid } : {}),
        },
        type: event.type as "Normal" | "Warning",
        reason: event.reason ?? "",
        note: event.note ?? "",
        count,
        lastObserved: Number(event.eventTime),
      }));
    },
    async create(_namespace, event) {
      await gate();
      const name = event.metadata?.name ?? "";
      writes.push(`create ${name}`);
      events.set(name, { event, count: event.series?.count ?? 1 });
    },
    async patchSeries(_namespace, name, series) {
      await gate();
      writes.push(`patch ${name} ${series.count}`);
      const stored = events.get(name);
      if (stored === undefined) throw Object.assign(new Error("not found"), { code: 404 });
      stored.count = series.count;
    },
  };
  return {
    sink,
    events,
    writes,
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const resolve of waiting) resolve();
    },
  };
}

const action = (over: Partial<EventAction> = {}): EventAction => ({
  type: "event",
  source: { namespace: "ns", name: "web", uid: "u1" },
  eventType: "Normal",
  reason: "LeaderChanged",
  note: "leader web-0 -> web-1 (LeaderNotReady)",
  leaderChange: { from: "web-0", to: "web-1", cause: "LeaderNotReady" },
  ...over,
});

function setup(options: { burst?: number } = {}, fake = fakeSink()) {
  const scheduler = new ManualScheduler(1_800_000_000_000);
  const problems: EventProblem[] = [];
  const outcomes: string[] = [];
  const recorder = createEventRecorder({
    sink: fake.sink,
    instance: "zen-lead-0",
    scheduler,
    onError: (p) => problems.push(p),
    onOutcome: (a, o) => outcomes.push(`${a.reason} ${o}`),
    ...options,
  });
  return { scheduler, fake, problems, outcomes, recorder };
}

const warning = (note = "no Running, Ready pod with an IP matches the selector"): EventAction => ({
  type: "event",
  source: { namespace: "ns", name: "web", uid: "u1" },
  eventType: "Warning",
  reason: "NoReadyPods",
  note,
});

describe("EventRecorder read-back", () => {
  it("does not write a standing Warning the cluster already carries, nor report it as new", async () => {
    const before = setup();
    before.recorder.record(warning());
    await settle();
    // A restarted controller, the same cluster: the fold announces the standing warning again.
    const after = setup({}, before.fake);
    await after.recorder.readBack(["ns"]);
    after.recorder.record(warning());
    await settle();
    expect(before.fake.writes).toHaveLength(1);
    expect(after.outcomes).toEqual(["NoReadyPods already-recorded"]);
    // The warning goes away and comes back: a real repeat, counted in the same Event's series.
    await after.scheduler.advance(MIN);
    after.recorder.record(warning());
    await settle();
    expect(before.fake.writes.slice(1)).toEqual([`patch ${before.fake.writes[0]?.split(" ")[1]} 2`]);
    expect(after.outcomes.at(-1)).toBe("NoReadyPods repeat");
  });

  it("holds what is recorded during the read-back until it is done", async () => {
    const before = setup();
    before.recorder.record(warning());
    await settle();
    const after = setup({}, before.fake);
    before.fake.hold();
    const reading = after.recorder.readBack([]);
    after.recorder.record(warning());
    after.recorder.record(warning("another"));
    await settle();
    expect(after.outcomes).toEqual([]);
    before.fake.release();
    await reading;
    await settle();
    expect(after.outcomes).toEqual(["NoReadyPods already-recorded", "NoReadyPods created"]);
  });

  it("never absorbs a leader change: it is announced once by whoever publishes it", async () => {
    const before = setup();
    before.recorder.record(action());
    await settle();
    const after = setup({}, before.fake);
    await after.recorder.readBack([]);
    after.recorder.record(action());
    expect(after.outcomes).toEqual(["LeaderChanged created"]);
  });

  it("reports a failed read-back and records on without it", async () => {
    const fake = fakeSink();
    const failing = { ...fake, sink: { ...fake.sink, list: () => Promise.reject(new Error("forbidden")) } };
    const { recorder, problems, outcomes } = setup({}, failing);
    await recorder.readBack([]);
    recorder.record(warning());
    expect(problems.map((p) => p.kind)).toEqual(["read-back-failed"]);
    expect(outcomes).toEqual(["NoReadyPods created"]);
  });
});

describe("EventRecorder", () => {
  it("creates an events.k8s.io/v1 Event regarding the source Service", async () => {
    const { fake, recorder, scheduler } = setup();
    recorder.record(action());
    await settle();
    const [stored] = [...fake.events.values()];
    expect(stored?.event).toMatchObject({
      eventTime: new Date(scheduler.now()),
      reportingController: "zen-lead.io/controller",
      reportingInstance: "zen-lead-0",
      action: "Elect",
      type: "Normal",
      reason: "LeaderChanged",
      note: "leader web-0 -> web-1 (LeaderNotReady)",
      regarding: { apiVersion: "v1", kind: "Service", namespace: "ns", name: "web", uid: "u1" },
      related: { kind: "Pod", name: "web-1" },
    });
    expect(stored?.event.series).toBeUndefined();
    expect(stored?.event.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  it("aggregates repeats into one Event's series, counting every occurrence", async () => {
    const { fake, recorder, scheduler } = setup();
    recorder.record(action());
    await settle();
    for (let i = 0; i < 10; i++) {
      await scheduler.advance(1_000);
      recorder.record(action());
      await settle();
    }
    expect(fake.events.size).toBe(1);
    expect([...fake.events.values()][0]?.count).toBe(11);
  });

  it("merges repeats that arrive while a write is in flight into one patch", async () => {
    const { fake, recorder } = setup();
    recorder.record(action());
    await settle();
    fake.hold();
    recorder.record(action());
    recorder.record(action());
    recorder.record(action());
    recorder.record(action());
    fake.release();
    await settle();
    fake.release();
    await settle();
    expect(fake.writes.map((w) => w.split(" ")[0])).toEqual(["create", "patch", "patch"]);
    expect([...fake.events.values()][0]?.count).toBe(5);
  });

  it("starts a new Event for another reason, type, note or source, and after the series window", async () => {
    const { fake, recorder, scheduler } = setup();
    recorder.record(action());
    recorder.record(action({ eventType: "Warning", reason: "NoReadyPods", note: "no ready pods" }));
    recorder.record(action({ note: "leader web-1 -> web-0 (LeaderNotReady)" }));
    recorder.record(action({ source: { namespace: "ns", name: "api" } }));
    await settle();
    expect(fake.events.size).toBe(4);
    await scheduler.advance(6 * MIN + 1);
    recorder.record(action());
    await settle();
    expect(fake.events.size).toBe(5);
  });

  it("rate-limits writes per source: burst 25, then one every 5 minutes; other sources unaffected", async () => {
    const { fake, recorder, problems, scheduler } = setup();
    for (let i = 0; i < 30; i++) {
      recorder.record(action({ eventType: "Warning", reason: "NoReadyPods", note: `distinct ${i}` }));
    }
    await settle();
    expect(fake.events.size).toBe(25);
    expect(problems.filter((p) => p.kind === "rate-limited")).toHaveLength(5);
    recorder.record(action({ source: { namespace: "ns", name: "other" } }));
    await settle();
    expect(fake.events.size).toBe(26);
    await scheduler.advance(5 * MIN);
    recorder.record(action({ eventType: "Warning", reason: "NoReadyPods", note: "after refill" }));
    recorder.record(action({ eventType: "Warning", reason: "NoReadyPods", note: "no token yet" }));
    await settle();
    expect(fake.events.size).toBe(27);
  });

  it("a flapping source's series keeps counting but writes at most once per refill once the burst is spent", async () => {
    const { fake, recorder, scheduler } = setup({ burst: 3 });
    for (let i = 0; i < 100; i++) {
      recorder.record(action());
      await scheduler.advance(100);
    }
    // create + 2 patches used the burst; the rest wait for a token.
    expect(fake.writes).toHaveLength(3);
    await scheduler.advance(5 * MIN);
    expect(fake.writes).toHaveLength(4);
    expect([...fake.events.values()][0]?.count).toBe(100);
  });

  it("re-creates the Event with its series when the Event is gone", async () => {
    const { fake, recorder } = setup();
    recorder.record(action());
    await settle();
    fake.events.clear();
    recorder.record(action());
    await settle();
    expect(fake.events.size).toBe(1);
    const [stored] = [...fake.events.values()];
    expect(stored?.event.series?.count).toBe(2);
  });

  it("reports API errors and never throws", async () => {
    const problems: EventProblem[] = [];
    const recorder = createEventRecorder({
      instance: "i",
      scheduler: new ManualScheduler(),
      sink: {
        list: () => Promise.reject(new Error("boom")),
        create: () => Promise.reject(new Error("boom")),
        patchSeries: () => Promise.reject(new Error("boom")),
      },
      onError: (p) => {
        problems.push(p);
        throw new Error("a bad reporter");
      },
    });
    expect(() => recorder.record(action())).not.toThrow();
    await settle();
    expect(problems).toMatchObject([{ kind: "api-error" }]);
  });

  it("truncates notes to 1 KB without splitting characters", () => {
    const note = truncateNote("é".repeat(2000));
    expect(new TextEncoder().encode(note).length).toBeLessThanOrEqual(1024);
    expect(note.endsWith("…")).toBe(true);
    expect(truncateNote("short")).toBe("short");
  });
});
