import { describe, expect, it } from "vitest";
import { runSimulation } from "./engine.ts";
import { type LogRecord, parseEventLog, syntheticLog } from "./event-log/index.ts";
import { replayEventLog, replayRecords, simulationFromLog } from "./replay.ts";
import { renderHtml } from "./report/html.ts";
import { renderJson } from "./report-json.ts";
import { renderText } from "./report-text.ts";
import { compareRuns } from "./what-if/comparison.ts";
import { renderComparisonText } from "./what-if/comparison-text.ts";
import { LogRewriter, parseOverrides } from "./what-if/overrides.ts";

const HEADER =
  '{"format":"zen-lead/event-log","version":1,"recordedAt":"2025-01-01T00:00:00Z","source":{"cluster":"kind-zen","namespaces":["default"],"recorder":"zen-lead 0.1.0"}}';

const svc = (extra = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "web",
    namespace: "default",
    uid: "svc-1",
    annotations: { "zen-lead.io/enabled": "true" },
  },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  ...extra,
});
const pod = (name: string, ready: boolean, rv: string, created = "2024-12-31T23:00:00Z") => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "default",
    uid: `uid-${name}`,
    resourceVersion: rv,
    creationTimestamp: created,
    labels: { app: "web" },
  },
  spec: { nodeName: "node-1" },
  status: {
    phase: "Running",
    podIP: name === "a" ? "10.0.0.1" : "10.0.0.2",
    conditions: [
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: "2024-12-31T23:00:05Z" },
    ],
  },
});
const ownSlice = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "web-leader-ipv4",
    namespace: "default",
    labels: {
      "endpointslice.kubernetes.io/managed-by": "controller.zen-lead.io",
      "zen-lead.io/source-service": "web",
    },
  },
  addressType: "IPv4",
  endpoints: [],
};

/** The initial lists of the Service `web` and its two Ready pods, a (older) and b. */
const INITIAL_LISTS = [
  { t: 0, kind: "Service", type: "RELIST_START" },
  { t: 0, kind: "Service", type: "ADDED", object: svc() },
  { t: 0, kind: "Service", type: "RELIST_END" },
  { t: 1, kind: "Pod", type: "RELIST_START" },
  { t: 1, kind: "Pod", type: "ADDED", object: pod("a", true, "10") },
  { t: 1, kind: "Pod", type: "ADDED", object: pod("b", true, "11", "2024-12-31T23:30:00Z") },
  { t: 1, kind: "Pod", type: "RELIST_END" },
];

function log(records: object[]): string[] {
  return [HEADER, ...records.map((r) => JSON.stringify(r))];
}

describe("simulationFromLog", () => {
  const lines = log([
    ...INITIAL_LISTS,
    { t: 2, kind: "EndpointSlice", type: "RELIST_START" },
    { t: 2, kind: "EndpointSlice", type: "ADDED", object: ownSlice },
    { t: 2, kind: "EndpointSlice", type: "RELIST_END" },
    { t: 5_000, kind: "Pod", type: "MODIFIED", object: pod("a", false, "12") },
    { t: 6_000, kind: "EndpointSlice", type: "MODIFIED", object: ownSlice },
    { t: 7_000, kind: "Pod", type: "BOOKMARK" },
    { t: 9_000, kind: "Pod", type: "RELIST_START" },
    { t: 9_000, kind: "Pod", type: "ADDED", object: pod("a", false, "12") },
    { t: 9_000, kind: "Pod", type: "RELIST_END" },
  ]);

  it("maps the leading lists to the initial cluster, events to puts/removes, a relist to its meaning", () => {
    const { header, records } = parseEventLog(lines);
    const sim = simulationFromLog(header, records);
    expect(sim.epochMs).toBe(Date.UTC(2025, 0, 1));
    expect(sim.source).toBe("replay");
    expect(sim.initial.map((i) => `${i.kind}/${i.object.metadata.name}`)).toEqual([
      "Service/web",
      "Pod/a",
      "Pod/b",
    ]);
    expect(sim.timeline.map((c) => [c.at, c.change.type, "kind" in c.change ? c.change.kind : ""])).toEqual([
      [5_000, "put", "Pod"],
      [9_000, "remove", "Pod"], // b is missing from the relist: it is gone
      [9_000, "put", "Pod"],
    ]);
    expect(sim.timeline[1]?.change).toEqual({ type: "remove", kind: "Pod", namespace: "default", name: "b" });
    expect(sim.endAt).toBe(39_000);
  });

  it("replays to the failovers the recorded cluster called for", () => {
    const { header, records } = parseEventLog(lines);
    const report = runSimulation(simulationFromLog(header, records));
    const web = report.services.find((s) => s.service === "default/web");
    expect(web?.leaderChanges.map((f) => [f.at, f.from, f.to, f.cause, f.latencyMs])).toEqual([
      [0, undefined, "a", "Elected", 5],
      [5_005, "a", "b", "LeaderNotReady", 10],
      [9_005, "b", undefined, "LeaderDeleted", 10],
    ]);
    expect(web?.warnings.map((w) => w.reason)).toEqual(["NoReadyPods"]);
    // Without a leader from the decision that lost b to the end of the run (39 s).
    expect(web?.totals).toEqual({ leaderChanges: 3, failovers: 2, leaderlessMs: 39_000 - 9_005, writes: 6 });
    expect(report.violations).toEqual([]);
  });

  it.each([
    ["an enabled value zen-lead refuses", "yes"],
    ["opted out", "false"],
  ])("counts no time without a leader for a Service %s", (_, enabled) => {
    const refused = svc({
      metadata: {
        name: "web",
        namespace: "default",
        uid: "svc-1",
        annotations: { "zen-lead.io/enabled": enabled },
      },
    });
    const { header, records } = parseEventLog(
      log([
        { t: 0, kind: "Service", type: "RELIST_START" },
        { t: 0, kind: "Service", type: "ADDED", object: refused },
        { t: 0, kind: "Service", type: "RELIST_END" },
        { t: 1, kind: "Pod", type: "RELIST_START" },
        { t: 1, kind: "Pod", type: "ADDED", object: pod("a", true, "10") },
        { t: 1, kind: "Pod", type: "RELIST_END" },
        { t: 30_000, kind: "Pod", type: "BOOKMARK" },
      ]),
    );
    const report = runSimulation(simulationFromLog(header, records));
    const web = report.services.find((s) => s.service === "default/web");
    expect(web?.totals.leaderlessMs ?? 0).toBe(0);
  });
});

describe("replaying a synthetic log", () => {
  const lines = [...syntheticLog({ services: 4, podsPerService: 3, events: 600, seed: 5 })];

  it("reports failovers and no violations", () => {
    const { header, records } = parseEventLog(lines);
    const report = runSimulation(simulationFromLog(header, records));
    expect(report.services).toHaveLength(4);
    expect(report.stats.failovers).toBeGreaterThan(20);
    // Every Service's first election is a leader change, not a failover.
    expect(report.stats.leaderChanges).toBeGreaterThanOrEqual(report.stats.failovers + 4);
    expect(report.services.every((s) => s.leaderChanges.some((f) => f.from !== undefined))).toBe(true);
    // One watch and one write (10 ms), more when the slice's previous write is still in flight or
    // when the controller's rate limit holds it: this log changes leaders faster than 50 writes/s.
    expect(report.stats.publishLatencyMs?.min).toBeGreaterThanOrEqual(5);
    expect(report.stats.publishLatencyMs?.max).toBeLessThan(200);
    // The shell's token bucket (burst 100, then 50/s): never more writes in a second than that.
    const at = report.writes.map((w) => w.at);
    for (const start of at) {
      expect(at.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(150);
    }
    expect(report.violations).toEqual([]);
  });

  it("streams to the very same report as the whole-timeline run, however the batches fall", async () => {
    const whole = parseEventLog(lines);
    const expected = renderJson(runSimulation(simulationFromLog(whole.header, whole.records)));
    const streamed = parseEventLog(lines);
    expect(renderJson(replayRecords(streamed.header, streamed.records))).toBe(expected);
    const records: LogRecord[] = [...parseEventLog(lines).records];
    for (const size of [1, 7, 61]) {
      async function* batches() {
        for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
      }
      expect(renderJson(await replayEventLog(streamed.header, batches()))).toBe(expected);
    }
  });
});

describe("replaying a log with a malformed pod", () => {
  // Something (a webhook, an API server bug) mangles pod b's JSON twice the same way, then another
  // way, then it is readable again. `b` is younger than `a`, so `a` leads throughout.
  const mangled = (rv: string, change: (p: ReturnType<typeof pod>) => object) =>
    change(pod("b", true, rv, "2024-12-31T23:30:00Z"));
  const badConditions = (p: ReturnType<typeof pod>) => ({
    ...p,
    status: { ...p.status, conditions: `<b>&"'` },
  });
  const badCreated = (p: ReturnType<typeof pod>) => ({
    ...p,
    metadata: { ...p.metadata, creationTimestamp: "yesterday" },
  });
  const lines = log([
    ...INITIAL_LISTS,
    { t: 5_000, kind: "Pod", type: "MODIFIED", object: mangled("12", badConditions) },
    { t: 6_000, kind: "Pod", type: "MODIFIED", object: mangled("13", badConditions) },
    { t: 7_000, kind: "Pod", type: "MODIFIED", object: mangled("14", badCreated) },
    { t: 8_000, kind: "Pod", type: "MODIFIED", object: pod("b", true, "15", "2024-12-31T23:30:00Z") },
  ]);
  const replay = (options: Parameters<typeof replayRecords>[2] = {}) => {
    const { header, records } = parseEventLog(lines);
    return replayRecords(header, records, options);
  };

  it("reports each object and message once, with how often and until when, in time order", () => {
    const report = replay();
    expect(report.decodeFailures).toEqual([
      {
        at: 5_005,
        object: "Pod default/b",
        reason: "DecodeFailed",
        message: expect.stringMatching(/^status\.conditions: .*got "<b>&\\"'"$/),
        count: 2,
        lastAt: 6_005,
      },
      {
        at: 7_005,
        object: "Pod default/b",
        reason: "DecodeFailed",
        message: "metadata.creationTimestamp: expected an RFC 3339 time",
        count: 1,
        lastAt: 7_005,
      },
    ]);
    expect(report.stats.decodeFailures).toBe(3);
    // The pod was never the leader: nothing else changes, nothing breaks.
    expect(report.services[0]?.leaderChanges.map((f) => f.to)).toEqual(["a"]);
    expect(report.violations).toEqual([]);
  });

  it("shows them in the text, JSON and HTML reports, the same bytes every time", () => {
    const report = replay();
    const text = renderText(report);
    expect(text).toMatch(
      /^ {2}\d+ events, \d+ writes \(0 failed\), 1 leader change \(0 failovers\), 3 decode failures$/m,
    );
    const section = text.slice(text.indexOf("Decode failures ("), text.indexOf("\nViolations"));
    expect(section.split("\n")).toEqual([
      "Decode failures (3 reports)",
      expect.stringMatching(
        /^ {4}\+5\.005s {6}Pod default\/b {2}DecodeFailed: status\.conditions: .* {2}\(2 times, last \+6\.005s\)$/,
      ),
      "    +7.005s      Pod default/b  DecodeFailed: metadata.creationTimestamp: expected an RFC 3339 time",
      "",
    ]);

    const json = JSON.parse(renderJson(report));
    expect(json.stats.decodeFailures).toBe(3);
    expect(json.decodeFailures.map((d: object) => Object.keys(d))).toEqual([
      ["at", "object", "reason", "message", "count", "lastAt"],
      ["at", "object", "reason", "message", "count", "lastAt"],
    ]);
    expect(json.decodeFailures[1]).toEqual(report.decodeFailures[1]);

    const html = renderHtml(report);
    expect(html).toContain(`<h2>Decode failures: 3 reports</h2>`);
    expect(html).toContain(
      "<td>+7.005s</td><td>+7.005s</td><td>1</td><td>Pod default/b</td><td>DecodeFailed</td><td>metadata.creationTimestamp: expected an RFC 3339 time</td>",
    );
    // The log's content is escaped, and a cross marks the pod's lane where it could not be read.
    expect(html).not.toContain(`<b>&"'`);
    expect(html).toContain(`got &quot;&lt;b&gt;&amp;\\&quot;&#39;&quot;</td>`);
    expect(html.match(/<g class="decode-failure" data-at="\d+" data-object="Pod default\/b">/g)).toHaveLength(
      2,
    );
    expect(html).toContain(
      `<li class="warn"><span class="v">3</span><span class="k">decode failures</span></li>`,
    );

    const again = replay();
    expect(renderText(again)).toBe(text);
    expect(renderJson(again)).toBe(renderJson(report));
    expect(renderHtml(again)).toBe(html);
    const { header, records } = parseEventLog(lines);
    expect(renderJson(runSimulation(simulationFromLog(header, records)))).toBe(renderJson(report));
  });

  it("keeps the list within its limit and counts the reports it leaves out", () => {
    const report = replay({ limits: { decodeFailures: 1 } });
    expect(report.decodeFailures.map((d) => [d.at, d.count])).toEqual([[5_005, 2]]);
    expect(report.omitted?.decodeFailures).toBe(1);
    expect(report.stats.decodeFailures).toBe(3);
    const text = renderText(report);
    expect(text).toContain("    … 1 more decode-failure reports not listed (report limits)\n");
    expect(text).toContain("Not listed (report limits; the stats count them): 1 decodeFailures\n");
  });

  it("counts them per run in a what-if comparison", () => {
    const overrides = parseOverrides(["web:sticky=true"]);
    const rewriter = new LogRewriter(overrides);
    const { header, records } = parseEventLog(lines);
    const whatIf = replayRecords(
      header,
      [...records].map((r) => rewriter.record(r)),
    );
    const c = compareRuns(replay(), whatIf, overrides);
    expect(c.totals.asRecorded.decodeFailures).toBe(3);
    expect(c.totals.whatIf.decodeFailures).toBe(3);
    expect(renderComparisonText(c)).toContain(
      "\n  decode failures                        3             3             0\n",
    );
  });
});
