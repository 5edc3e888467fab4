/**
 * The short fault subset, in the test suite: on a control plane of its own (the shared one must
 * not lose its API server under other tests), two `zen-lead run` replicas recover from an API
 * server restart, from silently frozen connections and from the Lease holder's SIGKILL, and the
 * invariant watcher flags nothing. Deadlines are generous: the figures belong to ./scripts/faults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULTS, type FaultContext, formatResult, runFault } from "./faults.ts";
import { type Suite, startSuite } from "./suite.ts";

let suite: Suite;
const context: FaultContext = { failovers: 2, deadlineMs: 90_000, cursor: 0 };

beforeAll(async () => {
  // A shorter Lease than the default (15 s / 10 s / 2 s) keeps the SIGKILL takeover, which waits
  // it out by design, from dominating the run.
  const lease = ["--lease-duration", "6s", "--renew-deadline", "4s", "--retry-period", "1s"];
  suite = await startSuite({ services: 4, replicaArgs: lease });
}, 300_000);

afterAll(async () => {
  await suite?.close();
}, 60_000);

function fault(name: string) {
  const f = FAULTS.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no fault ${name}`);
  return f;
}

describe("zen-lead under faults, on a control plane of its own", () => {
  for (const name of ["apiserver-sigkill-short", "frozen-connections", "holder-sigkill"]) {
    it(`recovers from ${name} with no invariant broken`, { timeout: 240_000 }, async () => {
      const result = await runFault(suite, fault(name), context);
      const report = formatResult(result);
      expect(result.error, report).toBeUndefined();
      expect(result.recoveredInMs, report).toBeDefined();
      expect(result.violations, report).toEqual([]);
      // No write storm: a retried write or two at most (a write may die on a frozen connection).
      expect(result.writesMade, report).toBeLessThanOrEqual(2 * result.writesNeeded);
      // Blind to the cluster during an API server outage, every replica said so on /readyz.
      if (name === "apiserver-sigkill-short") {
        expect([...(result.unready ?? [])].sort(), report).toEqual(suite.replicas.map((r) => r.name).sort());
      }
    });
  }
});
