import {
  type Action,
  type ApplyAction,
  advance,
  decodeService,
  type EventAction,
  initialState,
} from "@zen-lead/core";
import { serviceJson } from "@zen-lead/core/testing";
import { describe, expect, it } from "vitest";
import { Announcements } from "./announcements.ts";
import { keyOf, type WriteResult, type WriteStatus } from "./applier.ts";

const change: EventAction = {
  type: "event",
  source: { namespace: "ns", name: "q" },
  eventType: "Normal",
  reason: "LeaderChanged",
  note: "leader is web-0 (Elected)",
  leaderChange: { to: "web-0", cause: "Elected" },
};

/** A create of the source `ns/q` (only the fields the announcements read); a slice names its leader Service. */
function write(kind: "Service" | "EndpointSlice", name: string): ApplyAction {
  const labels = kind === "EndpointSlice" ? { "kubernetes.io/service-name": "q-leader" } : {};
  return {
    type: "apply",
    kind,
    namespace: "ns",
    name,
    source: "ns/q",
    create: true,
    manifest: { metadata: { name, namespace: "ns", labels } },
  } as unknown as ApplyAction;
}

function result(action: ApplyAction, status: WriteStatus): WriteResult {
  return { action, key: keyOf(action), status, durationMs: 1 };
}

function announcer() {
  const said: EventAction[] = [];
  return { said, a: new Announcements((e) => said.push(e)) };
}

describe("Announcements", () => {
  it("announces a leader change only once every object it is written to has been written", () => {
    const { said, a } = announcer();
    const service = write("Service", "q-leader");
    const slice = write("EndpointSlice", "q-leader-ipv4");
    a.onBatch([service, slice, change] satisfies Action[], undefined);
    a.onWritten(result(slice, "created"));
    expect(said).toEqual([]);
    a.onWritten(result(service, "created"));
    expect(said).toEqual([change]);
  });

  it("holds it while a write is refused, and announces it when a later write of that object lands", () => {
    const { said, a } = announcer();
    const service = write("Service", "q-leader");
    const slice = write("EndpointSlice", "q-leader-ipv4");
    a.onBatch([service, slice, change], undefined);
    a.onWritten(result(slice, "created"));
    a.onWritten(result(service, "rejected"));
    expect(said).toEqual([]);
    // The core asks again (its suppression window ended): the same object, a later batch.
    const again = write("Service", "q-leader");
    a.onBatch([again], undefined);
    a.onWritten(result(again, "rejected"));
    expect(said).toEqual([]);
    a.onWritten(result(again, "created"));
    expect(said).toEqual([change]);
  });

  it("announces a change that needs no write at once, and never one whose writes were dropped", () => {
    const { said, a } = announcer();
    a.onBatch([change], undefined);
    expect(said).toEqual([change]);
    const slice = write("EndpointSlice", "q-leader-ipv4");
    a.onBatch([slice, { ...change, note: "leader moved" }], undefined);
    a.drop();
    a.onWritten(result(slice, "applied"));
    expect(said).toEqual([change]);
  });

  it("holds a change whose slice is created first for its leader Service, created in a later batch", () => {
    const { said, a } = announcer();
    const slice = write("EndpointSlice", "q-leader-ipv4");
    // The core creates the leader Service only once the slice is observed (core/plan.ts).
    a.onBatch([slice, change], undefined);
    a.onWritten(result(slice, "created"));
    expect(said).toEqual([]);
    const service = write("Service", "q-leader");
    a.onBatch([service], undefined);
    a.onWritten(result(service, "rejected"));
    expect(said).toEqual([]);
    a.onWritten(result(service, "created"));
    expect(said).toEqual([change]);
  });

  it("does not wait for a leader Service that already exists when a slice is created", () => {
    const { said, a } = announcer();
    const withService = advance(initialState(0), {
      type: "upsert",
      object: decodeService(serviceJson("q-leader", { namespace: "ns" })),
    }).state;
    const slice = write("EndpointSlice", "q-leader-ipv6");
    a.onBatch([slice, change], withService);
    a.onWritten(result(slice, "created"));
    expect(said).toEqual([change]);
  });

  it("announces a change whose slice landed behind an existing leader Service even while the Service's update is refused", () => {
    const { said, a } = announcer();
    const slice = { ...write("EndpointSlice", "q-leader-ipv4"), create: false } as ApplyAction;
    const service = { ...write("Service", "q-leader"), create: false } as ApplyAction;
    a.onBatch([slice, service, change], undefined);
    a.onWritten(result(service, "rejected"));
    expect(said).toEqual([]);
    a.onWritten(result(slice, "applied"));
    expect(said).toEqual([change]);
  });
});
