/**
 * Embedding @zen-lead/core in your own controller: your watches hand it events, it answers with
 * actions — writes of zen-lead's own objects, Kubernetes Events, timers — and your code performs
 * them. The core does no I/O and reads no clock: time comes in as `tick` events.
 *
 *   node embed-controller.ts
 *
 * Here the cluster is a short script of API objects (built with @zen-lead/core/testing), and
 * performing a write means feeding it back as the API server's watch would. In a real controller,
 * the events come from your informers (`fromWatch(kind, type, object)`) and the writes go to the
 * API server (server-side apply of `action.manifest`, with `action.expectedUid` as a precondition).
 */
import {
  type Action,
  advance,
  type ClusterEvent,
  decode,
  fromWatch,
  initialState,
  mapGet,
} from "@zen-lead/core";
import { nodeJson, podJson, serviceJson } from "@zen-lead/core/testing";

let state = initialState(0);
/** Events waiting to be folded: the cluster's, and the echoes of our own writes. */
const pending: ClusterEvent[] = [];
let nextUid = 1;

function perform(action: Action): void {
  const at = `+${state.now / 1000}s`;
  switch (action.type) {
    case "apply": {
      console.log(
        `${at} ${action.create ? "create" : "update"} ${action.kind} ${action.namespace}/${action.name}`,
      );
      // The API server stores the object (with a uid) and its watch sends it back.
      const manifest = action.manifest as { metadata: Record<string, unknown> };
      const uid = action.expectedUid ?? `owned-${nextUid++}`;
      pending.push(fromWatch(action.kind, "ADDED", { ...manifest, metadata: { ...manifest.metadata, uid } }));
      break;
    }
    case "delete":
      console.log(`${at} delete ${action.kind} ${action.namespace}/${action.name}`);
      pending.push({ type: "delete", kind: action.kind, namespace: action.namespace, name: action.name });
      break;
    case "event":
      console.log(
        `${at} Event ${action.eventType} ${action.reason} on Service ${action.source.name}: ${action.note}`,
      );
      break;
    case "report":
      console.warn(`${at} ${action.reason}: ${action.object}: ${action.message}`);
      break;
  }
}

/** Folds one event and everything it causes; `advance` is step + decide + plan. */
function send(event: ClusterEvent): void {
  pending.push(event);
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    const { state: after, actions } = advance(state, next);
    state = after;
    for (const action of actions) perform(action);
  }
  // Time is the shell's: when `state.nextTimerAt` (epoch ms) comes, send { type: "tick", now } —
  // min-ready damping and write retries fire from it. A real shell arms one timer for it.
  if (state.nextTimerAt !== Number.POSITIVE_INFINITY)
    console.log(`next timer at +${state.nextTimerAt / 1000}s`);
}

/** A pod of the Deployment behind Service web, as the API server would send it. */
const pod = (i: number, ready = true) =>
  podJson(`web-${"abc"[i]}`, { created: i, ready, readySince: i, ips: [`10.0.0.${i + 1}`] });
const leaderOf = () => mapGet(state.decisions, "default/web")?.leader?.podName;

// The initial lists, one `resync` per kind: once all four are in, the core decides.
send({ type: "resync", kind: "Node", objects: [decode("Node", nodeJson("node-a", "zone-a"))] });
send({ type: "resync", kind: "Service", objects: [decode("Service", serviceJson("web"))] });
send({ type: "resync", kind: "EndpointSlice", objects: [] });
send({ type: "resync", kind: "Pod", objects: [0, 1, 2].map((i) => decode("Pod", pod(i))) });
console.log(`leader: ${leaderOf()}`);

// Ten seconds later the leader's readiness probe fails: the kubelet's update arrives as a watch event.
send({ type: "tick", now: 10_000 });
send(fromWatch("Pod", "MODIFIED", pod(0, false)));
console.log(`leader: ${leaderOf()}`);
