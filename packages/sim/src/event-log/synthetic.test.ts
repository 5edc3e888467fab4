import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEventLog } from "./parse.ts";
import { initialListSize, mulberry32, syntheticLog } from "./synthetic.ts";
import type { ApiObject, LogRecord } from "./types.ts";

interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    ownerReferences: { kind: string; name: string; uid: string }[];
  };
  status: {
    phase: string;
    podIP: string;
    conditions: { type: string; status: string; lastTransitionTime: string }[];
  };
}

const OPTIONS = { services: 4, podsPerService: 3, events: 2000, seed: 42 };

describe("mulberry32", () => {
  it("is deterministic for a seed and stays in [0, 1)", () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const first = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(2)()).not.toBe(first[0]);
  });
});

describe("syntheticLog", () => {
  it("is deterministic for a seed", () => {
    const a = [...syntheticLog(OPTIONS)];
    expect([...syntheticLog(OPTIONS)]).toEqual(a);
    expect([...syntheticLog({ ...OPTIONS, seed: 43 })]).not.toEqual(a);
  });

  it("yields a valid log: a header and exactly `events` records", () => {
    const lines = [...syntheticLog(OPTIONS)];
    expect(lines).toHaveLength(OPTIONS.events + 1);
    const { header, records } = parseEventLog(lines);
    expect(header.recordedAt).toBe("2025-01-01T00:00:00Z");
    expect([...records]).toHaveLength(OPTIONS.events);
  });

  it("starts with the initial list of every kind", () => {
    const { records } = parseEventLog(syntheticLog(OPTIONS));
    const head = [...records].slice(0, initialListSize(4, 3));
    const markers = head.filter((r) => r.type !== "ADDED").map((r) => `${r.kind} ${r.type}`);
    expect(markers).toEqual([
      "Service RELIST_START",
      "Service RELIST_END",
      "Pod RELIST_START",
      "Pod RELIST_END",
      "EndpointSlice RELIST_START",
      "EndpointSlice RELIST_END",
      "Node RELIST_START",
      "Node RELIST_END",
    ]);
    expect(head.filter((r) => r.kind === "Service" && r.type === "ADDED")).toHaveLength(4);
    expect(head.filter((r) => r.kind === "Pod" && r.type === "ADDED")).toHaveLength(12);
  });

  it("writes realistic Services and Pods, with flaps and replacements that keep names consistent", () => {
    const { records } = parseEventLog(syntheticLog({ ...OPTIONS, events: 20_000 }));
    const services = new Map<string, ApiObject>();
    const live = new Map<string, PodJson>();
    const counts = new Map<string, number>();
    let relists = 0;
    let inRelist = false;
    for (const record of records as Iterable<LogRecord>) {
      const key = `${record.kind} ${record.type}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (record.kind === "Pod" && record.type === "RELIST_START") {
        inRelist = true;
        relists++;
      }
      if (record.kind === "Pod" && record.type === "RELIST_END") inRelist = false;
      if (record.type === "RELIST_START" || record.type === "RELIST_END" || record.type === "BOOKMARK")
        continue;
      if (record.kind === "Service") services.set(record.object.metadata.name, record.object);
      if (record.kind !== "Pod") continue;
      const pod = record.object as unknown as PodJson;
      const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (record.type === "ADDED" && !inRelist) expect(live.has(name)).toBe(false);
      if (record.type === "DELETED") {
        expect(live.has(name)).toBe(true);
        live.delete(name);
      } else live.set(name, pod);
    }
    expect(live.size).toBe(12);
    expect(relists).toBeGreaterThan(1);
    expect(counts.get("Pod MODIFIED")).toBeGreaterThan(10_000);
    expect(counts.get("Pod DELETED")).toBeGreaterThan(1000);
    expect(counts.get("Service MODIFIED")).toBeGreaterThan(500);
    expect(counts.get("Pod BOOKMARK")).toBeGreaterThan(500);

    const service = services.get("app-1") as unknown as {
      metadata: { namespace: string; annotations: Record<string, string> };
      spec: { selector: Record<string, string> };
    };
    expect(service.metadata.annotations["zen-lead.io/enabled"]).toBe("true");
    expect(service.spec.selector).toEqual({ app: "app-1" });
    const podIps = new Set<string>();
    for (const pod of live.values()) {
      expect(pod.status.phase).toBe("Running");
      expect(pod.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(pod.metadata.uid).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(pod.metadata.ownerReferences[0]?.kind).toBe("ReplicaSet");
      const ready = pod.status.conditions.find((c) => c.type === "Ready");
      expect(ready?.status).toMatch(/^(True|False)$/);
      expect(Date.parse(ready?.lastTransitionTime ?? "")).not.toBeNaN();
      const owner = [...services.values()].find(
        (s) => s.metadata.name === pod.metadata.labels.app,
      ) as unknown as {
        metadata: { namespace: string };
        spec: { selector: Record<string, string> };
      };
      expect(owner.metadata.namespace).toBe(pod.metadata.namespace);
      for (const [k, v] of Object.entries(owner.spec.selector)) expect(pod.metadata.labels[k]).toBe(v);
      podIps.add(pod.status.podIP);
    }
    expect(podIps.size).toBe(12);
  });

  it("refuses impossible options", () => {
    expect(() => [...syntheticLog({ ...OPTIONS, events: 10 })]).toThrow(
      "syntheticLog: events must be at least 27, the size of the initial lists (got 10)",
    );
    expect(() => [...syntheticLog({ ...OPTIONS, services: -1 })]).toThrow(
      "syntheticLog: services must be an integer >= 0 (got -1)",
    );
  });

  it("always yields a valid log of the requested length (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer(),
        (services, podsPerService, extra, seed) => {
          const events = initialListSize(services, podsPerService) + extra;
          const lines = [...syntheticLog({ services, podsPerService, events, seed })];
          expect(lines).toHaveLength(events + 1);
          expect([...parseEventLog(lines).records]).toHaveLength(events);
        },
      ),
      { numRuns: 200 },
    );
  });
});
