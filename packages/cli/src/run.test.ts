import { DEFAULT_BURST, DEFAULT_QPS } from "@zen-lead/k8s-adapter";
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

  it("limits writes to the API server by --kube-api-qps and --kube-api-burst, or their variables", () => {
    const config = parseRunConfig(["--identity", "a"], {});
    expect([config?.kubeApiQps, config?.kubeApiBurst]).toEqual([DEFAULT_QPS, DEFAULT_BURST]);
    const flags = parseRunConfig(["--identity", "a", "--kube-api-qps", "12.5", "--kube-api-burst", "40"], {});
    expect([flags?.kubeApiQps, flags?.kubeApiBurst]).toEqual([12.5, 40]);
    const env = parseRunConfig(["--identity", "a"], {
      ZEN_LEAD_KUBE_API_QPS: "7",
      ZEN_LEAD_KUBE_API_BURST: "9",
    });
    expect([env?.kubeApiQps, env?.kubeApiBurst]).toEqual([7, 9]);
    expect(() => parseRunConfig(["--identity", "a", "--kube-api-qps", "0"], {})).toThrow(
      '--kube-api-qps: "0" is not a positive number',
    );
    expect(() => parseRunConfig(["--identity", "a", "--kube-api-burst", "2.5"], {})).toThrow(
      '--kube-api-burst: "2.5" is not a positive integer',
    );
    expect(() => parseRunConfig(["--identity", "a", "--kube-api-qps", "fast"], {})).toThrow(
      '--kube-api-qps: "fast" is not a positive number',
    );
  });

  it("refuses a negative or non-numeric value of every numeric flag alike, written --flag V or --flag=V", () => {
    const cases = [
      ["kube-api-qps", "-5", "is not a positive number"],
      ["kube-api-qps", "-fast", "is not a positive number"],
      ["kube-api-burst", "-1", "is not a positive integer"],
      ["lease-duration", "-15s", "is not a positive duration"],
      ["renew-deadline", "-10s", "is not a positive duration"],
      ["retry-period", "-2", "is not a positive duration"],
      ["watch-timeout", "-30s", "is not a positive duration"],
    ] as const;
    for (const [flag, value, reason] of cases) {
      const message = `zen-lead run: --${flag}: ${JSON.stringify(value)} ${reason} (see zen-lead run --help)`;
      expect(() => parseRunConfig(["--identity", "a", `--${flag}`, value], {})).toThrow(message);
      expect(() => parseRunConfig(["--identity", "a", `--${flag}=${value}`], {})).toThrow(message);
    }
  });
});
