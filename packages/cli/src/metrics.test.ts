/** The controller's metrics as a scrape shows them, fed the way the controller feeds them. */
import { harness, nodeJson, podJson, serviceJson } from "@zen-lead/core/testing";
import type { WriteAction, WriteResult } from "@zen-lead/k8s-adapter";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";

function cluster() {
  const h = harness();
  h.upsert("Node", nodeJson("node-a"));
  for (const name of ["web-1", "web-2", "web-3"]) h.upsert("Pod", podJson(name, { created: 1 }));
  h.upsert("Service", serviceJson("web"));
  return h;
}

function written(action: WriteAction, status: WriteResult["status"], durationMs = 5): WriteResult {
  return { action, key: `${action.kind}:${action.namespace}/${action.name}`, status, durationMs };
}

describe("controller metrics", () => {
  it("counts a leader change, times its slice write, and reads candidates and leader age from the state", async () => {
    const h = cluster();
    let now = 10_000;
    const metrics = createMetrics({ state: () => h.state, now: () => now, defaultMetrics: false });
    const actions = h.sync();
    metrics.onActions(actions);
    for (const a of actions) if (a.type === "event") metrics.onEvent(a);
    now += 40;
    for (const a of actions) {
      if (a.type === "apply")
        metrics.onWriteResult(written(a, a.kind === "Service" ? "created" : "retrying"));
    }
    for (const a of actions)
      if (a.type === "apply" && a.kind === "EndpointSlice") metrics.onWriteResult(written(a, "created"));
    metrics.setLeading(true);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'zen_lead_leader_changes_total{namespace="default",service="web",reason="Elected"} 1',
    );
    expect(text).toContain("zen_lead_failover_latency_seconds_count 1");
    expect(text).toContain('zen_lead_failover_latency_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('zen_lead_failover_latency_seconds_bucket{le="0.025"} 0');
    expect(text).toContain('zen_lead_apply_errors_total{kind="EndpointSlice",status="retrying"} 1');
    expect(text).toContain('zen_lead_ready_candidates{namespace="default",service="web"} 3');
    expect(text).toMatch(/zen_lead_leader_age_seconds\{namespace="default",service="web"\} \d+/);
    expect(text).toContain("zen_lead_is_leader 1");
  });

  it("drops a Service's series when it opts out", async () => {
    const h = cluster();
    const metrics = createMetrics({ state: () => h.state, defaultMetrics: false });
    for (const a of h.settle(h.sync())) if (a.type === "event") metrics.onEvent(a);
    const first = h.sync();
    for (const a of first) if (a.type === "event") metrics.onEvent(a);
    expect(await metrics.registry.metrics()).toContain('service="web"');
    h.settle(h.upsert("Service", serviceJson("web", { annotations: {} })));
    expect(await metrics.registry.metrics()).not.toContain('service="web"');
  });

  it("counts watch restarts and relists by kind", async () => {
    const metrics = createMetrics({ state: () => undefined, defaultMetrics: false });
    metrics.onDiagnostic({ kind: "Pod", what: "rewatch", reason: "closed" });
    metrics.onDiagnostic({ kind: "Pod", what: "relist", reason: "410 Gone" });
    metrics.onDiagnostic({ kind: "Pod", what: "listed", reason: "", objects: 3 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('zen_lead_watch_restarts_total{kind="Pod"} 1');
    expect(text).toContain('zen_lead_relists_total{kind="Pod"} 1');
  });
});
