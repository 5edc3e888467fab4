import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGE_NODE_FLAGS } from "./replicas.ts";

describe("fault-suite replicas", () => {
  it("run with the V8 flags the image ships (deploy/Dockerfile's NODE_OPTIONS)", () => {
    const dockerfile = readFileSync(join(import.meta.dirname, "../../../deploy/Dockerfile"), "utf8");
    const options = /NODE_OPTIONS="([^"]*)"/.exec(dockerfile)?.[1]?.split(/\s+/) ?? [];
    expect(IMAGE_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of IMAGE_NODE_FLAGS) expect(options).toContain(flag);
  });
});
