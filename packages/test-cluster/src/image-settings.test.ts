import { describe, expect, it } from "vitest";
import { imageEnv, imageNodeFlags } from "./image-settings.ts";

describe("the image's process settings, read from deploy/Dockerfile", () => {
  it("finds NODE_OPTIONS' flags, then ENTRYPOINT's, and the MALLOC_* variables", () => {
    const dockerfile = [
      'ENV NODE_OPTIONS="--max-semi-space-size=8 --stack-size=900" \\',
      "  MALLOC_ARENA_MAX=2 \\",
      "  MALLOC_TRIM_THRESHOLD_=65536",
      'ENTRYPOINT ["/nodejs/bin/node", "--optimize-for-size", "/app/main.js"]',
    ].join("\n");
    expect(imageNodeFlags(dockerfile)).toEqual([
      "--max-semi-space-size=8",
      "--stack-size=900",
      "--optimize-for-size",
    ]);
    expect(imageEnv(dockerfile)).toEqual({ MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "65536" });
  });

  it("finds flags in the real Dockerfile (a format change there must not leave the benches on defaults)", () => {
    expect(imageNodeFlags().length).toBeGreaterThan(0);
    expect(Object.keys(imageEnv()).length).toBeGreaterThan(0);
  });
});
