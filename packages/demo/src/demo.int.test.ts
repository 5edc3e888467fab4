/**
 * The demo's core steps (`runDemoOn`) on the shared control plane: the use case applied, a leader
 * shown, the leader pod deleted and a different pod shown as the new leader. `./scripts/demo` adds
 * only its own cluster's life cycle around this (run by hand: `./scripts/demo --down`). No timing
 * is asserted: the failover's duration is printed, not judged.
 */
import { CoreV1Api, DiscoveryV1Api, EventsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { decisionOf, isSynced } from "@zen-lead/core";
import { startNode } from "@zen-lead/dataplane";
import { startController } from "@zen-lead/k8s-adapter";
import {
  clusterConfig,
  clusterState,
  isPodReady,
  runDocKubectl,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { clusterScript } from "@zen-lead/test-cluster/lifecycle";
import { describe, expect, it } from "vitest";
import { runDemoOn } from "./demo.ts";

/**
 * What a user finds in the cluster the demo leaves (its controller stopped): the leader Service and
 * its slice name `leader`, a pod that exists and is Ready (on a node other than `offNode`), and a
 * `zen-lead run` started now keeps it (its first decision after listing everything names it).
 */
async function expectLiveLeaderLeft(kc: KubeConfig, namespace: string, leader: string, offNode?: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const service = await core.readNamespacedService({ namespace, name: "my-controller-leader" });
  expect(service.metadata?.annotations?.["zen-lead.io/leader-pod"]).toBe(leader);
  const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
    namespace,
    labelSelector: "kubernetes.io/service-name=my-controller-leader",
  });
  expect(slices.items.map((s) => s.endpoints?.map((e) => e.targetRef?.name))).toEqual([[leader]]);
  const pod = await core.readNamespacedPod({ namespace, name: leader });
  expect(pod.metadata?.deletionTimestamp).toBeUndefined();
  expect(isPodReady(pod)).toBe(true);
  if (offNode !== undefined) expect(pod.spec?.nodeName).not.toBe(offNode);

  const controller = startController({ kc, namespaces: [namespace] });
  try {
    const decided = await waitFor("a fresh controller's first decision", async () => {
      const state = controller.state();
      const decision =
        state !== undefined && isSynced(state) ? decisionOf(state, `${namespace}/my-controller`) : undefined;
      return decision;
    });
    expect(decided.leader?.podName).toBe(leader);
  } finally {
    await controller.stop();
  }
}

describe("runDemoOn", () => {
  it("shows a leader, fails over when it is deleted, and shows a different new leader", async () => {
    const kc = clusterConfig();
    // The namespace exists already: the demo deletes and recreates it, as on a second run.
    const namespace = await testNamespace("demo");
    const lines: string[] = [];
    const result = await runDemoOn(kc, { namespace, print: (line) => lines.push(line) });
    const output = lines.join("\n");

    expect(output).toContain(`namespace ${namespace} exists: deleting it first`);
    expect(result.oldLeader).toMatch(/^my-controller-/);
    expect(result.newLeader).toMatch(/^my-controller-/);
    expect(result.newLeader).not.toBe(result.oldLeader);
    expect(output).toContain(`EndpointSlice of Service my-controller-leader -> ${result.oldLeader}`);
    expect(output).toContain(`zen-lead.io/leader-pod=${result.oldLeader}`);
    expect(output).toContain(`deleting the leader pod ${result.oldLeader}`);
    // zen-lead's figure starts when the pod is deleted in the API, not before the delete call: the
    // call's own round trip is said apart and not counted.
    const failover = new RegExp(
      `failover \\(zen-lead\\): ([0-9.]+) ms from the pod's deletion in the API \\((the pod's watch event|the delete's answer)\\) to the watcher seeing my-controller-leader name ${result.newLeader}; the delete call itself took [0-9.]+ ms, not counted`,
    ).exec(output);
    expect(failover).not.toBeNull();
    expect(Math.abs(Number(failover?.[1]) - result.failoverMs)).toBeLessThanOrEqual(0.5);
    expect(output).toContain(`new leader: ${result.newLeader}`);
    expect(output).toContain(`zen-lead.io/leader-pod=${result.newLeader}`);

    // The old leader pod is really deleted (gone or going) and the new one is still there.
    const pods = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace, labelSelector: "app=my-controller" });
    const names = pods.items
      .filter((p) => p.metadata?.deletionTimestamp === undefined)
      .map((p) => p.metadata?.name);
    expect(names).toContain(result.newLeader);
    expect(names).not.toContain(result.oldLeader);

    // Both elections are Events on the Service, as `zen-lead run` records them (written a moment
    // after the writes that publish them: wait for the second).
    const changes = await waitFor("the demo's LeaderChanged Events", async () => {
      const list = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
      const found = list.items.filter(
        (e) => e.reason === "LeaderChanged" && e.regarding?.name === "my-controller",
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(changes.map((e) => e.note)).toContainEqual(expect.stringContaining(`to ${result.newLeader}`));

    expect(output).toContain(`left running: Service my-controller-leader -> ${result.leftLeader}`);
    await expectLiveLeaderLeft(kc, namespace, result.leftLeader);

    // The docs' kubectl commands, as written, against the cluster the demo left: the kubectl their
    // `export PATH` line puts first is the control plane's own.
    const kubeconfig = clusterState().kubeconfig;
    const replace = { from: "zen-lead-demo", to: namespace };
    const demoDoc = await runDocKubectl("docs/demo.md", "## Look around with kubectl", {
      kubeconfig,
      replace,
    });
    const bin = await clusterScript("build.sh");
    expect(demoDoc.kubectl).toBe(`${bin}/kubectl`);
    expect(demoDoc.outputs).toHaveLength(4);
    const [podList, slices, annotations, events] = demoDoc.outputs;
    expect(podList).toContain(result.leftLeader);
    expect(podList?.match(/ Running /g)).toHaveLength(3);
    expect(slices).toContain("my-controller-leader");
    expect(JSON.parse(annotations ?? "")).toMatchObject({ "zen-lead.io/leader-pod": result.leftLeader });
    expect(events).toContain("LeaderChanged");
    const cpDoc = await runDocKubectl("docs/control-plane.md", "## Quick start", { kubeconfig });
    expect(cpDoc.kubectl).toBe(`${bin}/kubectl`);
    const [nodes] = cpDoc.outputs;
    expect(nodes).toMatch(/kwok-node-0\s+Ready/);
  });

  it("with a data-plane node, shows who answers my-controller-leader before and after, and the client-observed time", async () => {
    const kc = clusterConfig();
    const namespace = await testNamespace("demo-traffic");
    const node = await startNode({ kc });
    try {
      const lines: string[] = [];
      // As `./scripts/demo` runs it when the cluster stays up: the node ends, the pods move off it.
      const result = await runDemoOn(kc, {
        namespace,
        print: (line) => lines.push(line),
        traffic: node,
        leaveNode: true,
      });
      const output = lines.join("\n");
      const { oldLeader, newLeader } = result;

      expect(output).toContain(`its pods run on node ${node.name}`);
      expect(output).toMatch(
        new RegExp(
          `traffic: a client on node ${node.name} opens a new connection to my-controller-leader \\(10\\.96\\.[0-9.]+:8080\\)`,
        ),
      );
      // Before: every connection answered by the leader.
      const before = /(\d+) of (\d+) connections answered by (\S+)/.exec(output);
      expect(before?.[1]).toBe(before?.[2]);
      expect(before?.[3]).toBe(oldLeader);
      // After: the new leader answered, and every connection since.
      expect(output).toContain(`clients: ${oldLeader} still answered`);
      const after = new RegExp(
        `${newLeader} answered the first one opened [0-9.]+ ms after it .*and (\\d+) of the (\\d+) opened since`,
      ).exec(output);
      expect(after?.[1]).toBe(after?.[2]);
      expect(output).toMatch(
        /client-observed [0-9.]+ ms = zen-lead [0-9.]+ ms \+ kube-proxy -?[0-9.]+ ms \(min-sync period 1s/,
      );
      expect(result.clientFailoverMs).toBeDefined();

      // The pods really ran on the data-plane node, and then moved off it before the demo ended.
      expect(output).toContain(`new leader: ${newLeader}`);
      expect(output).toContain("moving my-controller's pods to kwok's nodes");
      const core = kc.makeApiClient(CoreV1Api);
      const onNode = await core.listNamespacedPod({ namespace, fieldSelector: `spec.nodeName=${node.name}` });
      expect(onNode.items.map((p) => p.metadata?.name)).toEqual([]);
      await node.stop();
      // The cluster `./scripts/demo` leaves up: its leader a live pod (the user's report: the
      // leader Service named a pod the move had deleted, and `zen-lead run` then moved it).
      await expectLiveLeaderLeft(kc, namespace, result.leftLeader, node.name);
    } finally {
      await node.stop();
    }
  });
});
