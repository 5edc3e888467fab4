/**
 * A test harness around `advance`: feed events, collect actions, and play the API server's part
 * for zen-lead's own writes (an apply comes back as the object, a delete as its removal).
 */
import type { Action } from "../actions.ts";
import { type ClusterEvent, fromWatch } from "../events.ts";
import { mapGet } from "../persistent-map.ts";
import { advance, DEFAULT_OPTIONS, type ReconcileOptions } from "../reconcile.ts";
import type { Decision, State } from "../state.ts";
import { initialState } from "../state.ts";
import type { Kind } from "../views.ts";

export interface Harness {
  readonly state: State;
  send(event: ClusterEvent): Action[];
  upsert(kind: Kind, raw: unknown): Action[];
  remove(kind: Kind, namespace: string, name: string): Action[];
  /** Mark the required kinds synced (the initial lists are in). */
  sync(): Action[];
  /** Advance the clock to `seconds` since the epoch. */
  at(seconds: number): Action[];
  /** Let the API server apply these writes and feed them back; returns what that caused. */
  echo(actions: readonly Action[]): Action[];
  /** Echo until nothing more is written; returns every action along the way. */
  settle(actions: readonly Action[]): Action[];
  decision(source: string): Decision | undefined;
  /** When `source` will be decided again (epoch ms; the timer table), or undefined for never. */
  timer(source: string): number | undefined;
  /** Every object the harness's API holds now, as it would list them (for a restarted controller). */
  objects(): { kind: Kind; raw: unknown }[];
}

export function writesOf(actions: readonly Action[]) {
  return actions.filter((a) => a.type === "apply" || a.type === "delete");
}

export function harness(
  options: ReconcileOptions = DEFAULT_OPTIONS,
  start: State = initialState(0),
): Harness {
  let state = start;
  let nextUid = 0;
  const store = new Map<string, { kind: Kind; raw: unknown }>();
  const keep = (kind: Kind, raw: unknown) => {
    const m = (raw as { metadata: { namespace?: string; name: string } }).metadata;
    store.set(`${kind}:${m.namespace ?? ""}/${m.name}`, { kind, raw });
  };
  const send = (event: ClusterEvent) => {
    const result = advance(state, event, options);
    state = result.state;
    return [...result.actions];
  };
  const echo = (actions: readonly Action[]) => {
    const out: Action[] = [];
    for (const a of actions) {
      if (a.type === "apply") {
        const uid = a.expectedUid ?? `uid-owned-${nextUid++}`;
        const manifest = a.manifest as { metadata: Record<string, unknown> };
        const raw = { ...manifest, metadata: { ...manifest.metadata, uid } };
        keep(a.kind, raw);
        out.push(...send(fromWatch(a.kind, "MODIFIED", raw)));
      } else if (a.type === "delete") {
        store.delete(`${a.kind}:${a.namespace}/${a.name}`);
        out.push(...send({ type: "delete", kind: a.kind, namespace: a.namespace, name: a.name }));
      }
    }
    return out;
  };
  return {
    get state() {
      return state;
    },
    send,
    upsert: (kind, raw) => {
      keep(kind, raw);
      return send(fromWatch(kind, "ADDED", raw));
    },
    remove: (kind, namespace, name) => {
      store.delete(`${kind}:${namespace}/${name}`);
      return send({ type: "delete", kind, namespace, name });
    },
    sync: () => [
      ...send({ type: "synced", kind: "Service" }),
      ...send({ type: "synced", kind: "Pod" }),
      ...send({ type: "synced", kind: "EndpointSlice" }),
      ...send({ type: "synced", kind: "Node" }),
    ],
    at: (seconds) => send({ type: "tick", now: seconds * 1000 }),
    echo,
    settle: (actions) => {
      const all: Action[] = [];
      let pending = actions;
      for (let round = 0; round < 10 && writesOf(pending).length > 0; round++) {
        pending = echo(pending);
        all.push(...pending);
      }
      return all;
    },
    decision: (source) => mapGet(state.decisions, source),
    timer: (source) => mapGet(state.timers, source),
    objects: () => [...store.values()],
  };
}
