import type { Action, ApplyAction, EventAction } from "@zen-lead/core";
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

/** A write of the source `ns/q` (only the fields the announcements read). */
function write(kind: "Service" | "EndpointSlice", name: string): ApplyAction {
  return {
    type: "apply",
    kind,
    namespace: "ns",
    name,
    source: "ns/q",
    create: true,
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
    a.onBatch([service, slice, change] satisfies Action[]);
    a.onWritten(result(slice, "created"));
    expect(said).toEqual([]);
    a.onWritten(result(service, "created"));
    expect(said).toEqual([change]);
  });

  it("holds it while a write is refused, and announces it when a later write of that object lands", () => {
    const { said, a } = announcer();
    const service = write("Service", "q-leader");
    const slice = write("EndpointSlice", "q-leader-ipv4");
    a.onBatch([service, slice, change]);
    a.onWritten(result(slice, "created"));
    a.onWritten(result(service, "rejected"));
    expect(said).toEqual([]);
    // The core asks again (its suppression window ended): the same object, a later batch.
    const again = write("Service", "q-leader");
    a.onBatch([again]);
    a.onWritten(result(again, "rejected"));
    expect(said).toEqual([]);
    a.onWritten(result(again, "created"));
    expect(said).toEqual([change]);
  });

  it("announces a change that needs no write at once, and never one whose writes were dropped", () => {
    const { said, a } = announcer();
    a.onBatch([change]);
    expect(said).toEqual([change]);
    const slice = write("EndpointSlice", "q-leader-ipv4");
    a.onBatch([slice, { ...change, note: "leader moved" }]);
    a.drop();
    a.onWritten(result(slice, "applied"));
    expect(said).toEqual([change]);
  });
});
