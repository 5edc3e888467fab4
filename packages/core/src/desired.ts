/**
 * The objects zen-lead wants for one source Service: the selector-less leader Service and one
 * EndpointSlice per IP family. They are views of the same shape decoding produces, so "does the
 * cluster already match?" is a field-by-field comparison (matches.ts).
 */
import type { LeaderRecord } from "./elect.ts";
import { ANNOTATIONS, LABELS, MANAGED_BY, SLICE_MANAGED_BY } from "./labels.ts";
import { leaderSliceName } from "./names.ts";
import type { Warning } from "./reasons.ts";
import { formatTimestamp } from "./time.ts";
import type { EndpointView, IpFamily, PodView, ServicePort, ServiceView, SlicePort } from "./views.ts";

export interface DesiredService {
  readonly kind: "Service";
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly owner: SourceRef;
  readonly headless: boolean;
  readonly ipFamilies: readonly IpFamily[];
  readonly ipFamilyPolicy?: string;
  readonly ports: readonly ServicePort[];
}

export interface DesiredSlice {
  readonly kind: "EndpointSlice";
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: SourceRef;
  readonly addressType: IpFamily;
  readonly endpoints: readonly EndpointView[];
  readonly ports: readonly SlicePort[];
}

export type DesiredObject = DesiredService | DesiredSlice;

export interface SourceRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export function sourceRef(svc: ServiceView): SourceRef {
  return { namespace: svc.namespace, name: svc.name, uid: svc.uid };
}

/** Container port of the leader for one Service port; undefined when a named port does not resolve. */
function resolveTargetPort(port: ServicePort, pod: PodView): number | undefined {
  if (typeof port.targetPort === "number") return port.targetPort;
  // A numeric string is how some clients send an int-or-string port.
  if (/^\d+$/.test(port.targetPort)) return Number(port.targetPort);
  const match = pod.containerPorts.find((c) => c.name === port.targetPort && c.protocol === port.protocol);
  return match?.containerPort;
}

/** The IP families a source's leader needs slices for: its own, IPv4 when it names none. */
export function familiesOf(source: ServiceView): readonly IpFamily[] {
  return source.ipFamilies.length > 0 ? source.ipFamilies : IPV4_ONLY;
}
const IPV4_ONLY: readonly IpFamily[] = ["IPv4"];

function familyOf(ip: string): IpFamily {
  return ip.includes(":") ? "IPv6" : "IPv4";
}

export interface DesiredInput {
  readonly source: ServiceView;
  readonly leaderServiceName: string;
  readonly leader: LeaderRecord | undefined;
  readonly leaderPod: PodView | undefined;
  readonly leaderZone: string | undefined;
}

export interface DesiredResult {
  readonly objects: readonly DesiredObject[];
  readonly warnings: readonly Warning[];
}

export function desiredObjects(input: DesiredInput): DesiredResult {
  const { source, leaderServiceName, leader, leaderPod } = input;
  const owner = sourceRef(source);
  const warnings: Warning[] = [];
  const families = familiesOf(source);
  const ownLabels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.sourceService]: source.name };

  const service: DesiredService = {
    kind: "Service",
    namespace: source.namespace,
    name: leaderServiceName,
    labels: ownLabels,
    annotations:
      leader === undefined
        ? {}
        : {
            [ANNOTATIONS.leaderPod]: leader.podName,
            [ANNOTATIONS.leaderPodUid]: leader.podUid,
            [ANNOTATIONS.leaderSince]: formatTimestamp(leader.since),
            [ANNOTATIONS.leaderReason]: leader.reason,
          },
    owner,
    headless: source.headless,
    ipFamilies: source.ipFamilies,
    ...(source.ipFamilyPolicy !== undefined ? { ipFamilyPolicy: source.ipFamilyPolicy } : {}),
    ports: source.ports,
  };

  // Ports of the slice: the leader's container port for each Service port. Fail closed (no
  // endpoint) when a named targetPort does not resolve on the leader.
  let slicePorts: SlicePort[] = [];
  let endpointPod = leaderPod;
  if (leaderPod !== undefined) {
    for (const port of source.ports) {
      const resolved = resolveTargetPort(port, leaderPod);
      if (resolved === undefined) {
        warnings.push({
          reason: "NamedPortUnresolved",
          message: `targetPort ${JSON.stringify(port.targetPort)} of port ${port.name || port.port} is not a ${port.protocol} container port of leader ${leaderPod.name}; publishing no endpoint`,
        });
        endpointPod = undefined;
        continue;
      }
      slicePorts.push({
        name: port.name,
        protocol: port.protocol,
        ...(port.appProtocol !== undefined ? { appProtocol: port.appProtocol } : {}),
        port: resolved,
      });
    }
  }
  if (endpointPod === undefined) {
    // With no endpoint the ports still say what the Service serves; numbers stay as declared.
    slicePorts = source.ports.map((p) => ({
      name: p.name,
      protocol: p.protocol,
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
      port: typeof p.targetPort === "number" ? p.targetPort : p.port,
    }));
  }

  const slices: DesiredSlice[] = families.map((family) => {
    const address = endpointPod?.ips.find((ip) => familyOf(ip) === family);
    const endpoints: EndpointView[] =
      endpointPod === undefined || address === undefined
        ? []
        : [
            {
              addresses: [address],
              ready: true,
              serving: true,
              terminating: false,
              podName: endpointPod.name,
              podUid: endpointPod.uid,
              ...(endpointPod.nodeName !== undefined ? { nodeName: endpointPod.nodeName } : {}),
              ...(input.leaderZone !== undefined ? { zone: input.leaderZone } : {}),
            },
          ];
    return {
      kind: "EndpointSlice",
      namespace: source.namespace,
      name: leaderSliceName(leaderServiceName, family),
      labels: {
        ...ownLabels,
        [LABELS.serviceName]: leaderServiceName,
        [LABELS.sliceManagedBy]: SLICE_MANAGED_BY,
      },
      owner,
      addressType: family,
      endpoints,
      ports: slicePorts,
    };
  });

  if (endpointPod !== undefined) {
    const missing = slices.find((slice) => slice.endpoints.length === 0);
    if (missing !== undefined) warnings.push(noAddressOf(endpointPod, missing, families.length));
  }
  return { objects: [service, ...slices], warnings };
}

/**
 * `NoAddressOfFamily`: the leader has no IP of the family of `slice` (of the source's `families`
 * families; a leader, being a candidate, has at least one IP, so it lacks at most one of them).
 */
function noAddressOf(leader: PodView, slice: DesiredSlice, families: number): Warning {
  const family = slice.addressType;
  const what =
    families === 1
      ? "the leader Service reaches no pod"
      : `the leader Service's ${family} address reaches no pod (the other family's does)`;
  return {
    reason: "NoAddressOfFamily",
    message: `leader ${leader.name} has no ${family} address (pod IPs: ${leader.ips.join(", ")}), so EndpointSlice ${slice.name} has no endpoint: ${what}`,
  };
}
