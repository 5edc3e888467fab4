/**
 * `zen-lead run` says what it cannot do and what it did, on the real control plane: a write an
 * admission policy refuses (one warn line, one Warning Event, a standing warning in /metrics and
 * status, its end at info), every deletion zen-lead makes (an info line with why, at run time and
 * at start-up), a leader Service made again (its new ClusterIP), and no false warning at shutdown
 * or while a namespace is deleted.
 */
import { spawnSync } from "node:child_process";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from "@kubernetes/client-node";
import {
  clusterConfig,
  clusterState,
  createDeployment,
  readyPods,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { metricValue } from "@zen-lead/test-cluster/zen-lead-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, startZenLead, type ZenLeadProcess } from "./testing/zen-lead-process.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const events = kc.makeApiClient(EventsV1Api);
const labels = { app: "say" };
let namespace = "";
let policy = "";
let zl: ZenLeadProcess | undefined;

const lines = () => zl?.logLines() ?? [];

function status(service: string): string {
  const r = spawnSync(
    process.execPath,
    [MAIN, "status", "-n", namespace, service, "--kubeconfig", clusterState().kubeconfig],
    { encoding: "utf8" },
  );
  return r.status === 0 ? r.stdout : `exit ${r.status}: ${r.stderr}`;
}

async function source(name: string, extra: Record<string, string> = {}): Promise<void> {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name, labels: { team: "a" }, annotations: { "zen-lead.io/enabled": "true", ...extra } },
      spec: { selector: labels, ports: [{ name: "web", port: 80, targetPort: "http" }] },
    },
  });
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

const optIn = (name: string, value: string) =>
  core.patchNamespacedService(
    { namespace, name, body: { metadata: { annotations: { "zen-lead.io/enabled": value } } } },
    mergePatch,
  );

async function sliceOf(leaderService: string) {
  const list = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${leaderService}`,
  });
  return list.items[0];
}

const serviceNamed = (name: string): Promise<V1Service | undefined> =>
  core.readNamespacedService({ namespace, name }).catch(() => undefined);

async function zenLeadEvents(service: string) {
  const list = await events.listNamespacedEvent({ namespace });
  return list.items.filter(
    (e) => e.regarding?.name === service && e.reportingController === "zen-lead.io/controller",
  );
}

/** Binds the policy to the test's namespace (the policy itself is made by the first test). */
async function bindPolicy(): Promise<void> {
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name: policy },
      spec: {
        policyName: policy,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } },
      },
    },
  });
}

/**
 * Waits until the policy is (`inForce`) or is no longer in force: a policy takes effect, or ends,
 * once the API server has seen the change — shown by a label-less Service's dry-run create.
 */
async function policyInForce(inForce: boolean, what: string): Promise<void> {
  await waitFor(what, async () => {
    const refused = await core
      .createNamespacedService({
        namespace,
        dryRun: "All",
        body: { metadata: { name: "probe" }, spec: { ports: [{ port: 80 }] } },
      })
      .then(
        () => false,
        () => true,
      );
    return refused === inForce ? true : undefined;
  });
}

beforeAll(async () => {
  namespace = await testNamespace("say");
  policy = `team-label-${namespace}`;
  await createDeployment(namespace, "say", 2, labels);
  await waitFor("2 ready pods", async () =>
    (await readyPods(namespace, "app=say")).length === 2 ? true : undefined,
  );
  zl = await startZenLead(namespace, "say-test");
  await zl.until("/readyz");
});

afterAll(async () => {
  await zl?.stop("SIGKILL");
  await admission.deleteValidatingAdmissionPolicyBinding({ name: policy }).catch(() => undefined);
  await admission.deleteValidatingAdmissionPolicy({ name: policy }).catch(() => undefined);
});

describe("zen-lead says what it cannot do and what it did", () => {
  it("a leader Service an admission policy refuses: one warn line and one Warning Event while it is asked again, the warning in /metrics and status, its end at info, and the leader announced only then", async () => {
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name: policy },
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [""],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["services"],
              },
            ],
          },
          validations: [
            {
              expression: "has(object.metadata.labels) && 'team' in object.metadata.labels",
              message: "every Service needs a team label",
            },
          ],
        },
      },
    });
    await bindPolicy();
    await policyInForce(true, "the policy in force");
    await source("q");
    const warning = await waitFor("a WriteRejected Warning on q", async () =>
      (await zenLeadEvents("q")).find((e) => e.reason === "WriteRejected"),
    );
    expect(warning.type).toBe("Warning");
    expect(warning.note).toMatch(
      /^the API server refused to create Service q-leader \(HTTP 422\): .*q-leader.*every Service needs a team label; zen-lead asks again every 30 s until it is accepted$/,
    );
    // Its slice was written, but no leader is published without its leader Service: not announced.
    expect((await zenLeadEvents("q")).map((e) => e.reason)).toEqual(["WriteRejected"]);
    const standing = `zen_lead_source_warnings{namespace="${namespace}",service="q",reason="WriteRejected"} 1`;
    expect(await zl?.metrics()).toContain(standing);
    // No leader Service: nobody receives traffic through it, whoever zen-lead elected.
    expect(status("q")).toMatch(new RegExp(`^${namespace}\\s+q\\s+-\\s+<none>\\s.*WriteRejected$`, "m"));

    // The core asks again (30 s later): counted, not said again; the warning stands (the alert fires).
    await waitFor(
      "the refusal repeated",
      async () =>
        metricValue((await zl?.metrics()) ?? "", "zen_lead_apply_errors_total", 'status="rejected"') >= 2
          ? true
          : undefined,
      { timeoutMs: 120_000 },
    );
    const said = lines().filter((l) => l.service === "q" && l.level === 40);
    expect(said.map((l) => String(l.msg))).toEqual([warning.note]);
    expect((await zenLeadEvents("q")).map((e) => [e.reason, e.series?.count ?? 1])).toEqual([
      ["WriteRejected", 1],
    ]);
    expect(await zl?.metrics()).toContain(standing);

    // The cause goes: the next ask lands (within 30 s), the warning clears, said at info.
    await admission.deleteValidatingAdmissionPolicyBinding({ name: policy });
    await waitFor("q-leader created", () => serviceNamed("q-leader"), { timeoutMs: 120_000 });
    const lifted = await waitFor("the info line", () =>
      lines().find((l) => l.name === "q-leader" && String(l.msg).startsWith("Service q-leader written")),
    );
    expect(lifted.level).toBe(30);
    expect(String(lifted.msg)).toMatch(
      /^Service q-leader written: the API server accepts it again after refusing it \d+ time\(s\)$/,
    );
    expect(await zl?.metrics()).not.toContain('reason="WriteRejected"');
    const changed = await waitFor("the leader change announced", async () =>
      (await zenLeadEvents("q")).find((e) => e.reason === "LeaderChanged"),
    );
    expect(changed.note).toMatch(/^leader is say-/);

    // Refused again, now an update of the existing leader Service (its annotations): the slice
    // moves, clients follow it, so the move is announced; status names the refusal while the
    // Service's annotations still name the old pod.
    await bindPolicy();
    await policyInForce(true, "the policy in force again");
    const old = (await sliceOf("q-leader"))?.endpoints?.[0]?.targetRef?.name ?? "";
    await core.deleteNamespacedPod({ namespace, name: old, gracePeriodSeconds: 0 });
    const moved = await waitFor("the slice moved", async () => {
      const now = (await sliceOf("q-leader"))?.endpoints?.[0]?.targetRef?.name;
      return now !== undefined && now !== old ? now : undefined;
    });
    await waitFor("the move announced although the Service's update is refused", async () =>
      (await zenLeadEvents("q")).find((e) => e.reason === "LeaderChanged" && e.note?.includes(moved)),
    );
    expect((await serviceNamed("q-leader"))?.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe(old);
    await waitFor("status naming the refusal", async () =>
      new RegExp(`^${namespace}\\s+q\\s+q-leader\\s+${moved}\\s.*WriteRejected$`, "m").test(status("q"))
        ? true
        : undefined,
    );
    // The policy goes for the tests that follow.
    await admission.deleteValidatingAdmissionPolicyBinding({ name: policy });
    await policyInForce(false, "the policy lifted");
  });

  it("says every deletion it makes, with why, and a leader Service made again with its new ClusterIP", async () => {
    await source("web");
    const first = await waitFor("web-leader", () => serviceNamed("web-leader"));
    await waitFor("web's slice", () => sliceOf("web-leader"));
    await optIn("web", "false");
    const deleted = await waitFor("both deletions said", () => {
      const said = lines().filter((l) => l.service === "web" && l.status === "deleted");
      return said.length === 2 ? said : undefined;
    });
    const why = `Service ${namespace}/web is not opted in to zen-lead (any more), or is gone`;
    expect(deleted.map((l) => [l.level, l.msg]).sort()).toEqual([
      [30, `deleted EndpointSlice web-leader-ipv4: ${why}`],
      [30, `deleted Service web-leader: ${why}`],
    ]);
    await optIn("web", "true");
    const again = await waitFor("web-leader again", async () => {
      const s = await serviceNamed("web-leader");
      return s !== undefined && s.metadata?.uid !== first.metadata?.uid ? s : undefined;
    });
    expect(again.spec?.clusterIP).not.toBe(first.spec?.clusterIP);
    const made = await waitFor("the re-creation said", () =>
      lines().find((l) => l.name === "web-leader" && String(l.msg).startsWith("created the object again")),
    );
    expect([made.level, made.msg]).toEqual([
      30,
      `created the object again: zen-lead had deleted it; it has a new ClusterIP, ${again.spec?.clusterIP}: clients that kept the old one must resolve its name again`,
    ]);
  });

  it("stops without a false warning, and says at start-up the deletions of a Service opted out meanwhile", async () => {
    expect(await zl?.stop("SIGTERM")).toBe(0);
    expect(lines().filter((l) => l.msg === "watches not live")).toEqual([]);
    expect(lines().filter((l) => Number(l.level) >= 40 && l.service !== "q")).toEqual([]);
    await optIn("web", "false");
    zl = await startZenLead(namespace, "say-test");
    const deleted = await waitFor("both deletions said at start-up", () => {
      const said = lines().filter((l) => l.service === "web" && l.status === "deleted");
      return said.length === 2 ? said : undefined;
    });
    expect(deleted.every((l) => l.level === 30 && String(l.msg).startsWith("deleted "))).toBe(true);
    expect(await serviceNamed("web-leader")).toBeUndefined();
  });

  it("says nothing at warn of the Events and writes a namespace being deleted refuses", async () => {
    await zl?.stop("SIGTERM");
    // The Lease elsewhere: a namespace being deleted refuses a Lease too, and that is worth a warning.
    const leaseNamespace = await testNamespace("say-lease");
    const args = ["--lease-namespace", leaseNamespace, "--log-level", "debug"];
    zl = await startZenLead(namespace, "say-test", args);
    await zl.until("/readyz");
    // Held in Terminating by a finalizer, so that the refusals come while zen-lead still watches.
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "hold", finalizers: ["zen-lead.io/test-hold"] } },
    });
    try {
      await core.deleteNamespace({ name: namespace });
      // Its pods go: the leader of q moves (a write that lands), and its Event is refused.
      await waitFor(
        "an Event or write refused by the terminating namespace",
        () => (lines().some((l) => String(l.msg).endsWith("namespace terminating")) ? true : undefined),
        { timeoutMs: 120_000 },
      );
      const warned = lines().filter(
        (l) => Number(l.level) >= 40 && /being terminated/.test(JSON.stringify(l)),
      );
      expect(warned).toEqual([]);
      await zl.stop("SIGTERM");
    } finally {
      await core.patchNamespacedConfigMap(
        { namespace, name: "hold", body: { metadata: { finalizers: null } } },
        mergePatch,
      );
    }
  });
});
