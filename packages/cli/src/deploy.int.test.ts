/**
 * The Helm chart (deploy/helm/zen-lead) on the real control plane: helm lints and renders it, every
 * rendered object passes a server-side dry-run, and the chart's own ServiceAccount and RBAC are
 * enough for `zen-lead run` to do its job, and no more (it cannot write a pod).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiException,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1PodTemplateSpec,
} from "@kubernetes/client-node";
import { kubeLeaseApi, statusOf } from "@zen-lead/k8s-adapter";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { metricValue, spawnZenLead } from "@zen-lead/test-cluster/zen-lead-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHelm, CHART, helmTemplate, helmRun as runHelm } from "./testing/helm.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);

let helm = "";

/** `helm ...args` with the built helm. */
const helmRun = (...args: string[]) => runHelm(helm, ...args);

/** `helm template` of the chart as objects. `set` entries go to --set-json (values as JSON). */
const render = (release: string, namespace: string, set: Record<string, unknown> = {}) =>
  helmTemplate(helm, release, namespace, set);

const kinds = (list: readonly KubernetesObject[]) => list.map((o) => o.kind).sort();
const named = (list: readonly KubernetesObject[], kind: string) => list.filter((o) => o.kind === kind);

/** A refusal with this HTTP status, from the typed client (ApiException) or zen-lead's raw requests (ApiError). */
function isStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException ? error.code === code : statusOf(error) === code;
}

/** Creates the objects for real (RBAC and ServiceAccount), remembering cluster-scoped ones to delete. */
const clusterScoped: KubernetesObject[] = [];
async function createAll(list: readonly KubernetesObject[]): Promise<void> {
  for (const o of list) {
    await objects.create(o);
    if (o.metadata?.namespace === undefined) clusterScoped.push(o);
  }
}

afterAll(async () => {
  for (const o of clusterScoped) await objects.delete(o).catch(() => undefined);
});

beforeAll(async () => {
  helm = await buildHelm();
}, 1_800_000);

describe("the Helm chart", () => {
  it("passes helm lint, with default values and with every option on", async () => {
    await helmRun("lint", CHART, "--strict");
    await helmRun(
      "lint",
      CHART,
      "--strict",
      "--set-json",
      'watchNamespaces=["a","b"]',
      "--set",
      "serviceMonitor.enabled=true,prometheusRule.enabled=true",
    );
  });

  it("renders the defaults: cluster-wide RBAC, 2 replicas, a restricted pod", async () => {
    const list = await render("zen-lead", "zen-lead");
    expect(kinds(list)).toEqual(
      [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
      ].sort(),
    );
    const deployment = named(list, "Deployment")[0] as KubernetesObject & {
      spec: { replicas: number; template: V1PodTemplateSpec };
    };
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const container = pod?.containers[0];
    expect(container?.args).toContain("--lease-namespace=zen-lead");
    expect(container?.args?.some((a) => a.startsWith("--namespace"))).toBe(false);
    expect(container?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container?.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "health" });
    expect(container?.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "health" });
    expect(container?.ports?.map((p) => p.containerPort).sort()).toEqual([8080, 8081]);
    // Pods: read only.
    const clusterRole = named(list, "ClusterRole")[0] as KubernetesObject & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const podRules = clusterRole.rules.filter((r) => r.resources.includes("pods"));
    expect(podRules.flatMap((r) => r.verbs).sort()).toEqual(["get", "list", "watch"]);
  });

  it("renders namespaced Roles and one --namespace per watched namespace; monitoring objects on demand", async () => {
    const list = await render("zl", "ops", {
      watchNamespaces: ["shop", "blog"],
      "serviceMonitor.enabled": true,
      "prometheusRule.enabled": true,
    });
    const roles = named(list, "Role").map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);
    expect(roles.sort()).toEqual(["blog/zl-zen-lead", "ops/zl-zen-lead-lease", "shop/zl-zen-lead"]);
    expect(named(list, "RoleBinding")).toHaveLength(3);
    // Nodes are cluster-scoped: the only ClusterRole, read-only.
    const clusterRoles = named(list, "ClusterRole") as (KubernetesObject & {
      rules: { resources: string[]; verbs: string[] }[];
    })[];
    expect(clusterRoles.map((r) => r.metadata?.name)).toEqual(["zl-zen-lead-nodes"]);
    expect(clusterRoles[0]?.rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
    ]);
    const deployment = named(list, "Deployment")[0] as KubernetesObject & {
      spec: { template: V1PodTemplateSpec };
    };
    const args = deployment.spec.template.spec?.containers[0]?.args ?? [];
    expect(args.filter((a) => a.startsWith("--namespace="))).toEqual([
      "--namespace=shop",
      "--namespace=blog",
    ]);
    expect(named(list, "ServiceMonitor")).toHaveLength(1);
    const rule = named(list, "PrometheusRule")[0] as KubernetesObject & {
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    };
    const alerts = rule.spec.groups.flatMap((g) => g.rules);
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    expect(alerts.every((a) => a.expr.includes('job="zl-zen-lead-metrics"'))).toBe(true);
    // A refusal stands in a gauge while it lasts: the alert must not depend on how often it is retried.
    expect(alerts.find((a) => a.alert === "ZenLeadWritesRejected")?.expr).toBe(
      'max by (namespace, service) (zen_lead_source_warnings{job="zl-zen-lead-metrics",reason="WriteRejected"}) > 0',
    );
    // Monitoring is off by default.
    const defaults = await render("zl", "ops");
    expect(named(defaults, "ServiceMonitor")).toHaveLength(0);
    expect(named(defaults, "PrometheusRule")).toHaveLength(0);
  });
});

describe("the rendered objects on the real API server (server-side dry-run)", () => {
  let releaseNs = "";
  let watched: string[] = [];

  beforeAll(async () => {
    releaseNs = await testNamespace("chart");
    watched = [await testNamespace("chart-a"), await testNamespace("chart-b")];
  });

  it.each([
    ["default values", {}],
    ["watchNamespaces set", { watchNamespaces: "WATCHED" }],
  ])("all pass with %s", async (_label, set) => {
    const values = Object.fromEntries(
      Object.entries(set).map(([k, v]) => [k, v === "WATCHED" ? watched : v]),
    );
    const list = await render(`dry-${releaseNs}`, releaseNs, values);
    expect(list.length).toBeGreaterThan(5);
    for (const o of list) {
      const result = await objects.create(o, undefined, "All").catch((error: unknown) => {
        throw new Error(
          `dry-run of ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}: ${
            error instanceof ApiException ? error.body : String(error)
          }`,
        );
      });
      expect(result.kind).toBe(o.kind);
    }
    // Nothing was created.
    const sa = list.find((o) => o.kind === "ServiceAccount");
    await expect(
      core.readNamespacedServiceAccount({ namespace: releaseNs, name: sa?.metadata?.name ?? "" }),
    ).rejects.toSatisfy((e) => isStatus(e, 404));
  });

  it("runs its pod template under the restricted Pod Security Standard", async () => {
    await core.patchNamespace({
      name: releaseNs,
      body: [
        { op: "add", path: "/metadata/labels/pod-security.kubernetes.io~1enforce", value: "restricted" },
      ],
    });
    // The check is real: a pod without the restricted settings is refused.
    await expect(
      core.createNamespacedPod({
        namespace: releaseNs,
        dryRun: "All",
        body: { metadata: { name: "loose" }, spec: { containers: [{ name: "c", image: "loose:1" }] } },
      }),
    ).rejects.toSatisfy((e) => isStatus(e, 403));
    const list = await render(`pss-${releaseNs}`, releaseNs);
    const deployment = named(list, "Deployment")[0] as KubernetesObject & {
      spec: { template: V1PodTemplateSpec };
    };
    // The ServiceAccount admission needs the pod's ServiceAccount to exist.
    await createAll(named(list, "ServiceAccount"));
    const pod = await core.createNamespacedPod({
      namespace: releaseNs,
      dryRun: "All",
      body: { ...deployment.spec.template, metadata: { name: "pss", namespace: releaseNs } },
    });
    expect(pod.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
  });
});

/** A KubeConfig that authenticates as the ServiceAccount with a TokenRequest token. */
async function serviceAccountConfig(namespace: string, name: string): Promise<KubeConfig> {
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token ?? "";
  expect(token).not.toBe("");
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("the test kubeconfig has no current cluster");
  const sa = new KubeConfig();
  sa.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "zen-lead", token }],
    contexts: [{ name: "zen-lead", cluster: cluster.name, user: "zen-lead" }],
    currentContext: "zen-lead",
  });
  return sa;
}

describe.each([
  ["cluster-wide RBAC (default values)", false],
  ["namespaced RBAC (watchNamespaces)", true],
])("the chart's ServiceAccount with %s", (_label, namespaced) => {
  let namespace = "";
  let saKc: KubeConfig;
  let running: ChildProcess | undefined;
  const labels = { app: "rbac" };

  beforeAll(async () => {
    namespace = await testNamespace(namespaced ? "rbac-ns" : "rbac-cw");
    // The release in the test namespace; a unique release name keeps cluster-scoped names apart.
    const list = await render(
      `zl-${namespace}`,
      namespace,
      namespaced ? { watchNamespaces: [namespace] } : {},
    );
    const rbacKinds = new Set(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    await createAll(list.filter((o) => rbacKinds.has(o.kind ?? "")));
    const sa = list.find((o) => o.kind === "ServiceAccount")?.metadata?.name ?? "";
    saKc = await serviceAccountConfig(namespace, sa);
    // RBAC takes effect through the authorizer's informers: wait until pods can be listed.
    const saCore = saKc.makeApiClient(CoreV1Api);
    await waitFor("the RoleBinding to take effect", async () =>
      (await saCore.listNamespacedPod({ namespace }).then(
        () => true,
        () => undefined,
      )) === true
        ? true
        : undefined,
    );
    await createDeployment(namespace, "rbac", 3, labels);
    await waitFor("3 ready pods", async () =>
      (await readyPods(namespace, "app=rbac")).length === 3 ? true : undefined,
    );
  });

  afterAll(async () => {
    if (running !== undefined && running.exitCode === null) {
      const exited = new Promise((resolve) => running?.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    }
  });

  it("is enough: `zen-lead run` with the ServiceAccount's token gives an annotated Service its leader slice", async () => {
    // The controller as the chart runs it: the CLI, authenticated only by the ServiceAccount's token.
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "zen-lead-sa-")), "kubeconfig");
    writeFileSync(kubeconfig, saKc.exportConfig());
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, "main.ts"),
        "run",
        "--kubeconfig",
        kubeconfig,
        "--namespace",
        namespace,
        "--lease-namespace",
        namespace,
        "--identity",
        `rbac-${namespace}`,
        "--metrics-addr",
        "127.0.0.1:0",
        "--health-addr",
        "127.0.0.1:0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    running = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "rbac", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
      },
    });
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const pods = (await readyPods(namespace, "app=rbac")).map((p) => p.metadata?.name);
    const leader = await waitFor("the leader slice", async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace,
        labelSelector: "kubernetes.io/service-name=rbac-leader",
      });
      return slices.items[0]?.endpoints?.[0]?.targetRef?.name;
    });
    expect(pods).toContain(leader);
    await core.readNamespacedService({ namespace, name: "rbac-leader" });
    // The Event about the leader change was written with the same identity.
    await waitFor("an Event on the Service", async () => {
      const list = await core.listNamespacedEvent({
        namespace,
        fieldSelector: "involvedObject.name=rbac",
      });
      return list.items.length > 0 ? true : undefined;
    });
    // Nothing it needed was refused: no 403 in its logs (writes, watches, Lease, Events).
    expect(output).not.toMatch(/forbidden|"status":403|\b403\b/i);
  });

  it("with a --lease-name the RBAC does not allow, says so once at warn with what to fix, counts each refusal and asks again ever more slowly", async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "zen-lead-sa-")), "kubeconfig");
    writeFileSync(kubeconfig, saKc.exportConfig());
    const z = await spawnZenLead({
      kubeconfig,
      args: [
        ...["--namespace", namespace, "--lease-namespace", namespace, "--lease-name", "not-allowed"],
        ...["--identity", `denied-${namespace}`, "--log-level", "debug"],
      ],
    });
    try {
      // Refused at 0, 2, 6, 14 s (then every 30 s); every 2 s without the backoff.
      await waitFor("four refused Lease requests", async () =>
        metricValue(await z.metrics(), "zen_lead_lease_errors_total", 'code="403"') >= 4 ? true : undefined,
      );
      const lines = z.logLines();
      const said = lines.filter((l) => String(l.msg).startsWith("the API server refuses the Lease"));
      expect(said.map((l) => [l.level, l.msg])).toEqual([
        [
          40,
          `the API server refuses the Lease ${namespace}/not-allowed (HTTP 403): this replica cannot lead, and no leader Service is kept while no replica leads; give zen-lead's ServiceAccount get, create and update on leases (coordination.k8s.io) in ${namespace}, or set --lease-namespace/--lease-name to a Lease it may use; asking again every 30 s`,
        ],
      ]);
      expect(lines.filter((l) => l.msg === "lease request failed")).toEqual([]);
      // The repeats, at debug: each waits at least twice as long as the one before (times in ms).
      const times = lines
        .filter((l) => l === said[0] || l.msg === "lease request refused again")
        .map((l) => Date.parse(String(l.time)));
      const gaps = times.slice(1, 4).map((t, i) => t - (times[i] ?? 0));
      expect(gaps.length).toBe(3);
      expect(
        gaps.every((gap, i) => gap >= 2_000 * 2 ** i - 50),
        `gaps ${gaps.join(", ")} ms`,
      ).toBe(true);
      expect(metricValue(await z.metrics(), "zen_lead_is_leader")).toBe(0);
    } finally {
      await z.stop();
    }
  });

  it("is least privilege: the identity cannot patch or delete a pod", async () => {
    const saCore = saKc.makeApiClient(CoreV1Api);
    const [pod] = await readyPods(namespace, "app=rbac");
    const name = pod?.metadata?.name ?? "";
    // It can read pods...
    await saCore.readNamespacedPod({ namespace, name });
    // ...but not write them.
    await expect(
      saCore.patchNamespacedPod({ namespace, name, body: { metadata: { labels: { touched: "yes" } } } }),
    ).rejects.toSatisfy((e) => isStatus(e, 403));
    await expect(saCore.deleteNamespacedPod({ namespace, name })).rejects.toSatisfy((e) => isStatus(e, 403));
    await expect(
      saCore.createNamespacedPod({
        namespace,
        body: { metadata: { name: "nope" }, spec: { containers: [{ name: "c", image: "nope:1" }] } },
      }),
    ).rejects.toSatisfy((e) => isStatus(e, 403));
    // Nor read Secrets, nor touch another Lease.
    await expect(saCore.listNamespacedSecret({ namespace })).rejects.toSatisfy((e) => isStatus(e, 403));
    const leases = kubeLeaseApi(saKc);
    await expect(leases.get(namespace, "someone-else")).rejects.toSatisfy((e) => isStatus(e, 403));
    // The pod is untouched.
    const after = await core.readNamespacedPod({ namespace, name });
    expect(after.metadata?.labels?.touched).toBeUndefined();
    expect(after.metadata?.deletionTimestamp).toBeUndefined();
  });

  it("reads Services cluster-wide only with the cluster-wide RBAC", async () => {
    const saCore = saKc.makeApiClient(CoreV1Api);
    if (namespaced) {
      await expect(saCore.listServiceForAllNamespaces()).rejects.toSatisfy((e) => isStatus(e, 403));
      await expect(saCore.listNamespacedService({ namespace: "default" })).rejects.toSatisfy((e) =>
        isStatus(e, 403),
      );
    } else {
      expect((await saCore.listServiceForAllNamespaces()).items.length).toBeGreaterThan(0);
    }
  });
});
