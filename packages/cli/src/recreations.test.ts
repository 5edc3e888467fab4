import { describe, expect, it } from "vitest";
import { Recreations } from "./recreations.ts";

describe("Recreations", () => {
  it("tells a create of an object this process wrote before from a first create", () => {
    const r = new Recreations();
    expect(r.see({ key: "Service:ns/web-leader", status: "created" })).toBeUndefined();
    expect(r.see({ key: "Service:ns/web-leader", status: "applied" })).toBeUndefined();
    // Someone deleted it; zen-lead creates it again.
    expect(r.see({ key: "Service:ns/web-leader", status: "created" })).toBe("another-writer");
  });

  it("tells what zen-lead deleted itself and made again from another writer's deletion, and ignores a create that did not happen", () => {
    const r = new Recreations();
    r.see({ key: "Service:ns/web-leader", status: "created" });
    r.see({ key: "Service:ns/web-leader", status: "deleted" }); // opted out
    expect(r.see({ key: "Service:ns/web-leader", status: "created" })).toBe("zen-lead"); // opted in again
    expect(r.see({ key: "Service:ns/web-leader", status: "applied" })).toBeUndefined();
    // Deleted by an earlier process (opted out while this one was stopped), then opted in again.
    r.see({ key: "Service:ns/old-leader", status: "deleted" });
    expect(r.see({ key: "Service:ns/old-leader", status: "created" })).toBe("zen-lead");
    expect(r.see({ key: "EndpointSlice:ns/other-ipv4", status: "conflict" })).toBeUndefined();
    expect(r.see({ key: "EndpointSlice:ns/other-ipv4", status: "created" })).toBeUndefined();
  });
});
