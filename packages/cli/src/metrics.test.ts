/** The controller's metrics as a scrape shows them, fed the way the controller feeds them. */

import {
  type Action,
  type ApplyAction,
  type ClusterEvent,
  type DesiredObject,
  decode,
  fromWatch,
} from "@zen-lead/core";
import { harness, nodeJson, podJson, serviceJson } from "@zen-lead/core/testing";
import { createApplier, type WriteAction, type WriteResult } from "@zen-lead/k8s-adapter";
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
  it("counts each published leader change, times each failover's slice write, and reads candidates and leader age from the state", async () => {
    const h = cluster();
    let now = 10_000;
    const metrics = createMetrics({ state: () => h.state, now: () => now, defaultMetrics: false });
    /** A batch through the metrics as the controller feeds them: its writes land after `ms`. */
    const feed = (actions: readonly Action[], ms: number) => {
      metrics.onActions(actions);
      for (const a of actions) if (a.type === "event") metrics.onEvent(a);
      now += ms;
      for (const a of actions)
        if (a.type === "apply" || a.type === "delete") metrics.onWriteResult(written(a, "created"));
      h.echo(actions);
    };
    // Adoption: a first election is a leader change, not a failover.
    feed(h.sync(), 10);
    let text = await metrics.registry.metrics();
    expect(text).toContain(
      'zen_lead_leader_changes_total{namespace="default",service="web",reason="Elected"} 1',
    );
    expect(text).toContain("zen_lead_failover_latency_seconds_count 0");
    // A failover: one sample, from the leader's deletion (as the watch showed it) to the slice
    // write's success; a retry is not one.
    metrics.onClusterEvent({ type: "delete", kind: "Pod", namespace: "default", name: "web-1" });
    const failover = h.remove("Pod", "default", "web-1");
    metrics.onActions(failover);
    for (const a of failover) if (a.type === "event") metrics.onEvent(a);
    now += 10;
    for (const a of failover) if (a.type === "apply") metrics.onWriteResult(written(a, "retrying"));
    now += 30;
    for (const a of failover) if (a.type === "apply") metrics.onWriteResult(written(a, "applied"));
    metrics.setLeading(true);
    text = await metrics.registry.metrics();
    expect(text).toContain(
      'zen_lead_leader_changes_total{namespace="default",service="web",reason="LeaderDeleted"} 1',
    );
    expect(text).toContain("zen_lead_failover_latency_seconds_count 1");
    expect(text).toContain('zen_lead_failover_latency_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('zen_lead_failover_latency_seconds_bucket{le="0.025"} 0');
    expect(text).toContain('zen_lead_apply_errors_total{kind="EndpointSlice",status="retrying"} 1');
    expect(text).toContain('zen_lead_ready_candidates{namespace="default",service="web"} 2');
    expect(text).toMatch(/zen_lead_leader_age_seconds\{namespace="default",service="web"\} \d+/);
    expect(text).toContain("zen_lead_is_leader 1");
  });

  it("shows each standing warning, counts corrected and uncorrected drift and undecodable objects", async () => {
    const h = harness();
    h.upsert("Service", serviceJson("nosel", { selector: null }));
    h.sync();
    const metrics = createMetrics({ state: () => h.state, defaultMetrics: false });
    const web = cluster();
    const synced = web.sync(); // the leader Service is created once its slice is seen: settle
    const writes = [...synced, ...web.settle(synced)].filter((a): a is WriteAction => a.type === "apply");
    for (const w of writes) metrics.onWriteResult(written(w, w.kind === "Service" ? "replaced" : "drifted"));
    metrics.onReport({ type: "report", reason: "DecodeFailed", object: "Pod default/x", message: "bad" });
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'zen_lead_source_warnings{namespace="default",service="nosel",reason="NoSelector"} 1',
    );
    expect(text).toContain('zen_lead_drift_corrected_total{kind="Service"} 1');
    expect(text).toContain('zen_lead_drift_not_corrected_total{kind="EndpointSlice"} 1');
    expect(text).toContain('zen_lead_decode_failures_total{kind="Pod"} 1');
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

  it("splits each failover's slice write into its latency budget's stages", async () => {
    const h = cluster();
    const metrics = createMetrics({ state: () => h.state, defaultMetrics: false });
    h.settle(h.sync());
    const failover = h.remove("Pod", "default", "web-1");
    metrics.onActions(failover);
    // received 0, decoded 0.2 ms, folded 0.5 ms, sent 0.6 ms, answered 8.6 ms
    const trace = {
      receivedAt: 100,
      decodedAt: 100.2,
      foldedAt: 100.5,
      queuedAt: 100.5,
      sentAt: 100.6,
      answeredAt: 108.6,
    };
    for (const a of failover)
      if (a.type === "apply") metrics.onWriteResult({ ...written(a, "applied"), trace });
    const text = await metrics.registry.metrics();
    const count = (stage: string, le: string) =>
      new RegExp(`zen_lead_failover_stage_seconds_bucket\\{le="${le}",stage="${stage}"\\} (\\d+)`).exec(
        text,
      )?.[1];
    expect(count("decode", "0.00025")).toBe("1");
    expect(count("decode", "0.0001")).toBe("0");
    expect(count("fold", "0.0005")).toBe("1");
    expect(count("fold", "0.00025")).toBe("0");
    expect(count("queue", "0.0001")).toBe("1");
    expect(count("request", "0.01")).toBe("1");
    expect(count("request", "0.005")).toBe("0");
    expect(count("reaction", "0.001")).toBe("1");
    expect(count("reaction", "0.0005")).toBe("0");
    // Only the slice write of a failover: the leader Service's write is not timed.
    expect(text).toContain('zen_lead_failover_stage_seconds_count{stage="request"} 1');
  });

  describe("times each failover from when its old leader stopped serving", () => {
    /** web-1 leads; `stop` is how it stops, seen at 10 s; zen-lead decides at 26 s; writes land 50 ms later. */
    async function failover(
      stop: (h: ReturnType<typeof cluster>, see: (e: ClusterEvent) => void) => Action[],
    ) {
      const h = cluster();
      let now = 10_000;
      const metrics = createMetrics({ state: () => h.state, now: () => now, defaultMetrics: false });
      h.settle(h.sync());
      const actions = stop(h, (event) => metrics.onClusterEvent(event));
      now = 26_000; // e.g. a standby that saw it taking over the Lease once it expired
      metrics.onActions(actions);
      now += 50;
      for (const a of actions) if (a.type === "apply") metrics.onWriteResult(written(a, "applied"));
      const text = await metrics.registry.metrics();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      return {
        sum: value("zen_lead_failover_latency_seconds_sum"),
        count: value("zen_lead_failover_latency_seconds_count"),
        unmeasured: value("zen_lead_failovers_unmeasured_total"),
      };
    }

    it("a leader deleted, as the watch showed it: from then", async () => {
      const r = await failover((h, see) => {
        const event: ClusterEvent = { type: "delete", kind: "Pod", namespace: "default", name: "web-1" };
        see(event);
        return h.send(event);
      });
      expect(r).toEqual({ sum: 16.05, count: 1, unmeasured: 0 });
    });

    it("a leader turning NotReady, as the watch showed it: from then", async () => {
      const r = await failover((h, see) => {
        const event = fromWatch("Pod", "MODIFIED", podJson("web-1", { created: 1, ready: false }));
        see(event);
        return h.send(event);
      });
      expect(r).toEqual({ sum: 16.05, count: 1, unmeasured: 0 });
    });

    it("a leader terminating, seen only in a list: from the end of its deletionTimestamp's second", async () => {
      const r = await failover((h, see) => {
        const pods = ["web-1", "web-2", "web-3"].map((n) =>
          decode("Pod", podJson(n, { created: 1, ...(n === "web-1" ? { deleting: 4 } : {}) })),
        );
        const event: ClusterEvent = { type: "resync", kind: "Pod", objects: pods };
        see(event);
        return h.send(event);
      });
      // Stopped at 4 s (4.999 s at the latest): 26.05 - 4.999.
      expect(r.count).toBe(1);
      expect(r.sum).toBeCloseTo(21.051, 6);
    });

    it("a leader gone while nobody watched: no sample, counted as unmeasured", async () => {
      const r = await failover((h, see) => {
        const pods = ["web-2", "web-3"].map((n) => decode("Pod", podJson(n, { created: 1 })));
        const event: ClusterEvent = { type: "resync", kind: "Pod", objects: pods };
        see(event);
        return h.send(event);
      });
      expect(r).toEqual({ sum: 0, count: 0, unmeasured: 1 });
    });

    it("a switchover zen-lead chose (preferred leader): from its decision", async () => {
      const r = await failover((h) =>
        h.upsert(
          "Service",
          serviceJson("web", {
            annotations: { "zen-lead.io/enabled": "true", "zen-lead.io/preferred-leader": "web-2" },
          }),
        ),
      );
      expect(r).toEqual({ sum: 0.05, count: 1, unmeasured: 0 });
    });
  });

  it("counts requests to the API server by method and status code", async () => {
    const metrics = createMetrics({ state: () => undefined, defaultMetrics: false });
    metrics.onRequest("PATCH", 201);
    metrics.onRequest("PATCH", 201);
    metrics.onRequest("GET", 0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('rest_client_requests_total{method="PATCH",code="201"} 2');
    expect(text).toContain('rest_client_requests_total{method="GET",code="0"} 1');
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

  it("shows the applier's writes not yet done (waiting and in flight), 0 once it is idle", async () => {
    const answers: (() => void)[] = [];
    const held = () => new Promise<unknown>((resolve) => answers.push(() => resolve(undefined)));
    const applier = createApplier(undefined, {
      transport: {
        create: async () => ({ object: await held() }),
        apply: held,
        replace: held,
        get: held,
        delete: async () => void (await held()),
      },
    });
    const metrics = createMetrics({
      state: () => undefined,
      defaultMetrics: false,
      writeQueue: () => applier.size,
    });
    const depth = async () =>
      /^zen_lead_write_queue_depth (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
    expect(await depth()).toBe("0");
    for (const name of ["a", "b", "c"]) {
      const action: ApplyAction = {
        type: "apply",
        kind: "EndpointSlice",
        namespace: "ns",
        name,
        create: false,
        expectedUid: `uid-${name}`,
        desired: {} as DesiredObject,
        manifest: { kind: "EndpointSlice", metadata: { name, namespace: "ns" } },
        source: "ns/svc",
      };
      applier.submit(action);
    }
    expect(await depth()).toBe("3");
    for (const answer of answers.splice(0)) answer();
    await applier.idle();
    expect(await depth()).toBe("0");
  });
});
