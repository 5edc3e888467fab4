import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkExpectations, loadScenario, runScenario } from "./index.ts";

const dir = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("shipped scenarios", () => {
  it("include the seed's five use cases and one scenario per fault", () => {
    for (const name of [
      "use-case-1-controller-ha.yaml",
      "use-case-2-api-gateway.yaml",
      "use-case-3-scheduled-job.yaml",
      "use-case-4-pool-manager.yaml",
      "use-case-5-metrics-aggregator.yaml",
      "fault-leader-crash.yaml",
      "fault-readiness-flap.yaml",
      "fault-graceful-deletion.yaml",
      "fault-rolling-update.yaml",
      "fault-node-drain.yaml",
      "fault-preferred-leader.yaml",
      "fault-min-ready.yaml",
      "fault-controller-restart.yaml",
      "fault-watch-gap.yaml",
      "fault-api-latency.yaml",
      "fault-write-failures.yaml",
      "fault-labels-stripped.yaml",
    ]) {
      expect(files).toContain(name);
    }
  });

  it.each(files)("%s meets its expectations with no violation", async (file) => {
    const scenario = await loadScenario(`${dir}${file}`);
    expect(scenario.name).toBe(file.replace(/\.yaml$/, ""));
    const { report, pods } = runScenario(scenario);
    expect(checkExpectations(scenario, report, pods)).toEqual({ invalid: [], unmet: [] });
    expect(report.violations).toEqual([]);
    // Every shipped scenario states something beyond "no violations".
    const e = scenario.expect;
    expect(e.leaderAt.length + e.leaderOneOf.length + e.failovers.length).toBeGreaterThan(0);
  });

  it("each use case crashes its leader and fails over", async () => {
    for (const file of files.filter((f) => f.startsWith("use-case-"))) {
      const scenario = await loadScenario(`${dir}${file}`);
      expect(scenario.timeline.some((t) => t.fault.type === "crashLeader")).toBe(true);
      const { report } = runScenario(scenario);
      expect(report.stats.leaderChanges).toBeGreaterThanOrEqual(2); // the first election, then a failover
      expect(report.stats.failovers).toBeGreaterThanOrEqual(1);
    }
  });
});
