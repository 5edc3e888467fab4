import { describe, expect, it } from "vitest";
import { Recreations } from "./recreations.ts";

describe("Recreations", () => {
  it("tells a create of an object this process wrote before from a first create", () => {
    const r = new Recreations();
    expect(r.see({ key: "Service:ns/web-leader", status: "created" })).toBe(false);
    expect(r.see({ key: "Service:ns/web-leader", status: "applied" })).toBe(false);
    // Someone deleted it; zen-lead creates it again.
    expect(r.see({ key: "Service:ns/web-leader", status: "created" })).toBe(true);
  });

  it("does not count what zen-lead deleted itself, nor a create that did not happen", () => {
    const r = new Recreations();
    r.see({ key: "EndpointSlice:ns/web-leader-ipv4", status: "created" });
    r.see({ key: "EndpointSlice:ns/web-leader-ipv4", status: "deleted" }); // opted out
    expect(r.see({ key: "EndpointSlice:ns/web-leader-ipv4", status: "created" })).toBe(false); // opted in again
    expect(r.see({ key: "EndpointSlice:ns/other-ipv4", status: "conflict" })).toBe(false);
    expect(r.see({ key: "EndpointSlice:ns/other-ipv4", status: "created" })).toBe(false);
  });
});
