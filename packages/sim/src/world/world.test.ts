/**
 * The world model on its own (no controller): what the cluster's kubelets and ReplicaSets do, seen
 * in the API model as a user would see it with `kubectl get pods`. Faults aimed at the leader need
 * a controller to publish one, so they are run through the engine (runScenario) and read from the
 * report.
 */
import { decode, isCandidate, isFailure, type PodView } from "@zen-lead/core";
import { describe, expect, it } from "vitest";
import { ApiModel } from "../api-model.ts";
import type { ApiObject, ClusterChange } from "../model.ts";
import { compileScenario, parseScenario, runScenario } from "../scenario/index.ts";
import { VirtualClock } from "../virtual-clock.ts";
import { REPLACEMENT_DELAY_MS, World } from "./world.ts";

const CLUSTER = `name: world
deployments:
  - name: web
    replicas: 3
    containerPorts: [{ name: http, containerPort: 8080 }]
    readyAfter: 10s
    terminationGrace: 20s
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ name: http, port: 80, targetPort: http }]
`;

const withTimeline = (timeline: string, cluster = CLUSTER) => `${cluster}timeline:\n${timeline}`;

interface PodRow {
  readonly alias: string;
  readonly node: string | undefined;
  readonly ready: boolean;
  readonly terminating: boolean;
}

/** The world model over a real API model and clock, driven by a scenario's timeline. */
function cluster(text: string) {
  const sim = compileScenario(parseScenario(text, "w.yaml"));
  const clock = new VirtualClock(sim.epochMs);
  const api = new ApiModel(sim.seed, sim.api);
  const world = new World(
    sim.world,
    {
      clock,
      api,
      put: (kind, object) => void api.put(kind, object, clock.now),
      remove: (kind, namespace, name) => void api.remove(kind, namespace, name),
    },
    sim.seed,
  );
  for (const { kind, object } of world.initial) api.put(kind, object, clock.now);
  for (const { at, change } of sim.timeline) clock.at(at, () => world.apply(change as ClusterChange));
  const alias = (key: string) => world.created.find((p) => p.pod === key)?.alias ?? key;
  /** The pods in the API at virtual time `t`, by alias. */
  const podsAt = (t: number): PodRow[] => {
    clock.runUntil(t);
    return [...api.list("Pod")]
      .map((p) => {
        const view = p.view as PodView;
        return {
          alias: alias(p.key),
          node: view.nodeName,
          ready: view.ready,
          terminating: view.deletedAt !== undefined,
        };
      })
      .sort((a, b) => (a.alias < b.alias ? -1 : 1));
  };
  return { world, api, podsAt };
}

const aliases = (rows: readonly PodRow[], keep: (r: PodRow) => boolean = () => true) =>
  rows.filter(keep).map((r) => r.alias);

describe("the initial cluster", () => {
  it("creates a Deployment's pods as a ReplicaSet would: names, labels, owner, spread over nodes, one IP each", () => {
    const { world } = cluster(CLUSTER);
    const pods = world.initial.filter((o) => o.kind === "Pod").map((o) => o.object);
    expect(pods).toHaveLength(3);
    const meta = (o: ApiObject) => o.metadata as Record<string, unknown> & { name: string };
    const hash = (meta(pods[0] as ApiObject).labels as Record<string, string>)["pod-template-hash"] ?? "";
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    for (const pod of pods) {
      expect(meta(pod).name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(meta(pod).ownerReferences).toEqual([
        expect.objectContaining({ kind: "ReplicaSet", name: `web-${hash}` }),
      ]);
    }
    expect(pods.map((p) => (p.spec as { nodeName: string }).nodeName)).toEqual([
      "node-1",
      "node-2",
      "node-3",
    ]);
    expect(new Set(pods.map((p) => (p.status as { podIP: string }).podIP)).size).toBe(3);
    expect(world.created.map((p) => p.alias)).toEqual(["web#0", "web#1", "web#2"]);
    // The first pod is the oldest: it leads.
    const times = pods.map((p) => Date.parse(meta(p).creationTimestamp as string));
    expect([...times].sort()).toEqual(times);
    // Names, uids and hashes come from the seed.
    const other = cluster(`${CLUSTER}seed: 2\n`).world.created.map((p) => p.pod);
    expect(other).not.toEqual(world.created.map((p) => p.pod));
    expect(cluster(CLUSTER).world.created).toEqual(world.created);
  });

  it("creates objects the core decodes, the Deployment's pods Ready candidates and a pod never Ready not", () => {
    const { world } = cluster(`${CLUSTER}pods:\n  - { name: bare, labels: { app: other }, ready: false }\n`);
    for (const { kind, object } of world.initial) {
      const view = decode(kind, object);
      expect(isFailure(view), JSON.stringify(view)).toBe(false);
      if (kind === "Pod") expect(isCandidate(view as PodView)).toBe(object.metadata.name !== "bare");
    }
  });

  it("models a port-less Service as headless, and gives every pod an IPv6 address too in a dual-stack cluster", () => {
    const headless = cluster(
      "name: h\nservices:\n  - { name: pool, selector: { app: pool }, clusterIP: None }\n",
    );
    const svc = headless.world.initial.find((o) => o.kind === "Service")?.object;
    expect(svc?.spec).toMatchObject({ clusterIP: "None", clusterIPs: ["None"] });
    expect(svc?.spec).not.toHaveProperty("ports");
    const dual = cluster(
      CLUSTER.replace(
        "ports: [{ name: http, port: 80, targetPort: http }]",
        "ports: [{ name: http, port: 80, targetPort: http }]\n    ipFamilies: [IPv4, IPv6]",
      ),
    );
    const pod = dual.world.initial.find((o) => o.kind === "Pod")?.object;
    expect(pod?.status).toHaveProperty("podIPs", [{ ip: "10.244.0.2" }, { ip: "fd00:10:244:0::2" }]);
  });

  it("turns a young Deployment's pods Ready readyAfter after their creation", () => {
    const young = CLUSTER.replace("readyAfter: 10s", "readyAfter: 10s\n    age: 5s");
    const { podsAt } = cluster(young);
    // Created at -4s, -3s, -2s: Ready at 6s, 7s, 8s.
    expect(aliases(podsAt(6_999), (r) => r.ready)).toEqual(["web#0"]);
    expect(aliases(podsAt(8_000), (r) => r.ready)).toEqual(["web#0", "web#1", "web#2"]);
  });
});

describe("the ReplicaSet", () => {
  it("replaces a pod deleted gracefully 500 ms later, once, and removes it after its grace period", () => {
    const { podsAt } = cluster(
      withTimeline(
        '  - at: 5s\n    deletePod: { pod: "web#1", grace: 15s }\n  - at: 6s\n    deletePod: { pod: "web#1", grace: 15s }\n',
      ),
    );
    expect(podsAt(5_000).find((r) => r.alias === "web#1")).toMatchObject({ terminating: true });
    expect(aliases(podsAt(5_000 + REPLACEMENT_DELAY_MS - 1))).toEqual(["web#0", "web#1", "web#2"]);
    const replaced = podsAt(5_000 + REPLACEMENT_DELAY_MS);
    expect(aliases(replaced)).toEqual(["web#0", "web#1", "web#2", "web#3"]);
    // The replacement goes where the ReplicaSet has fewest pods that are not terminating.
    expect(replaced.find((r) => r.alias === "web#3")).toMatchObject({ node: "node-2", ready: false });
    expect(podsAt(15_500).find((r) => r.alias === "web#3")).toMatchObject({ ready: true });
    expect(aliases(podsAt(20_000))).toEqual(["web#0", "web#2", "web#3"]);
    expect(aliases(podsAt(60_000))).toEqual(["web#0", "web#2", "web#3"]);
  });

  it("scales up 500 ms later and down at once, youngest first", () => {
    const { podsAt } = cluster(
      withTimeline(
        "  - at: 5s\n    scale: { deployment: web, replicas: 5 }\n  - at: 30s\n    scale: { deployment: web, replicas: 2 }\n",
      ),
    );
    expect(aliases(podsAt(5_500))).toEqual(["web#0", "web#1", "web#2", "web#3", "web#4"]);
    expect(aliases(podsAt(30_000), (r) => r.terminating)).toEqual(["web#2", "web#3", "web#4"]);
    expect(aliases(podsAt(50_000))).toEqual(["web#0", "web#1"]);
  });

  it("replaces a crashed leader from the crashed pod's own Deployment, even when its Service selects two", () => {
    const twoTracks = `name: two-tracks
deployments:
  - { name: web, replicas: 2, readyAfter: 5s, labels: { app: web, track: stable } }
  - { name: canary, replicas: 1, readyAfter: 5s, age: 2h, labels: { app: web, track: canary } }
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ port: 80, targetPort: 8080 }]
timeline:
  - at: 10s
    crashLeader: web
expect:
  leaderAt:
    - { at: 9s, service: web, pod: "canary#0" }
    - { at: 11s, service: web, pod: "web#0" }
`;
    const { report, pods } = runScenario(parseScenario(twoTracks, "two.yaml"));
    // The canary is the oldest pod: it leads, and its crash is made up by the canary Deployment.
    expect(pods.created.map((p) => [p.alias, p.created])).toEqual([
      ["web#0", expect.any(Number)],
      ["web#1", expect.any(Number)],
      ["canary#0", expect.any(Number)],
      ["canary#1", 10_000 + REPLACEMENT_DELAY_MS],
    ]);
    expect(report.violations).toEqual([]);
  });

  it("creates nothing when a crash finds no leader to hit", () => {
    const none = CLUSTER.replace('{ zen-lead.io/enabled: "true" }', '{ zen-lead.io/enabled: "false" }');
    const { pods, report } = runScenario(
      parseScenario(withTimeline("  - at: 10s\n    crashLeader: web\n", none), "n.yaml"),
    );
    expect(pods.created.map((p) => p.alias)).toEqual(["web#0", "web#1", "web#2"]);
    expect(report.services).toEqual([]);
  });
});

describe("a rolling update", () => {
  it("rolls one pod at a time: a new pod Ready, then the youngest old one goes, the leader last", () => {
    const { podsAt } = cluster(withTimeline("  - at: 20s\n    rollingUpdate: web\n"));
    const going = (t: number) => aliases(podsAt(t), (r) => r.terminating);
    expect(aliases(podsAt(20_500))).toEqual(["web#0", "web#1", "web#2", "web#3"]);
    expect(going(30_499)).toEqual([]);
    expect(going(30_500)).toEqual(["web#2"]);
    expect(aliases(podsAt(31_000))).toContain("web#4");
    expect(going(41_000)).toEqual(["web#1", "web#2"]);
    expect(going(51_500)).toEqual(["web#0", "web#1"]);
    expect(aliases(podsAt(80_000))).toEqual(["web#3", "web#4", "web#5"]);
  });

  it("finishes with `replicas` pods when a new pod is lost before it is Ready", () => {
    const { podsAt } = cluster(
      withTimeline(
        '  - at: 20s\n    rollingUpdate: web\n  - at: 25s\n    deletePod: { pod: "web#3", grace: 0 }\n',
      ),
    );
    // web#3's replacement (web#4) carries on the rollout.
    expect(aliases(podsAt(25_500))).toEqual(["web#0", "web#1", "web#2", "web#4"]);
    expect(aliases(podsAt(120_000))).toEqual(["web#4", "web#5", "web#6"]);
  });

  it("finishes with `replicas` pods when an old pod crashes during it", () => {
    const { podsAt } = cluster(
      withTimeline(
        '  - at: 20s\n    rollingUpdate: web\n  - at: 25s\n    deletePod: { pod: "web#0", grace: 0 }\n',
      ),
    );
    // web#0 goes while a fourth pod surges: it is made up (with the new template), four again.
    expect(aliases(podsAt(25_499))).toEqual(["web#1", "web#2", "web#3"]);
    expect(aliases(podsAt(25_500))).toEqual(["web#1", "web#2", "web#3", "web#4"]);
    expect(aliases(podsAt(120_000))).toEqual(["web#3", "web#4", "web#5"]);
  });
});

describe("a node drain", () => {
  it("cordons the node, terminates its pods and re-creates them on the other nodes", () => {
    const { podsAt, api } = cluster(withTimeline("  - at: 10s\n    drainNode: node-1\n"));
    expect(podsAt(10_000).find((r) => r.alias === "web#0")).toMatchObject({
      node: "node-1",
      terminating: true,
    });
    expect(api.get("Node", "", "node-1")?.raw.spec).toMatchObject({ unschedulable: true });
    const after = podsAt(10_500).find((r) => r.alias === "web#3");
    expect(after?.node).not.toBe("node-1");
    expect(aliases(podsAt(40_000))).toEqual(["web#1", "web#2", "web#3"]);
  });

  it("re-creates only what the Deployment misses: a pod another fault already replaced is not made up twice", () => {
    const { podsAt } = cluster(
      withTimeline(
        '  - at: 5s\n    deletePod: { pod: "web#0", grace: 0 }\n  - at: 10s\n    drainNode: node-2\n',
      ),
    );
    // web#0 (node-1) was replaced by web#3 on node-1; the drain takes web#1 (node-2) alone.
    expect(aliases(podsAt(60_000))).toEqual(["web#2", "web#3", "web#4"]);
  });
});

describe("readiness", () => {
  it("brings back the pod a flap took down, not a pod an earlier fault took down", () => {
    const { report, pods } = runScenario(
      parseScenario(
        withTimeline(
          '  - at: 20s\n    readiness: { pod: "web#2", ready: false }\n  - at: 30s\n    flap: { leaderOf: web, times: 1, every: 2s }\n',
        ),
        "f.yaml",
      ),
    );
    const readyIntervals = (alias: string) => {
      const name = pods.created.find((p) => p.alias === alias)?.pod.split("/")[1];
      return report.services[0]?.pods.find((l) => l.pod === name)?.ready.map((r) => [r.from, r.to]);
    };
    expect(readyIntervals("web#0")).toEqual([
      [0, 30_000],
      [32_000, undefined],
    ]);
    expect(readyIntervals("web#2")).toEqual([[0, 20_000]]);
  });

  it("replaces {{web#n}} in annotations with the pod's generated name, and refuses a pod that does not exist then", () => {
    const { report, pods } = runScenario(
      parseScenario(
        withTimeline(
          '  - at: 5s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web#2}}" } }\n',
        ),
        "a.yaml",
      ),
    );
    const web2 = pods.created.find((p) => p.alias === "web#2")?.pod.split("/")[1];
    expect(report.services[0]?.leadership.at(-1)).toMatchObject({ pod: web2, reason: "PreferredLeader" });
    expect(() =>
      runScenario(
        parseScenario(
          withTimeline(
            '  - at: 5s\n    annotate: { service: web, annotations: { zen-lead.io/preferred-leader: "{{web#3}}" } }\n',
          ),
          "a.yaml",
        ),
      ),
    ).toThrow(
      'a.yaml: timeline[0].annotate.annotations["zen-lead.io/preferred-leader"]: web#3 does not exist at 5s (deployment web has created 3 pods: #0-#2)',
    );
  });
});
