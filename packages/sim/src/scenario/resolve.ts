/**
 * From a decoded scenario file to a Scenario: defaults filled in, names qualified with their
 * namespace, and every reference between sections checked (a fault naming a Service that is not
 * there is an error naming the field, not a silent no-op at run time).
 */
import type { Kind } from "@zen-lead/core";
import { formatDuration } from "../time-format.ts";
import { POD_TEMPLATE } from "../world/world.ts";
import type { ExpectInput, FaultName, ScenarioInput, TimelineEntryInput } from "./schema.ts";
import { FAULT_NAMES } from "./schema.ts";
import type {
  BarePodSpec,
  ContainerPortSpec,
  DeploymentSpec,
  Expectations,
  Fault,
  NodeSpec,
  PodRef,
  Scenario,
  ServicePortSpec,
  ServiceSpec,
  StaticPodRef,
  TimelineEntry,
} from "./types.ts";

export type Path = readonly (string | number)[];
/** Raises the error for `path` (never returns). */
export type Fail = (path: Path, reason: string) => never;

export const DEFAULT_START = "2026-01-01T00:00:00Z";
export const DEFAULT_NODES: readonly NodeSpec[] = [
  { name: "node-1", zone: "zone-a" },
  { name: "node-2", zone: "zone-b" },
  { name: "node-3", zone: "zone-c" },
];
const DEFAULT_NAMESPACE = "default";
const DEFAULT_READY_AFTER_MS = 10_000;
const DEFAULT_GRACE_MS = 30_000;
const DEFAULT_AGE_MS = 3_600_000;

type Input<K extends keyof ScenarioInput> = NonNullable<ScenarioInput[K]>;

function containerPorts(ports: Input<"deployments">[number]["containerPorts"]): ContainerPortSpec[] {
  return (ports ?? []).map((p) => ({
    ...(p.name !== undefined ? { name: p.name } : {}),
    containerPort: p.containerPort,
    protocol: p.protocol ?? "TCP",
  }));
}

/** `ns/name` or `name` split; the namespace is undefined when not written. */
function splitRef(text: string): { namespace?: string; name: string } {
  const slash = text.indexOf("/");
  return slash < 0 ? { name: text } : { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
}

interface Named {
  readonly namespace: string;
  readonly name: string;
}

/** Resolves `name` / `ns/name` against objects of one kind: the qualified `ns/name`. */
function resolveRef(fail: Fail, path: Path, text: string, what: string, objects: readonly Named[]): string {
  const { namespace, name } = splitRef(text);
  const found = objects.filter(
    (o) => o.name === name && (namespace === undefined || o.namespace === namespace),
  );
  if (found.length === 0) return fail(path, `no ${what} "${text}" in the scenario`);
  if (found.length > 1) {
    const spaces = found.map((o) => o.namespace).join(", ");
    return fail(path, `${what} "${text}" is ambiguous (namespaces ${spaces}): write "namespace/${name}"`);
  }
  const only = found[0] as Named;
  return `${only.namespace}/${only.name}`;
}

/** Checks the `{{<deployment>#<n>}}` templates of annotation values against the Deployments. */
function checkTemplates(
  fail: Fail,
  path: Path,
  namespace: string,
  annotations: Readonly<Record<string, string | null>>,
  deployments: readonly DeploymentSpec[],
): void {
  for (const [key, value] of Object.entries(annotations)) {
    if (value === null) continue;
    for (const m of value.matchAll(POD_TEMPLATE)) {
      const ref = m[1] ?? "";
      const hash = ref.indexOf("#");
      const name = ref.slice(0, hash);
      if (hash < 0 || !/^\d+$/.test(ref.slice(hash + 1))) {
        fail([...path, key], `expected {{<deployment>#<n>}} in "${value}", got {{${ref}}}`);
      }
      if (!deployments.some((d) => d.namespace === namespace && d.name === name)) {
        fail([...path, key], `no deployment "${name}" in namespace ${namespace} (in ${m[0]})`);
      }
    }
  }
}

export function resolveScenario(input: ScenarioInput, file: string, epochMs: number, fail: Fail): Scenario {
  const nodes = resolveNodes(input, fail);
  const nodeNames = new Set(nodes.map((n) => n.name));
  const checkNode = (path: Path, name: string) => {
    if (!nodeNames.has(name)) fail(path, `no node "${name}" in the scenario`);
  };

  const deployments: DeploymentSpec[] = [];
  (input.deployments ?? []).forEach((d, i) => {
    const namespace = d.namespace ?? DEFAULT_NAMESPACE;
    if (deployments.some((o) => o.namespace === namespace && o.name === d.name)) {
      fail(["deployments", i, "name"], `duplicate deployment "${namespace}/${d.name}"`);
    }
    d.nodes?.forEach((n, j) => {
      checkNode(["deployments", i, "nodes", j], n);
    });
    const spread = d.nodes ?? nodes.map((n) => n.name);
    if (spread.length === 0 && d.replicas > 0) fail(["deployments", i], "no node to run on (nodes is empty)");
    deployments.push({
      namespace,
      name: d.name,
      replicas: d.replicas,
      labels: d.labels ?? { app: d.name },
      containerPorts: containerPorts(d.containerPorts),
      readyAfterMs: d.readyAfter ?? DEFAULT_READY_AFTER_MS,
      terminationGraceMs: d.terminationGrace ?? DEFAULT_GRACE_MS,
      nodes: spread,
      ageMs: d.age ?? DEFAULT_AGE_MS,
    });
  });

  const pods: BarePodSpec[] = [];
  (input.pods ?? []).forEach((p, i) => {
    const namespace = p.namespace ?? DEFAULT_NAMESPACE;
    if (pods.some((o) => o.namespace === namespace && o.name === p.name)) {
      fail(["pods", i, "name"], `duplicate pod "${namespace}/${p.name}"`);
    }
    if (p.node !== undefined) checkNode(["pods", i, "node"], p.node);
    const node = p.node ?? nodes[0]?.name ?? fail(["pods", i], "no node to run on (nodes is empty)");
    pods.push({
      namespace,
      name: p.name,
      labels: p.labels ?? {},
      node,
      containerPorts: containerPorts(p.containerPorts),
      ready: p.ready ?? true,
      phase: p.phase ?? "Running",
      ageMs: p.age ?? DEFAULT_AGE_MS,
      readyAfterMs: p.readyAfter ?? DEFAULT_READY_AFTER_MS,
    });
  });

  const services = resolveServices(input, fail);
  services.forEach((svc, i) => {
    checkTemplates(fail, ["services", i, "annotations"], svc.namespace, svc.annotations, deployments);
  });

  const serviceRef = (path: Path, text: string) => resolveRef(fail, path, text, "service", services);
  const deploymentRef = (path: Path, text: string) => resolveRef(fail, path, text, "deployment", deployments);
  const podRef = (path: Path, text: string): StaticPodRef => {
    const hash = text.indexOf("#");
    if (hash >= 0) {
      const deployment = deploymentRef(path, text.slice(0, hash));
      const { namespace, name } = splitRef(deployment);
      return {
        type: "ordinal",
        text,
        namespace: namespace ?? DEFAULT_NAMESPACE,
        deployment: name,
        ordinal: Number(text.slice(hash + 1)),
      };
    }
    const { namespace, name } = splitRef(text);
    // A bare pod is known now; a Deployment's pod gets its name when the run creates it.
    const bare = pods.filter(
      (p) => p.name === name && (namespace === undefined || p.namespace === namespace),
    );
    if (bare.length === 1 && bare[0] !== undefined)
      return { type: "name", text, namespace: bare[0].namespace, name };
    return { type: "name", text, ...(namespace !== undefined ? { namespace } : {}), name };
  };

  const target = (
    path: Path,
    t: { readonly pod?: string; readonly leaderOf?: string; readonly shorthand?: true },
  ): PodRef => {
    if (t.leaderOf !== undefined) {
      return { type: "leaderOf", text: t.leaderOf, service: serviceRef([...path, "leaderOf"], t.leaderOf) };
    }
    return podRef(t.shorthand ? path : [...path, "pod"], t.pod ?? "");
  };

  const timeline: TimelineEntry[] = (input.timeline ?? []).map((entry, index) => {
    const name = FAULT_NAMES.find((k) => entry[k] !== undefined) as FaultName;
    if (input.until !== undefined && entry.at > input.until) {
      fail(["timeline", index, "at"], `after the end of the run (until is ${formatDuration(input.until)})`);
    }
    const path: Path = ["timeline", index, name];
    const fault = resolveFault(entry, name, path, {
      deployments,
      fail,
      serviceRef,
      deploymentRef,
      target,
      checkNode,
    });
    return { at: entry.at, index, fault };
  });

  return {
    file,
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    seed: input.seed ?? 1,
    epochMs,
    ...(input.until !== undefined ? { untilMs: input.until } : {}),
    api: { watchLatencyMs: input.api?.watchLatency ?? 5, writeLatencyMs: input.api?.writeLatency ?? 5 },
    nodes,
    deployments,
    pods,
    services,
    timeline,
    expect: resolveExpect(input.expect ?? {}, serviceRef, podRef),
  };
}

function resolveNodes(input: ScenarioInput, fail: Fail): NodeSpec[] {
  if (input.nodes === undefined) return [...DEFAULT_NODES];
  const nodes: NodeSpec[] = [];
  input.nodes.forEach((n, i) => {
    if (nodes.some((o) => o.name === n.name)) fail(["nodes", i, "name"], `duplicate node "${n.name}"`);
    nodes.push({ name: n.name, ...(n.zone !== undefined ? { zone: n.zone } : {}) });
  });
  return nodes;
}

function resolveServices(input: ScenarioInput, fail: Fail): ServiceSpec[] {
  const services: ServiceSpec[] = [];
  (input.services ?? []).forEach((s, i) => {
    const namespace = s.namespace ?? DEFAULT_NAMESPACE;
    if (services.some((o) => o.namespace === namespace && o.name === s.name)) {
      fail(["services", i, "name"], `duplicate service "${namespace}/${s.name}"`);
    }
    const type = s.type ?? "ClusterIP";
    const headless = s.clusterIP === "None";
    const ports = s.ports ?? [];
    if (type === "ExternalName") {
      if (s.externalName === undefined) fail(["services", i], "type ExternalName needs externalName");
    } else {
      if (s.externalName !== undefined) fail(["services", i, "externalName"], "only for type ExternalName");
      // The API server refuses a non-headless Service without ports ("spec.ports: Required value").
      if (ports.length === 0 && !headless) {
        fail(["services", i], "a Service without ports must be headless (clusterIP: None)");
      }
      if (headless && type !== "ClusterIP")
        fail(["services", i, "clusterIP"], `a ${type} Service cannot be headless`);
    }
    const names = new Set<string>();
    ports.forEach((p, j) => {
      if (ports.length > 1 && (p.name ?? "") === "") {
        fail(["services", i, "ports", j, "name"], "required when a Service has more than one port");
      }
      if (p.name !== undefined) {
        if (names.has(p.name)) fail(["services", i, "ports", j, "name"], `duplicate port name "${p.name}"`);
        names.add(p.name);
      }
      if (p.nodePort !== undefined && type !== "NodePort" && type !== "LoadBalancer") {
        fail(["services", i, "ports", j, "nodePort"], "only for type NodePort or LoadBalancer");
      }
    });
    const resolvedPorts: ServicePortSpec[] = ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: p.protocol ?? "TCP",
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
    }));
    services.push({
      namespace,
      name: s.name,
      labels: s.labels ?? {},
      annotations: s.annotations ?? {},
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
      ports: resolvedPorts,
      type,
      headless,
      ipFamilies: s.ipFamilies ?? ["IPv4"],
      ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
    });
  });
  return services;
}

interface FaultContext {
  readonly deployments: readonly DeploymentSpec[];
  readonly fail: Fail;
  readonly serviceRef: (path: Path, text: string) => string;
  readonly deploymentRef: (path: Path, text: string) => string;
  readonly target: (
    path: Path,
    t: { readonly pod?: string; readonly leaderOf?: string; readonly shorthand?: true },
  ) => PodRef;
  readonly checkNode: (path: Path, name: string) => void;
}

function resolveFault(entry: TimelineEntryInput, name: FaultName, path: Path, cx: FaultContext): Fault {
  switch (name) {
    case "crashLeader": {
      return { type: "crashLeader", service: cx.serviceRef(path, entry.crashLeader ?? "") };
    }
    case "stripLabels":
      return { type: "stripLabels", service: cx.serviceRef(path, entry.stripLabels ?? "") };
    case "deletePod": {
      const d = entry.deletePod ?? {};
      return { type: "deletePod", target: cx.target(path, d), graceMs: d.grace ?? DEFAULT_GRACE_MS };
    }
    case "readiness": {
      const r = entry.readiness ?? { ready: true };
      return { type: "readiness", target: cx.target(path, r), ready: r.ready };
    }
    case "flap": {
      const f = entry.flap ?? { times: 1, every: 1000 };
      return { type: "flap", target: cx.target(path, f), times: f.times, everyMs: f.every };
    }
    case "rollingUpdate":
      return { type: "rollingUpdate", deployment: cx.deploymentRef(path, entry.rollingUpdate ?? "") };
    case "drainNode": {
      const d = entry.drainNode ?? { node: "" };
      cx.checkNode(d.shorthand ? path : [...path, "node"], d.node);
      return { type: "drainNode", node: d.node, ...(d.grace !== undefined ? { graceMs: d.grace } : {}) };
    }
    case "annotate": {
      const a = entry.annotate ?? { service: "", annotations: {} };
      const service = cx.serviceRef([...path, "service"], a.service);
      const namespace = service.slice(0, service.indexOf("/"));
      checkTemplates(cx.fail, [...path, "annotations"], namespace, a.annotations, cx.deployments);
      return { type: "annotate", service, annotations: a.annotations };
    }
    case "restartController":
      return { type: "restartController" };
    case "watchGap": {
      const w = entry.watchGap ?? { kind: "Pod", for: 1000 };
      return { type: "watchGap", kind: w.kind as Kind, forMs: w.for };
    }
    case "apiLatency": {
      const l = entry.apiLatency ?? {};
      return {
        type: "apiLatency",
        ...(l.write !== undefined ? { writeMs: l.write } : {}),
        ...(l.watch !== undefined ? { watchMs: l.watch } : {}),
      };
    }
    case "apiFailures": {
      const f = entry.apiFailures ?? { rate: 0 };
      return {
        type: "apiFailures",
        rate: f.rate,
        codes: f.codes ?? [500],
        ...(f.for !== undefined ? { forMs: f.for } : {}),
      };
    }
    case "scale": {
      const s = entry.scale ?? { deployment: "", replicas: 0 };
      return {
        type: "scale",
        deployment: cx.deploymentRef([...path, "deployment"], s.deployment),
        replicas: s.replicas,
      };
    }
  }
}

function resolveExpect(
  e: ExpectInput,
  serviceRef: (path: Path, text: string) => string,
  podRef: (path: Path, text: string) => StaticPodRef,
): Expectations {
  return {
    ...(e.noViolations !== undefined ? { noViolations: e.noViolations } : {}),
    leaderAt: (e.leaderAt ?? []).map((l, i) => ({
      at: l.at,
      service: serviceRef(["expect", "leaderAt", i, "service"], l.service),
      pod: l.pod === null ? null : podRef(["expect", "leaderAt", i, "pod"], l.pod),
    })),
    leaderOneOf: (e.leaderOneOf ?? []).map((l, i) => ({
      at: l.at,
      service: serviceRef(["expect", "leaderOneOf", i, "service"], l.service),
      pods: l.pods.map((p, j) => podRef(["expect", "leaderOneOf", i, "pods", j], p)),
    })),
    failovers: (e.failovers ?? []).map((f, i) => ({
      service: serviceRef(["expect", "failovers", i, "service"], f.service),
      ...(f.count !== undefined ? { count: f.count } : {}),
      ...(f.atLeast !== undefined ? { atLeast: f.atLeast } : {}),
      ...(f.atMost !== undefined ? { atMost: f.atMost } : {}),
      ...(f.maxLatency !== undefined ? { maxLatencyMs: f.maxLatency } : {}),
    })),
    warnings: (e.warnings ?? []).map((w, i) => ({
      service: serviceRef(["expect", "warnings", i, "service"], w.service),
      reason: w.reason,
    })),
    noWarnings: (e.noWarnings ?? []).map((s, i) => serviceRef(["expect", "noWarnings", i], s)),
    writesAtMost: (e.writesAtMost ?? []).map((w) => ({
      count: w.count,
      ...(w.from !== undefined ? { fromMs: w.from } : {}),
      ...(w.to !== undefined ? { toMs: w.to } : {}),
    })),
  };
}
