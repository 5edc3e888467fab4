/**
 * The scenario file's shape (docs/scenarios.md), as io-ts codecs built from codec.ts. Decoding
 * checks types, ranges and keys only; references between sections (a fault naming a Service) are
 * checked afterwards by resolve.ts, which also fills in defaults.
 */
import type * as t from "io-ts";
import {
  annotationPatch,
  bool,
  byShape,
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  duration,
  int,
  isRecord,
  leaf,
  list,
  literalTrue,
  map,
  oneOf,
  oneOfNumbers,
  positiveDuration,
  rate,
  refine,
  str,
  stringMap,
  struct,
  timestamp,
} from "./codec.ts";

const port = int(1, 65535, "a port (1-65535)");
const protocol = oneOf(["TCP", "UDP", "SCTP"]);

/** `name` or `namespace/name`. */
const REF = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const objectRef = (what: string) =>
  leaf(`a ${what} name or "namespace/name"`, (u) => (typeof u === "string" && REF.test(u) ? u : undefined));
const serviceRef = objectRef("service");
const deploymentRef = objectRef("deployment");
const nodeRef = leaf("a node name", (u) => (typeof u === "string" && u !== "" ? u : undefined));

/** A pod: its name, `namespace/name`, or `<deployment>#<n>` (the n-th pod that Deployment created). */
const POD_REF = /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?(#\d+)?$/;
export const podRef = leaf('a pod name or "<deployment>#<n>"', (u) =>
  typeof u === "string" && POD_REF.test(u) ? u : undefined,
);

const containerPort = struct("a container port", { containerPort: port }, { name: str, protocol });

const nodeC = struct("a node", { name: dns1123Subdomain }, { zone: str });

const deploymentC = struct(
  "a deployment",
  { name: dns1123Label, replicas: int(0, 1000) },
  {
    namespace: dns1123Label,
    labels: stringMap(),
    containerPorts: list(containerPort),
    readyAfter: duration,
    terminationGrace: duration,
    nodes: list(nodeRef, 1),
    age: duration,
  },
);

const podC = struct(
  "a pod",
  { name: dns1123Subdomain },
  {
    namespace: dns1123Label,
    labels: stringMap(),
    node: nodeRef,
    containerPorts: list(containerPort),
    ready: bool,
    phase: oneOf(["Pending", "Running", "Succeeded", "Failed", "Unknown"]),
    age: duration,
    readyAfter: duration,
  },
);

const targetPort = byShape<number | string>("a port number or a port name", [
  { when: (u) => typeof u === "number", codec: port },
  {
    when: (u) => typeof u === "string",
    codec: leaf("a port name", (u) => (u !== "" ? (u as string) : undefined)),
  },
]);

const servicePort = struct(
  "a service port",
  { port },
  {
    name: str,
    targetPort,
    protocol,
    appProtocol: str,
    nodePort: int(30000, 32767, "a node port (30000-32767)"),
  },
);

const serviceC = struct(
  "a service",
  { name: dns1035Label },
  {
    namespace: dns1123Label,
    labels: stringMap(),
    annotations: stringMap(),
    selector: stringMap(),
    ports: list(servicePort),
    type: oneOf(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
    clusterIP: leaf('"None" (headless)', (u) => (u === "None" ? "None" : undefined)),
    ipFamilies: refine(list(oneOf(["IPv4", "IPv6"]), 1), (fs) =>
      fs.length > 2 || new Set(fs).size !== fs.length ? "expected IPv4, IPv6 or both, each once" : undefined,
    ),
    externalName: str,
  },
);

/** A target given as `{pod: ...}` or `{leaderOf: ...}`: exactly one of them. */
function targeted<R extends Record<string, t.Mixed>, O extends Record<string, t.Mixed>>(
  name: string,
  required: R,
  optional: O,
) {
  return refine(struct(name, required, { pod: podRef, leaderOf: serviceRef, ...optional }), (v) => {
    const r = v as { pod?: unknown; leaderOf?: unknown };
    if (r.pod !== undefined && r.leaderOf !== undefined) return "give pod or leaderOf, not both";
    if (r.pod === undefined && r.leaderOf === undefined) return "needs pod or leaderOf";
    return undefined;
  });
}

/** `shorthand`: the file gave just a name (messages then point at the fault, not at `.pod`). */
const deletePodC = byShape<{
  readonly pod?: string;
  readonly leaderOf?: string;
  readonly grace?: number;
  readonly shorthand?: true;
}>("a pod name or {pod|leaderOf, grace}", [
  { when: (u) => typeof u === "string", codec: map(podRef, (pod) => ({ pod, shorthand: true as const })) },
  { when: isRecord, codec: targeted("{pod|leaderOf, grace}", {}, { grace: duration }) },
]);

const drainNodeC = byShape<{ readonly node: string; readonly grace?: number; readonly shorthand?: true }>(
  "a node name or {node, grace}",
  [
    {
      when: (u) => typeof u === "string",
      codec: map(nodeRef, (node) => ({ node, shorthand: true as const })),
    },
    { when: isRecord, codec: struct("{node, grace}", { node: nodeRef }, { grace: duration }) },
  ],
);

const watchKind = oneOf(["Service", "Pod", "EndpointSlice", "Node"]);
const failureCode = oneOfNumbers([409, 429, 500]);

export const FAULTS = {
  crashLeader: serviceRef,
  stripLabels: serviceRef,
  deletePod: deletePodC,
  readiness: targeted("{pod|leaderOf, ready}", { ready: bool }, {}),
  flap: targeted("{pod|leaderOf, times, every}", { times: int(1, 1000), every: positiveDuration }, {}),
  rollingUpdate: deploymentRef,
  drainNode: drainNodeC,
  annotate: struct("{service, annotations}", { service: serviceRef, annotations: annotationPatch }, {}),
  restartController: literalTrue,
  watchGap: struct("{kind, for}", { kind: watchKind, for: positiveDuration }, {}),
  apiLatency: refine(struct("{write, watch}", {}, { write: duration, watch: duration }), (v) =>
    v.write === undefined && v.watch === undefined ? "needs write, watch or both" : undefined,
  ),
  apiFailures: struct("{rate, codes, for}", { rate }, { codes: list(failureCode, 1), for: positiveDuration }),
  scale: struct("{deployment, replicas}", { deployment: deploymentRef, replicas: int(0, 1000) }, {}),
} as const;
export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

const timelineEntry = refine(struct("a timeline entry", { at: duration }, FAULTS), (entry) => {
  const given = FAULT_NAMES.filter((k) => (entry as Record<string, unknown>)[k] !== undefined);
  if (given.length === 0) return `expected one fault (${FAULT_NAMES.join(", ")})`;
  if (given.length > 1) return `one fault per entry, got ${given.join(" and ")}`;
  return undefined;
});

const noLeader = leaf("null (no leader)", (u) => (u === null ? null : undefined));

const failoverExpectation = refine(
  struct(
    "{service, count, atLeast, atMost, maxLatency}",
    { service: serviceRef },
    { count: int(0), atLeast: int(0), atMost: int(0), maxLatency: duration },
  ),
  (v) =>
    v.count === undefined && v.atLeast === undefined && v.atMost === undefined && v.maxLatency === undefined
      ? "needs count, atLeast, atMost or maxLatency"
      : undefined,
);

const writesWindow = byShape<{ readonly count: number; readonly from?: number; readonly to?: number }>(
  "a count or {count, from, to}",
  [
    { when: (u) => typeof u === "number", codec: map(int(0), (count) => ({ count })) },
    {
      when: () => true,
      codec: struct("{count, from, to}", { count: int(0) }, { from: duration, to: duration }),
    },
  ],
);

const expectC = struct(
  "expectations",
  {},
  {
    noViolations: bool,
    leaderAt: list(
      struct(
        "{at, service, pod}",
        {
          at: duration,
          service: serviceRef,
          pod: byShape<string | null>("a pod or null", [
            { when: (u) => u === null, codec: noLeader },
            { when: () => true, codec: podRef },
          ]),
        },
        {},
      ),
    ),
    leaderOneOf: list(
      struct("{at, service, pods}", { at: duration, service: serviceRef, pods: list(podRef, 1) }, {}),
    ),
    failovers: byShape<readonly t.TypeOf<typeof failoverExpectation>[]>(
      "a failover expectation or a list of them",
      [
        { when: Array.isArray, codec: list(failoverExpectation) },
        { when: () => true, codec: map(failoverExpectation, (f) => [f]) },
      ],
    ),
    warnings: list(struct("{service, reason}", { service: serviceRef, reason: str }, {})),
    noWarnings: list(serviceRef),
    writesAtMost: byShape<
      readonly { readonly count: number; readonly from?: number; readonly to?: number }[]
    >("a count, {count, from, to} or a list of them", [
      { when: Array.isArray, codec: list(writesWindow) },
      { when: () => true, codec: map(writesWindow, (w) => [w]) },
    ]),
  },
);

export const scenarioC = struct(
  "a scenario (a YAML map)",
  { name: str },
  {
    description: str,
    seed: int(0, 0xffffffff),
    start: timestamp,
    until: positiveDuration,
    api: struct("{watchLatency, writeLatency}", {}, { watchLatency: duration, writeLatency: duration }),
    nodes: list(nodeC),
    deployments: list(deploymentC),
    pods: list(podC),
    services: list(serviceC),
    timeline: list(timelineEntry),
    expect: expectC,
  },
);

/** A scenario file as decoded (before references are checked and defaults filled in). */
export type ScenarioInput = t.TypeOf<typeof scenarioC>;
export type TimelineEntryInput = t.TypeOf<typeof timelineEntry>;
export type ExpectInput = t.TypeOf<typeof expectC>;
