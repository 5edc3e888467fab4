import { describe, expect, it } from "vitest";
import { podStatus } from "./pod-status.ts";

const base = {
  containers: [{ name: "app", image: "x:1" }],
  hostIPs: ["10.250.0.1", "fd00:10:250::1"],
  podIPs: ["10.250.0.2", "fd00:10:250::2"],
  startTime: "2026-01-01T00:00:00Z",
  restartCount: 0,
  readySince: "2026-01-01T00:00:01Z",
};

describe("podStatus", () => {
  it("reports a running process as Running and Ready, with both IPs, IPv4 first", () => {
    const status = podStatus({ ...base, state: { running: true, startedAt: "2026-01-01T00:00:00Z" } });
    expect(status).toMatchObject({
      phase: "Running",
      hostIP: "10.250.0.1",
      podIP: "10.250.0.2",
      podIPs: [{ ip: "10.250.0.2" }, { ip: "fd00:10:250::2" }],
      containerStatuses: [{ name: "app", ready: true, started: true, state: { running: {} } }],
    });
    const conditions = status.conditions as { type: string; status: string; lastTransitionTime: string }[];
    expect(conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(conditions.find((c) => c.type === "Ready")?.lastTransitionTime).toBe("2026-01-01T00:00:01Z");
  });

  it("reports a killed process as NotReady, terminated with 137, and its restart with lastState", () => {
    const killed = {
      running: false as const,
      startedAt: "2026-01-01T00:00:00Z",
      finishedAt: "2026-01-01T00:01:00Z",
      exitCode: 137,
    };
    const crashed = podStatus({ ...base, state: killed, readySince: "2026-01-01T00:01:00Z" });
    const conditions = crashed.conditions as { type: string; status: string }[];
    expect(conditions.filter((c) => c.status === "False").map((c) => c.type)).toEqual([
      "Ready",
      "ContainersReady",
    ]);
    expect(crashed.containerStatuses).toEqual([
      expect.objectContaining({
        ready: false,
        state: { terminated: expect.objectContaining({ exitCode: 137, reason: "Error" }) },
      }),
    ]);

    const restarted = podStatus({
      ...base,
      state: { running: true, startedAt: "2026-01-01T00:01:02Z" },
      restartCount: 1,
      lastState: killed,
    });
    expect(restarted.containerStatuses).toEqual([
      expect.objectContaining({
        ready: true,
        restartCount: 1,
        lastState: { terminated: expect.objectContaining({ exitCode: 137 }) },
      }),
    ]);
  });
});
