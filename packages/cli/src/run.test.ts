import { describe, expect, it } from "vitest";
import { parseRunConfig } from "./run.ts";

describe("zen-lead run's configuration", () => {
  it("has a 30 s watch timeout by default, settable by flag or ZEN_LEAD_WATCH_TIMEOUT", () => {
    expect(parseRunConfig(["--identity", "a"], {})?.watchTimeoutMs).toBe(30_000);
    expect(parseRunConfig(["--identity", "a", "--watch-timeout", "45s"], {})?.watchTimeoutMs).toBe(45_000);
    expect(parseRunConfig(["--identity", "a"], { ZEN_LEAD_WATCH_TIMEOUT: "1m" })?.watchTimeoutMs).toBe(
      60_000,
    );
    expect(() => parseRunConfig(["--identity", "a", "--watch-timeout", "3s"], {})).toThrow(
      "--watch-timeout must be at least 4s",
    );
  });
});
