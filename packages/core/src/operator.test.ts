/**
 * The RxJS operator on virtual time: events in, batches of actions out, min-ready timers scheduled
 * on the scheduler it is given, and no state kept outside a subscription.
 */
import { concat, from, NEVER, type Observable, throwError } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import type { Action, ApplyAction } from "./actions.ts";
import type { DesiredSlice } from "./desired.ts";
import { type ClusterEvent, fromWatch } from "./events.ts";
import { reconcileActions } from "./operator.ts";
import { suppressionMs } from "./reconcile.ts";
import { decisionOf, type State } from "./state.ts";
import { podJson, serviceJson, sliceJson } from "./testing/fixtures.ts";

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/**
 * Nothing here plays the API server, so no write is ever observed: without this, zen-lead would
 * (rightly) ask again every 30 s forever and a flush would never end. The retry has its own test.
 */
const noRetries = { inflightTtlMs: Number.POSITIVE_INFINITY, inflightMaxMs: Number.POSITIVE_INFINITY };

const synced: ClusterEvent[] = [
  { type: "synced", kind: "Service" },
  { type: "synced", kind: "Pod" },
  { type: "synced", kind: "EndpointSlice" },
  { type: "synced", kind: "Node" },
];

/** A cluster with web-0 Ready since t=0 and the Service `web`, with the given annotations. */
function cluster(annotations: Record<string, string> = {}): ClusterEvent[] {
  return [
    fromWatch("Pod", "ADDED", podJson("web-0", { created: 0, readySince: 0 })),
    fromWatch(
      "Service",
      "ADDED",
      serviceJson("web", { annotations: { "zen-lead.io/enabled": "true", ...annotations } }),
    ),
    ...synced,
  ];
}

interface Batch {
  readonly at: number;
  readonly actions: readonly Action[];
}

/** Subscribe, collecting each batch with the virtual time it came out at. */
function record(ts: TestScheduler, out$: Observable<readonly Action[]>) {
  const batches: Batch[] = [];
  const end: { error?: unknown; completedAt?: number } = {};
  out$.subscribe({
    next: (actions) => batches.push({ at: ts.now(), actions }),
    error: (error) => {
      end.error = error;
    },
    complete: () => {
      end.completedAt = ts.now();
    },
  });
  return { batches, end };
}

const sliceEndpoints = (actions: readonly Action[]) =>
  (
    actions.find((a): a is ApplyAction => a.type === "apply" && a.kind === "EndpointSlice")?.desired as
      | DesiredSlice
      | undefined
  )?.endpoints.map((e) => e.podName);

describe("reconcileActions", () => {
  it("decides nothing before the initial lists are in", () => {
    const ts = scheduler();
    ts.run(() => {
      const events$ = concat(from(cluster().slice(0, -1)), NEVER); // no EndpointSlice list yet
      const { batches } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(batches).toEqual([]);
    });
  });

  it("turns events into batches of actions, stamped with the scheduler's time", () => {
    const ts = scheduler();
    ts.run(({ cold }) => {
      // No pod at first; web-0 turns up Ready 5 s in: the leader Service says since when it leads.
      const later = cold<ClusterEvent>("5s a", {
        a: fromWatch("Pod", "ADDED", podJson("web-0", { created: 4, readySince: 4 })),
      });
      // Its slice is there already (a leader Service is created once its slices are seen).
      const slice = fromWatch("EndpointSlice", "ADDED", sliceJson("web-leader-ipv4"));
      const events$ = concat(from([slice, ...cluster().slice(1)]), later, NEVER);
      const { batches } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(batches.map((b) => b.at)).toEqual([0, 5000]);
      // At first no leader: the slice (no endpoint) is as wanted, the leader Service says no leader.
      expect(sliceEndpoints(batches[0]?.actions ?? [])).toBeUndefined();
      expect(batches[0]?.actions.find((a) => a.type === "apply" && a.kind === "Service")).toMatchObject({
        desired: { annotations: {} },
      });
      expect(sliceEndpoints(batches[1]?.actions ?? [])).toEqual(["web-0"]);
      const leaderService = batches[1]?.actions.find(
        (a): a is ApplyAction => a.type === "apply" && a.kind === "Service",
      );
      expect(leaderService?.desired).toMatchObject({
        annotations: {
          "zen-lead.io/leader-pod": "web-0",
          "zen-lead.io/leader-since": "1970-01-01T00:00:05Z",
        },
      });
    });
  });

  it("fires a min-ready timer at the right virtual time, with no further input", () => {
    const ts = scheduler();
    ts.run(() => {
      const events$ = concat(from(cluster({ "zen-lead.io/min-ready-duration": "30s" })), NEVER);
      const { batches } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(batches.map((b) => b.at)).toEqual([0, 30_000]);
      const [first, second] = batches;
      // At once: zero endpoints and a MinReadyNotMet warning.
      expect(sliceEndpoints(first?.actions ?? [])).toEqual([]);
      expect(first?.actions.some((a) => a.type === "event" && a.reason === "MinReadyNotMet")).toBe(true);
      // 30 s later, from the timer alone: the leader's slice.
      expect(sliceEndpoints(second?.actions ?? [])).toEqual(["web-0"]);
      expect(second?.actions.find((a) => a.type === "event" && a.reason === "LeaderChanged")).toMatchObject({
        leaderChange: { to: "web-0", cause: "Elected" },
      });
    });
  });

  it("keeps no state between subscriptions: two subscribers get the same batches, timers included", () => {
    const ts = scheduler();
    ts.run(() => {
      const out$ = concat(from(cluster({ "zen-lead.io/min-ready-duration": "30s" })), NEVER).pipe(
        reconcileActions({ scheduler: ts, ...noRetries }),
      );
      const first = record(ts, out$);
      const second = record(ts, out$);
      ts.flush();
      expect(first.batches.map((b) => b.at)).toEqual([0, 30_000]);
      expect(second.batches).toEqual(first.batches);
    });
  });

  it("starts from the state it is given, and reports every new state", () => {
    const ts = scheduler();
    ts.run(() => {
      const states: State[] = [];
      const operator = reconcileActions({ scheduler: ts, ...noRetries, onState: (s) => states.push(s) });
      const { batches } = record(ts, from(cluster()).pipe(operator));
      ts.flush();
      expect(states).toHaveLength(cluster().length);
      const last = states.at(-1);
      expect(last && decisionOf(last, "default/web")?.leader?.podName).toBe("web-0");

      expect(sliceEndpoints(batches[0]?.actions ?? [])).toEqual(["web-0"]);

      // Resumed from that state, the same events change nothing and ask for nothing.
      const resumed = record(
        ts,
        from(cluster()).pipe(reconcileActions({ scheduler: ts, ...noRetries, initial: last as State })),
      );
      ts.flush();
      expect(resumed.batches).toEqual([]);
    });
  });

  it("passes an error of the event stream on, after the batches before it", () => {
    const ts = scheduler();
    ts.run(() => {
      const failure = new Error("watch failed");
      const events$ = concat(
        from(cluster()),
        throwError(() => failure),
      );
      const { batches, end } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(sliceEndpoints(batches[0]?.actions ?? [])).toEqual(["web-0"]);
      expect(end.error).toBe(failure);
    });
  });

  it("completes when the events do, and a pending timer then emits nothing", () => {
    const ts = scheduler();
    ts.run(({ cold }) => {
      const events$ = concat(
        from(cluster({ "zen-lead.io/min-ready-duration": "30s" })),
        cold<ClusterEvent>("10s |"),
      );
      const { batches, end } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(end.completedAt).toBe(10_000);
      expect(batches.map((b) => b.at)).toEqual([0]);
    });
  });

  it("asks again for a write it never saw applied, once the suppression (inflightTtlMs) ends, then ever more slowly up to inflightMaxMs", () => {
    const ts = scheduler();
    ts.run(({ cold }) => {
      // The events end at 150 s, and with them the operator and its timers.
      const events$ = concat(from(cluster()), cold<ClusterEvent>("150s |"));
      const options = { inflightTtlMs: 20_000, inflightMaxMs: 50_000 };
      const { batches } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...options })));
      ts.flush();
      // The same write against the same observation: its window doubles each time (20, 40 s), up to 50 s.
      expect(batches.map((b) => b.at)).toEqual([0, 20_000, 60_000, 110_000]);
      // suppressionMs states that rule (the simulator's judge reads it).
      const gaps = batches.slice(1).map((b, i) => b.at - (batches[i]?.at ?? 0));
      expect(gaps).toEqual([0, 1, 2].map((repeats) => suppressionMs(options, repeats)));
      expect([4, 5, 40].map((repeats) => suppressionMs({ inflightTtlMs: 20_000 }, repeats))).toEqual([
        320_000, 320_000, 320_000,
      ]);
      const writes = (b?: Batch) =>
        b?.actions.filter((a) => a.type === "apply").map((a) => a.type === "apply" && a.name);
      expect(writes(batches[1])).toEqual(writes(batches[0]));
    });
  });

  it("wakes at its time after a min-ready longer than a JavaScript timer holds (1000 h)", () => {
    const ts = scheduler();
    ts.run(({ cold }) => {
      const hours = 3_600_000;
      const events$ = concat(
        from(cluster({ "zen-lead.io/min-ready-duration": "1000h" })),
        cold<ClusterEvent>(`${1001 * hours}ms |`),
      );
      const { batches } = record(ts, events$.pipe(reconcileActions({ scheduler: ts, ...noRetries })));
      ts.flush();
      expect(batches.map((b) => b.at)).toEqual([0, 1000 * hours]);
      expect(sliceEndpoints(batches[1]?.actions ?? [])).toEqual(["web-0"]);
    });
  });

  it("cancels its pending wake-ups when unsubscribed: nothing outlives the subscription", () => {
    const ts = scheduler();
    ts.run(() => {
      const subscription = concat(from(cluster({ "zen-lead.io/min-ready-duration": "30s" })), NEVER)
        .pipe(reconcileActions({ scheduler: ts, ...noRetries }))
        .subscribe();
      expect(ts.actions.length).toBe(1); // the min-ready wake-up at 30 s
      subscription.unsubscribe();
      expect(ts.actions.length).toBe(0);
    });
  });
});
