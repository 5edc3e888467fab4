import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { startTraffic } from "./demo.ts";

describe("the demo's traffic", () => {
  const saved = process.env.ZEN_LEAD_DATAPLANE_NETNS;
  afterEach(() => {
    if (saved === undefined) delete process.env.ZEN_LEAD_DATAPLANE_NETNS;
    else process.env.ZEN_LEAD_DATAPLANE_NETNS = saved;
  });

  it("says in one line why there is none when the data-plane node cannot run, instead of failing", async () => {
    process.env.ZEN_LEAD_DATAPLANE_NETNS = "vm";
    expect(await startTraffic(new KubeConfig())).toBe(
      "ZEN_LEAD_DATAPLANE_NETNS=vm: expected userns or plain",
    );
  });
});
