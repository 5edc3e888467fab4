/**
 * The core's whole memory: what it observed (as views), the indexes that route an event to the
 * few Services it concerns, and its decisions. Immutable: persistent maps share structure, so
 * each `step` copies only the paths it touches.
 */

import type { SourceConfig } from "./config.ts";
import type { DesiredObject, SourceRef } from "./desired.ts";
import type { LeaderRecord } from "./elect.ts";
import { emptyMap, mapGet, type PersistentMap } from "./persistent-map.ts";
import type { OwnedView } from "./plan.ts";
import type { LeaderReason, Warning } from "./reasons.ts";
import type { SelectorIndex } from "./selector-index.ts";
import type { DecodeFailure, EndpointSliceView, Kind, NodeView, PodView, ServiceView } from "./views.ts";

/**
 * What a decision's desired objects were computed from: while all of it is unchanged, they are
 * reused. Only a decision whose name-collision check passed has one.
 */
export interface DecisionBasis {
  readonly service: ServiceView;
  readonly config: SourceConfig;
  readonly leader: LeaderRecord | undefined;
  readonly leaderPod: PodView | undefined;
  readonly zone: string | undefined;
  readonly desiredWarnings: readonly Warning[];
  /** The member list decided on; the decision's `candidates` counts its candidates. */
  readonly members: readonly PodView[];
}

/** The outcome for one source Service: who leads, why, and what objects that needs. */
export interface Decision {
  readonly source: SourceRef;
  readonly optedIn: boolean;
  readonly leaderServiceName?: string;
  readonly leader?: LeaderRecord;
  /** The leader going into this decision (remembered, or read back after a restart). */
  readonly previousLeader?: LeaderRecord;
  /** Why the previous leader had to go, when there is no new one to say it. */
  readonly lost?: LeaderReason;
  /** Ready candidates among the Service's pods. */
  readonly candidates: number;
  readonly warnings: readonly Warning[];
  /**
   * When this decision must be made again although nothing changes (epoch ms): the earliest time a
   * pod waiting out `min-ready-duration` becomes eligible. The source's timer (timers.ts) holds it.
   */
  readonly wakeAt?: number;
  /** Objects wanted. Undefined: make no writes at all (the source itself could not be read). */
  readonly desired: readonly DesiredObject[] | undefined;
  readonly basis?: DecisionBasis;
}

/** A write the core asked for whose result it has not yet observed. */
export interface Inflight {
  /** What the write does: `create`, `update:<uid>` or `delete:<uid>`. */
  readonly request: string;
  /** The content it writes (undefined for a delete): the same write is this object, or an equal one. */
  readonly desired: DesiredObject | undefined;
  /** When it was asked for, epoch ms. */
  readonly at: number;
  /**
   * When the same write may be asked for again, epoch ms (`at` plus the suppression window, which
   * doubles with `repeats`); the source's timer wakes it then (timers.ts).
   */
  readonly retryAt: number;
  /** The observed object it was planned against (undefined: nothing was observed, a create). */
  readonly basis: OwnedView | undefined;
  /** How often this same write was asked for again against the same observation (0: once). */
  readonly repeats: number;
}

export type KeySet = PersistentMap<true>;

/**
 * Everything `step` knows, as an immutable record: build it with `initialState`, change it only
 * through `step`/`advance` (which return a new one and leave this one valid). Times are epoch ms
 * taken from events (`tick`), never from a clock. Keys are `namespace/name` unless said otherwise.
 */
export interface State {
  /** The time of the latest event, epoch ms. */
  readonly now: number;
  /** Whether the shell performs this fold's writes (the `leadership` event); true by default. */
  readonly leading: boolean;
  readonly synced: ReadonlySet<Kind>;
  /** All Services, by `namespace/name`: sources, zen-lead's leader Services, and others. */
  readonly services: PersistentMap<ServiceView>;
  /** Pods by namespace, then name. */
  readonly pods: PersistentMap<PersistentMap<PodView>>;
  /** zen-lead's EndpointSlices, by `namespace/name`. */
  readonly slices: PersistentMap<EndpointSliceView>;
  readonly nodes: PersistentMap<NodeView>;
  /** Objects that failed to decode, by `Kind:namespace/name`. */
  readonly failures: PersistentMap<DecodeFailure>;
  /**
   * namespace -> key -> value (one pair of each selector) -> the sources indexed under that pair,
   * each with its selector, so routing a pod reads no Service (selector-index.ts).
   */
  readonly selectorIndex: SelectorIndex;
  /**
   * source -> the pods its selector matches, sorted by name. An array, copied on change: decide
   * reads every member anyway, so keeping the views here saves a look-up per pod per decision.
   */
  readonly members: PersistentMap<readonly PodView[]>;
  /** source -> `Kind:namespace/name` of the owned objects labelled as serving it. */
  readonly owned: PersistentMap<KeySet>;
  /** `namespace/leaderName` -> sources that want that leader Service name. */
  readonly claims: PersistentMap<KeySet>;
  readonly decisions: PersistentMap<Decision>;
  /** source -> when to look at it again. */
  readonly timers: PersistentMap<number>;
  /**
   * No timer is due before this (Infinity: none). A tick before it costs nothing, however many
   * timers wait; it may be early (a timer was dropped), never late.
   */
  readonly nextTimerAt: number;
  /** `Kind:namespace/name` -> the last write asked for it, until it is observed. */
  readonly inflight: PersistentMap<Inflight>;
}

/** Key of a decode failure in `State.failures`: `Kind:namespace/name` (`key` is the object key). */
export function failureKey(kind: Kind, key: string): string {
  return `${kind}:${key}`;
}

/** The decode failure recorded for an object, if any. Builds no key while there are none (as usual). */
export function failureOf(state: State, kind: Kind, key: string): DecodeFailure | undefined {
  return state.failures.size === 0 ? undefined : mapGet(state.failures, failureKey(kind, key));
}

/** The pod `namespace/name` in the state's view, if it has one. */
export function podOf(state: State, namespace: string, name: string): PodView | undefined {
  const pods = mapGet(state.pods, namespace);
  return pods === undefined ? undefined : mapGet(pods, name);
}

/** An empty state at `now` (epoch ms; default 0): nothing listed, leading, no decisions, no timers. */
export function initialState(now = 0): State {
  return {
    now,
    leading: true,
    synced: new Set(),
    services: emptyMap(),
    pods: emptyMap(),
    slices: emptyMap(),
    nodes: emptyMap(),
    failures: emptyMap(),
    selectorIndex: emptyMap(),
    members: emptyMap(),
    owned: emptyMap(),
    claims: emptyMap(),
    decisions: emptyMap(),
    timers: emptyMap(),
    nextTimerAt: Number.POSITIVE_INFINITY,
    inflight: emptyMap(),
  };
}
