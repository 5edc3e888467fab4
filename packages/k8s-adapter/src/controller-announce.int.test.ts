/**
 * zen-lead says each thing once, on the real control plane: a relist in a quiet cluster and a Lease
 * hand-over announce nothing again (no Event written, no leader change counted), and a standby takes
 * over warm — with the fold it kept, without listing the cluster again — announcing a change made
 * while nobody led exactly once.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  EventsV1Api,
  type V1ServiceSpec,
} from "@kubernetes/client-node";
import type { EventAction } from "@zen-lead/core";
import { clusterConfig, createDeployment, readyPods, testNamespace, waitFor } from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteResult } from "./applier.ts";
import { type Controller, startController } from "./controller.ts";
import { createEventRecorder, type EventRecorder, type EventSink, kubeEventSink } from "./events.ts";
import { createLeaderElector, kubeLeaseApi } from "./lease.ts";
import { kubeTransport, type WatchDiagnostic, type WatchTransport } from "./watch.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const events = kc.makeApiClient(EventsV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
let namespace = "";
const running: Controller[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real watch transport, with a way to expire every open watch (410 Gone: a relist). */
function expiringTransport() {
  const real = kubeTransport(kc);
  const open = new Set<(type: string, object: unknown) => void>();
  const transport: WatchTransport = {
    list: real.list,
    async watch(path, query, onEvent, onDone) {
      open.add(onEvent);
      return real.watch(path, query, onEvent, (error) => {
        open.delete(onEvent);
        onDone(error);
      });
    },
  };
  return {
    transport,
    expire() {
      for (const onEvent of [...open]) onEvent("ERROR", { code: 410, message: "too old resource version" });
    },
  };
}

/** Counts the recorder's writes to the API. */
function countingSink(): { sink: EventSink; writes: string[] } {
  const real = kubeEventSink(kc);
  const writes: string[] = [];
  return {
    writes,
    sink: {
      list: real.list,
      async create(ns, event) {
        writes.push(`create ${event.reason}`);
        await real.create(ns, event);
      },
      async patchSeries(ns, name, series) {
        writes.push(`patch ${name}`);
        await real.patchSeries(ns, name, series);
      },
    },
  };
}

interface Replica {
  readonly controller: Controller;
  readonly recorder: EventRecorder;
  readonly announced: EventAction[];
  /** What the recorder did with each: `created`, `repeat`, `already-recorded`... */
  readonly outcomes: string[];
  readonly eventWrites: string[];
  readonly writes: WriteResult[];
  readonly diagnostics: WatchDiagnostic[];
  readonly expire: () => void;
}

function replica(identity: string, lease: boolean): Replica {
  const { sink, writes: eventWrites } = countingSink();
  const outcomes: string[] = [];
  const recorder = createEventRecorder({
    sink,
    instance: identity,
    onOutcome: (event, outcome) => outcomes.push(`${event.reason} ${outcome}`),
  });
  const announced: EventAction[] = [];
  const writes: WriteResult[] = [];
  const diagnostics: WatchDiagnostic[] = [];
  const { transport, expire } = expiringTransport();
  const controller = startController({
    kc,
    namespaces: [namespace],
    ...(lease
      ? {
          elector: createLeaderElector({
            api: kubeLeaseApi(kc),
            namespace,
            name: "zen-lead-announce",
            identity,
            leaseDurationMs: 4_000,
            renewDeadlineMs: 3_000,
            retryPeriodMs: 500,
          }),
        }
      : {}),
    beforeLeading: () => void recorder.readBack([namespace]),
    onEvent: (event) => {
      announced.push(event);
      recorder.record(event);
    },
    onWriteResult: (r) => writes.push(r),
    onDiagnostic: (_line, detail) => diagnostics.push(detail),
    watch: { transport },
  });
  running.push(controller);
  return { controller, recorder, announced, outcomes, eventWrites, writes, diagnostics, expire };
}

async function leaderOf(): Promise<string | undefined> {
  const slice = await discovery
    .readNamespacedEndpointSlice({ namespace, name: "web-leader-ipv4" })
    .catch(() => undefined);
  return slice?.endpoints?.[0]?.targetRef?.name;
}

async function zenLeadEvents() {
  const list = await events.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.reportingController === "zen-lead.io/controller")
    .map((e) => `${e.metadata?.name} ${e.reason} ${e.series?.count ?? 1}`)
    .sort();
}

beforeAll(async () => {
  namespace = await testNamespace("announce");
  await createDeployment(namespace, "ann", 3, { app: "ann" });
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=ann")).length === 3 ? true : undefined,
  );
  const sources: [string, V1ServiceSpec][] = [
    ["web", { selector: { app: "ann" }, ports: [{ port: 80 }] }],
    ["nosel", { ports: [{ port: 80 }] }],
  ];
  for (const [name, spec] of sources) {
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name, annotations: { "zen-lead.io/enabled": "true" } }, spec },
    });
  }
});

afterAll(async () => {
  for (const c of running.splice(0)) await c.stop();
});

describe("announced once, whatever restarts, relists or hand-overs happen", () => {
  let first: Replica | undefined;
  let settledEvents: string[] = [];

  it("announces the first election and the standing warning once", async () => {
    first = replica("announce-a", true);
    await waitFor("a leader", leaderOf);
    await waitFor("the NoSelector Event", async () =>
      (await zenLeadEvents()).some((e) => e.includes(" NoSelector ")) ? true : undefined,
    );
    await sleep(1000);
    expect(first.announced.map((e) => e.reason).sort()).toEqual(["LeaderChanged", "NoSelector"]);
    settledEvents = await zenLeadEvents();
    expect(settledEvents).toHaveLength(2);
  });

  it("announces nothing again after a relist of every kind in a quiet cluster", async () => {
    if (first === undefined) throw new Error("needs the first test");
    const listedBefore = first.diagnostics.filter((d) => d.what === "listed").length;
    first.expire();
    await waitFor("every watch listed again", () =>
      first && first.diagnostics.filter((d) => d.what === "listed").length >= listedBefore + 4
        ? true
        : undefined,
    );
    await sleep(1000);
    expect(first.announced).toHaveLength(2);
    expect(first.eventWrites).toHaveLength(2);
    expect(await zenLeadEvents()).toEqual(settledEvents);
  });

  let second: Replica | undefined;

  it("announces nothing again when the Lease is handed over, and the new holder takes over warm", async () => {
    if (first === undefined) throw new Error("needs the first test");
    const b = replica("announce-b", true);
    second = b;
    await waitFor("the standby's initial lists", () =>
      b.diagnostics.filter((d) => d.what === "listed").length >= 4 ? true : undefined,
    );
    const listed = b.diagnostics.length;
    running.splice(running.indexOf(first.controller), 1);
    await first.controller.stop({ release: true });
    await waitFor("the standby holding the Lease", async () =>
      (await holder()) === "announce-b" ? true : undefined,
    );
    await sleep(1000);
    // The standing warning comes up again in the new holder, and is found already recorded.
    expect(b.announced.filter((e) => e.leaderChange !== undefined)).toEqual([]);
    expect(b.outcomes).toEqual(["NoSelector already-recorded"]);
    expect(b.eventWrites).toEqual([]);
    expect(await zenLeadEvents()).toEqual(settledEvents);
    // Warm: the new holder did not list the cluster again.
    expect(b.diagnostics.slice(listed).filter((d) => d.what === "listed")).toEqual([]);

    // A real failover now: announced once, by the holder, with one Event.
    const old = await leaderOf();
    await core.deleteNamespacedPod({ namespace, name: old ?? "", gracePeriodSeconds: 0 });
    await waitFor("a new leader", async () => {
      const now = await leaderOf();
      return now !== undefined && now !== old ? now : undefined;
    });
    await sleep(500);
    expect(b.announced.flatMap((e) => (e.leaderChange ? [e.leaderChange.from] : []))).toEqual([old]);
    expect(b.eventWrites).toEqual(["create LeaderChanged"]);
  });

  it("announces a failover made while nobody led once, when the standby takes over after the Lease expires", async () => {
    if (second === undefined) throw new Error("needs the previous test");
    const third = replica("announce-c", true);
    await waitFor("the standby's initial lists", () =>
      third.diagnostics.filter((d) => d.what === "listed").length >= 4 ? true : undefined,
    );
    const listed = third.diagnostics.length;
    // The holder dies: it stops renewing and does not hand the Lease back.
    running.splice(running.indexOf(second.controller), 1);
    await second.controller.stop();
    const old = await leaderOf();
    await core.deleteNamespacedPod({ namespace, name: old ?? "", gracePeriodSeconds: 0 });
    const next = await waitFor("a new leader, once the Lease has expired", async () => {
      const now = await leaderOf();
      return now !== undefined && now !== old ? now : undefined;
    });
    await sleep(500);
    expect(third.announced.flatMap((e) => (e.leaderChange ? [e.leaderChange] : []))).toEqual([
      // Deleted with grace 0, the pod may still be seen terminating first.
      { from: old, to: next, cause: expect.stringMatching(/^Leader(Terminating|Deleted)$/) },
    ]);
    expect(third.diagnostics.slice(listed).filter((d) => d.what === "listed")).toEqual([]);
  });
});

async function holder(): Promise<string | undefined> {
  const lease = await coordination.readNamespacedLease({ namespace, name: "zen-lead-announce" });
  return lease.spec?.holderIdentity;
}
