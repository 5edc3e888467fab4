/**
 * The shipped alert rules (the chart's PrometheusRule) and the dashboard's queries, evaluated by
 * promtool over the series of real `zen-lead run` replicas on the real control plane: a Lease
 * holder and a standby watching Services that route to a leader, route nowhere (a name collision,
 * a named port the leader lacks), have no Ready pod, or cannot have pods (no selector,
 * ExternalName), scraped before and after a switchover. Each alert is expected to fire exactly for
 * what it is about, and to stay silent otherwise.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type KubernetesObject, type V1ServiceSpec } from "@kubernetes/client-node";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { metricValue, writesIdle } from "@zen-lead/test-cluster/zen-lead-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHelm, CHART, helmTemplate } from "./testing/helm.ts";
import { inputSeries, promtool, type ScrapedReplica } from "./testing/promtool.ts";
import { startZenLead, type ZenLeadProcess } from "./testing/zen-lead-process.ts";

const core = clusterConfig().makeApiClient(CoreV1Api);
const labels = { app: "alerts" };
const JOB = "zl-zen-lead-metrics";
/** Samples a minute apart: past every rule's `for` and rate window. */
const STEPS = 40;
const EVAL = "35m";

let namespace = "";
let holder: ZenLeadProcess | undefined;
let standby: ZenLeadProcess | undefined;
let dir = "";

/** The sources, each a kind of leader Service an operator must hear about (or not). */
const SOURCES: Record<string, V1ServiceSpec> = {
  web: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
  squat: { selector: labels, ports: [{ name: "web", port: 80 }] }, // squat-leader is someone else's
  badport: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "nosuch" }] },
  empty: { selector: { app: "nobody" }, ports: [{ name: "web", port: 80 }] },
  nosel: { ports: [{ name: "web", port: 80 }] },
  ext: { type: "ExternalName", externalName: "db.example.com" },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "zen-lead-alerts-"));
  namespace = await testNamespace("alerts");
  await createDeployment(namespace, "alerts", 2, labels);
  await waitFor("2 ready pods", async () =>
    (await readyPods(namespace, "app=alerts")).length === 2 ? true : undefined,
  );
  await core.createNamespacedService({
    namespace,
    body: { metadata: { name: "squat-leader" }, spec: { ports: [{ port: 80 }] } },
  });
  for (const [name, spec] of Object.entries(SOURCES)) {
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name, annotations: { "zen-lead.io/enabled": "true" } }, spec },
    });
  }
  holder = await startZenLead(namespace, "alerts-holder");
  await waitFor("the holder", async () =>
    metricValue((await holder?.metrics()) ?? "", "zen_lead_is_leader") === 1 ? true : undefined,
  );
  standby = await startZenLead(namespace, "alerts-standby");
}, 120_000);

afterAll(async () => {
  await holder?.stop("SIGKILL");
  await standby?.stop("SIGKILL");
});

/** Both replicas' scrapes once every source's warning stands and the writes are done. */
async function settled(): Promise<[string, string]> {
  const want = ["NameCollision", "NamedPortUnresolved", "NoReadyPods", "NoSelector", "ExternalNameSource"];
  for (const z of [holder, standby]) {
    if (z === undefined) throw new Error("zen-lead did not start");
    await waitFor("every source's warning", async () => {
      const text = await z.metrics();
      return want.every((r) => metricValue(text, "zen_lead_source_warnings", `reason="${r}"`) === 1)
        ? true
        : undefined;
    });
    await writesIdle(z, 60_000);
  }
  return [(await holder?.metrics()) ?? "", (await standby?.metrics()) ?? ""];
}

/** An alert as promtool expects it: its labels (annotations are stripped from the rules under test). */
const alert = (labels: Record<string, string>) => ({ exp_labels: labels });

describe("the shipped alert rules, on a real zen-lead's series", () => {
  it("fire exactly for what they are about: promtool test rules", async () => {
    const [holderBefore, standbyBefore] = await settled();
    // A switchover: web's leader moves to its other pod, one failover, one leader change.
    const leader = await waitFor("web's leader", async () => {
      const svc = await core.readNamespacedService({ namespace, name: "web-leader" });
      return svc.metadata?.annotations?.["zen-lead.io/leader-pod"];
    });
    const other = (await readyPods(namespace, "app=alerts")).find((p) => p.metadata?.name !== leader);
    await core.patchNamespacedService({
      namespace,
      name: "web",
      body: [
        {
          op: "add",
          path: "/metadata/annotations/zen-lead.io~1preferred-leader",
          value: other?.metadata?.name,
        },
      ],
    });
    await waitFor("the failover sample", async () =>
      metricValue((await holder?.metrics()) ?? "", "zen_lead_failover_latency_seconds_count") === 1
        ? true
        : undefined,
    );
    const [holderAfter, standbyAfter] = await settled();
    const replicas: ScrapedReplica[] = [
      { before: holderBefore, after: holderAfter, target: `job="${JOB}",instance="holder:8080"` },
      { before: standbyBefore, after: standbyAfter, target: `job="${JOB}",instance="standby:8080"` },
    ];

    // The rules as shipped, with thresholds the one switchover crosses; annotations are text for
    // people (promtool checks their templates below), labels are what routes an alert.
    const list = await helmTemplate(await buildHelm(), "zl", "ops", {
      "prometheusRule.enabled": true,
      "prometheusRule.failoverLatencySeconds": 0.000001,
      "prometheusRule.leaderChangesPer15m": 1,
    });
    const rule = list.find((o) => o.kind === "PrometheusRule") as KubernetesObject & {
      spec: { groups: { name: string; rules: { alert: string; annotations?: unknown }[] }[] };
    };
    const groups = rule.spec.groups;
    writeFileSync(join(dir, "shipped.yaml"), JSON.stringify({ groups }));
    expect(await promtool("check", "rules", join(dir, "shipped.yaml"))).toMatch(/SUCCESS/);
    const bare = groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }) => r) }));
    writeFileSync(join(dir, "rules.yaml"), JSON.stringify({ groups: bare }));
    const names = groups.flatMap((g) => g.rules.map((r) => r.alert));

    const src = (service: string) => ({ namespace, service });
    const holderUp = `  - series: 'up{job="${JOB}",instance="holder:8080"}'\n    values: '1x${STEPS}'`;
    const standbyUp = `  - series: 'up{job="${JOB}",instance="standby:8080"}'\n    values: '1x${STEPS}'`;
    /** What the test Services' standing warnings fire, whoever holds the Lease. */
    const perService: Record<string, object[]> = {
      ZenLeadNoReadyCandidates: [alert({ severity: "warning", ...src("empty") })],
      ZenLeadLeaderRoutesNowhere: [
        alert({ severity: "critical", ...src("badport"), reason: "NamedPortUnresolved" }),
        alert({ severity: "critical", ...src("squat"), reason: "NameCollision" }),
      ],
      ZenLeadSourceWarning: [
        alert({ severity: "warning", ...src("ext"), reason: "ExternalNameSource" }),
        alert({ severity: "warning", ...src("nosel"), reason: "NoSelector" }),
      ],
    };
    /** Per scenario: its series and the alerts it must fire (any alert not named: none). */
    const scenarios: { name: string; series: string[]; fire: Record<string, object[]> }[] = [
      {
        name: "a holder and a standby, after a switchover",
        series: [holderUp, standbyUp, ...inputSeries(replicas, "zen_lead_", STEPS)],
        fire: {
          ...perService,
          ZenLeadSlowFailover: [alert({ severity: "warning" })],
          ZenLeadLeaderFlapping: [alert({ severity: "warning", ...src("web") })],
        },
      },
      {
        name: "the holder gone, the standby not taking over",
        series: [
          `  - series: 'up{job="${JOB}",instance="holder:8080"}'\n    values: '0x${STEPS}'`,
          standbyUp,
          ...inputSeries([replicas[1] as ScrapedReplica], "zen_lead_", STEPS),
        ],
        fire: {
          ZenLeadNoLeaseHolder: [alert({ severity: "critical" })],
          ...perService,
        },
      },
      {
        name: "two replicas saying they hold the Lease",
        series: [
          holderUp,
          ...inputSeries(
            [{ before: holderAfter, after: holderAfter, target: `job="${JOB}",instance="other:8080"` }],
            "zen_lead_is_leader",
            STEPS,
          ),
          ...inputSeries([replicas[0] as ScrapedReplica], "zen_lead_is_leader", STEPS),
        ],
        fire: { ZenLeadMultipleLeaseHolders: [alert({ severity: "warning" })] },
      },
      {
        name: "no replica scraped",
        series: [`  - series: 'up{job="${JOB}",instance="holder:8080"}'\n    values: '0x${STEPS}'`],
        fire: { ZenLeadDown: [alert({ severity: "critical" })] },
      },
    ];
    const tests = scenarios.map((s) => {
      const alerts = names.map((name) => ({
        alertname: name,
        eval_time: EVAL,
        exp_alerts: s.fire[name] ?? [],
      }));
      return `- name: ${JSON.stringify(s.name)}\n  interval: 1m\n  input_series:\n${s.series.join("\n")}\n  alert_rule_test: ${JSON.stringify(alerts)}`;
    });
    // Every alert the scenarios name is one the chart ships (a renamed alert fails here).
    const named = new Set(scenarios.flatMap((s) => Object.keys(s.fire)));
    expect([...named].filter((n) => !names.includes(n))).toEqual([]);
    writeFileSync(join(dir, "test.yaml"), `rule_files: [rules.yaml]\ntests:\n${tests.join("\n")}\n`);
    expect(await promtool("test", "rules", join(dir, "test.yaml"))).toMatch(/SUCCESS/);
  });

  it("the dashboard's queries parse, and its warning panels show the real series", async () => {
    const [holderText, standbyText] = await settled();
    const dashboard = JSON.parse(
      readFileSync(join(CHART, "..", "..", "grafana", "zen-lead.json"), "utf8"),
    ) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const promql = (expr: string) =>
      expr.replaceAll('job=~"$job"', `job=~"${JOB}"`).replaceAll("$__rate_interval", "5m");
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title, expr: promql(t.expr) })),
    );
    const recording = exprs.map((e, i) => ({ record: `dashboard:panel_${i}`, expr: e.expr }));
    writeFileSync(
      join(dir, "dashboard.yaml"),
      JSON.stringify({ groups: [{ name: "dashboard", rules: recording }] }),
    );
    expect(await promtool("check", "rules", join(dir, "dashboard.yaml"))).toMatch(/SUCCESS/);

    const panel = (title: string) => {
      const found = exprs.find((e) => e.title === title);
      if (found === undefined) throw new Error(`the dashboard has no panel "${title}"`);
      return found.expr;
    };
    const replicas: ScrapedReplica[] = [
      { before: holderText, after: holderText, target: `job="${JOB}",instance="holder:8080"` },
      { before: standbyText, after: standbyText, target: `job="${JOB}",instance="standby:8080"` },
    ];
    const warning = (service: string, reason: string) => ({
      labels: `{namespace="${namespace}",service="${service}",reason="${reason}"}`,
      value: 1,
    });
    const checks = [
      {
        expr: panel("Leader Services routing nowhere"),
        eval_time: EVAL,
        exp_samples: [{ labels: "{}", value: 2 }],
      },
      {
        expr: panel("Services without a Ready candidate"),
        eval_time: EVAL,
        exp_samples: [{ labels: "{}", value: 1 }],
      },
      {
        expr: panel("Standing warnings"),
        eval_time: EVAL,
        exp_samples: [
          warning("badport", "NamedPortUnresolved"),
          warning("empty", "NoReadyPods"),
          warning("ext", "ExternalNameSource"),
          warning("nosel", "NoSelector"),
          warning("squat", "NameCollision"),
        ],
      },
    ];
    const test = `tests:\n- interval: 1m\n  input_series:\n${inputSeries(replicas, "zen_lead_", STEPS).join("\n")}\n  promql_expr_test: ${JSON.stringify(checks)}\n`;
    writeFileSync(join(dir, "dashboard-test.yaml"), test);
    expect(await promtool("test", "rules", join(dir, "dashboard-test.yaml"))).toMatch(/SUCCESS/);
  });
});
