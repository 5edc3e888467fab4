/**
 * One realistic pod for the benches that measure what pods cost zen-lead (issue 13 §3, §4): sized
 * like a real Deployment's pod — labels and annotations a chart sets, an app container and a proxy
 * sidecar with env, probes, resources, security context, volumes, anti-affinity. `podManifest` is
 * what the scale bench creates on the real API server; `podAsServed` is that pod as the API server
 * then serves it (its defaults, the service-account token volume, managedFields of the creator and
 * of kwok, the status kwok writes), for the list-memory bench's fixture server. The scale bench
 * prints the size of a pod read back from the real server beside `podAsServed`'s.
 */

/** Where a pod belongs: its Service's app name (its `app` label), its own name, node, team. */
export interface PodPlace {
  readonly app: string;
  readonly name: string;
  readonly node: string;
  /** 0..16: the `team` label (a chart's extra labels). */
  readonly team: number;
}

/** The server-side figures of a served pod: namespace, a serial number for uid, IP and resourceVersion. */
export interface Served {
  readonly namespace: string;
  readonly serial: number;
}

const env = (app: string, prefix: string, n: number) =>
  Array.from({ length: n }, (_, k) => ({ name: `${prefix}_SETTING_${k}`, value: `value-${k}-${app}` }));

const probe = (path: string) => ({
  httpGet: { path, port: "http", scheme: "HTTP" },
  initialDelaySeconds: 5,
  periodSeconds: 10,
  timeoutSeconds: 2,
  successThreshold: 1,
  failureThreshold: 3,
});

/** The pod as a Deployment would make it, minus the owner (the garbage collector would delete it). */
export function podManifest({ app, name, node, team }: PodPlace) {
  return {
    metadata: {
      name,
      labels: {
        app,
        "pod-template-hash": "7c9f8d6b5",
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/version": "1.24.3",
        "app.kubernetes.io/part-of": "scale-bench",
        team: `team-${team}`,
      },
      annotations: {
        "kubectl.kubernetes.io/restartedAt": "2026-11-01T10:00:00Z",
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9090",
        "checksum/config": "5d41402abc4b2a76b9719d911017c592a5d41402abc4b2a76b9719d911017c592",
      },
    },
    spec: {
      nodeName: node,
      serviceAccountName: "default",
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: "app",
          image: `registry.invalid/${app}:1.24.3`,
          ports: [
            { name: "http", containerPort: 8080, protocol: "TCP" },
            { name: "metrics", containerPort: 9090, protocol: "TCP" },
          ],
          env: env(app, "APP", 12),
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
          readinessProbe: probe("/ready"),
          livenessProbe: probe("/healthz"),
          volumeMounts: [
            { name: "config", mountPath: "/etc/app" },
            { name: "tmp", mountPath: "/tmp" },
          ],
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
        {
          name: "proxy",
          image: "registry.invalid/proxy:2.1.0",
          args: ["--listen=:15001", "--upstream=127.0.0.1:8080", "--log-level=info"],
          env: env(app, "PROXY", 6),
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        },
      ],
      volumes: [
        { name: "config", configMap: { name: `${app}-config` } },
        { name: "tmp", emptyDir: {} },
      ],
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app } },
                topologyKey: "kubernetes.io/hostname",
              },
            },
          ],
        },
      },
    },
  };
}

/** A list item's merge key in a field set (`k:{...}`), as the API server names it; none: an atomic list. */
function itemKey(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  for (const keys of [["containerPort", "protocol"], ["mountPath"], ["name"], ["type"], ["ip"]]) {
    if (keys.every((k) => k in item))
      return `k:${JSON.stringify(Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown>)[k]])))}`;
  }
  return undefined;
}

/** Fields whose node the API server does not mark as set itself (no `"."`): the object's top level, containers. */
const UNMARKED: ReadonlySet<string> = new Set(["metadata", "spec", "status", "containers"]);

/**
 * The FieldsV1 set of `value`'s fields as managedFields records them: `f:field` per field, `k:{...}`
 * per item of a keyed list, `{}` for scalars, atomic lists (no merge key) and empty objects.
 */
function fieldSet(value: object, atomic: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const mark = UNMARKED.has(key) ? {} : { ".": {} };
    if (atomic.has(key) || typeof child !== "object" || child === null || Object.keys(child).length === 0) {
      out[`f:${key}`] = {};
    } else if (Array.isArray(child)) {
      const keyed = child.map((c) => [itemKey(c), c] as const);
      out[`f:${key}`] = keyed.every(([k]) => k !== undefined)
        ? { ...mark, ...Object.fromEntries(keyed.map(([k, c]) => [k, { ".": {}, ...fieldSet(c, atomic) }])) }
        : {};
    } else out[`f:${key}`] = { ...mark, ...fieldSet(child, atomic) };
  }
  return out;
}

/** A managedFields entry: `manager` last wrote `fields` with an Update. */
const managed = (manager: string, fields: object, time: string, subresource?: string) => ({
  manager,
  operation: "Update",
  apiVersion: "v1",
  time,
  fieldsType: "FieldsV1",
  fieldsV1: fields,
  ...(subresource === undefined ? {} : { subresource }),
});

const TOKEN_VOLUME = "kube-api-access-7x2kq";

/**
 * `podManifest(place)` as the API server serves it once kwok runs it (checked against a real one:
 * the scale bench prints both sizes): uid, resourceVersion, creationTimestamp; the server's spec
 * defaults, which the creator's managedFields entry owns; what admission adds (the projected
 * service-account token volume and its mounts, tolerations, priority), which nobody's entry owns;
 * kwok's Running, Ready status and its entry (the status subresource).
 */
export function podAsServed(place: PodPlace, { namespace, serial }: Served) {
  const manifest = podManifest(place);
  const { labels, annotations } = manifest.metadata;
  const time = "2026-11-29T10:00:00Z";
  const ip = `10.${(serial >> 16) & 255}.${(serial >> 8) & 255}.${serial & 255}`;
  const defaulted = {
    metadata: manifest.metadata,
    spec: {
      ...manifest.spec,
      containers: manifest.spec.containers.map((c) => ({
        ...c,
        imagePullPolicy: "IfNotPresent",
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
      })),
      volumes: manifest.spec.volumes.map((v) =>
        "configMap" in v ? { ...v, configMap: { ...v.configMap, defaultMode: 420 } } : v,
      ),
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      serviceAccount: "default",
      securityContext: {},
      schedulerName: "default-scheduler",
      enableServiceLinks: true,
    },
  };
  const status = {
    phase: "Running",
    conditions: ["Initialized", "Ready", "ContainersReady"].map((type) => ({
      type,
      status: "True",
      lastProbeTime: null,
      lastTransitionTime: time,
    })),
    hostIP: "10.0.0.1",
    hostIPs: [{ ip: "10.0.0.1" }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: time,
    containerStatuses: manifest.spec.containers.map((c) => ({
      name: c.name,
      state: { running: { startedAt: time } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: "",
    })),
  };
  // Recorded as atomic by the API server: no entry per item.
  const atomic = new Set(["preferredDuringSchedulingIgnoredDuringExecution", "containerStatuses", "hostIPs"]);
  const tokenMount = {
    name: TOKEN_VOLUME,
    readOnly: true,
    mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
  };
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      ...manifest.metadata,
      namespace,
      uid: `00000000-0000-4000-8000-${String(serial).padStart(12, "0")}`,
      resourceVersion: String(1000 + serial),
      generation: 1,
      creationTimestamp: time,
      managedFields: [
        managed("kwok", { "f:status": fieldSet(status, atomic) }, time, "status"),
        // The name is the object's identity: no manager owns it.
        managed("scale-bench", fieldSet({ ...defaulted, metadata: { labels, annotations } }, atomic), time),
      ],
    },
    spec: {
      ...defaulted.spec,
      containers: defaulted.spec.containers.map((c) => ({
        ...c,
        volumeMounts: [...(("volumeMounts" in c && c.volumeMounts) || []), tokenMount],
      })),
      volumes: [
        ...defaulted.spec.volumes,
        {
          name: TOKEN_VOLUME,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              {
                downwardAPI: {
                  items: [
                    { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
                  ],
                },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      tolerations: ["not-ready", "unreachable"].map((taint) => ({
        key: `node.kubernetes.io/${taint}`,
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      })),
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: { ...status, qosClass: "Burstable" },
  };
}
