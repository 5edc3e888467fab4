/**
 * Small Simulations for tests and examples: one annotated Service `default/web` over `pods` Ready
 * pods (`web-0` oldest, so it is elected first), three nodes, and the timeline given.
 */
import { nodeJson, podJson, serviceJson } from "@zen-lead/core/testing";
import { type ApiObject, DEFAULT_API_BEHAVIOUR, type Simulation, type TimedChange } from "./model.ts";

/** 2025-01-01T00:00:00Z: virtual time 0 of the test simulations. */
export const TEST_EPOCH_MS = Date.UTC(2025, 0, 1);

/** What a test varies; defaults: 3 pods, no changes, seed 1, a healthy API. */
export interface TestSimulationOptions {
  readonly pods?: number;
  readonly timeline?: readonly TimedChange[];
  /** Virtual ms (default 60 s). */
  readonly endAt?: number;
  readonly seed?: number;
  readonly api?: Partial<Simulation["api"]>;
}

/** The Simulation of the module comment. */
export function testSimulation(options: TestSimulationOptions = {}): Simulation {
  const epochSeconds = TEST_EPOCH_MS / 1000;
  const initial: { kind: Simulation["initial"][number]["kind"]; object: ApiObject }[] = [
    {
      kind: "Service",
      object: serviceJson("web", { ports: [{ name: "http", port: 80, targetPort: 8080 }] }) as ApiObject,
    },
  ];
  for (let i = 0; i < (options.pods ?? 3); i++) {
    initial.push({
      kind: "Pod",
      object: podJson(`web-${i}`, {
        created: epochSeconds - 3600 + i,
        ips: [`10.0.0.${i + 1}`],
        node: `node-${i % 3}`,
      }) as ApiObject,
    });
  }
  for (let n = 0; n < 3; n++)
    initial.push({ kind: "Node", object: nodeJson(`node-${n}`, `zone-${n}`) as ApiObject });
  return {
    name: "test",
    source: "scenario",
    seed: options.seed ?? 1,
    epochMs: TEST_EPOCH_MS,
    api: { ...DEFAULT_API_BEHAVIOUR, ...options.api },
    initial,
    timeline: options.timeline ?? [],
    endAt: options.endAt ?? 60_000,
  };
}
