/**
 * One realistic pod for the benches that measure what pods cost zen-lead (issue 13 §3, §4): sized
 * like a real Deployment's pod — labels and annotations a chart sets, an app container and a proxy
 * sidecar with env, probes, resources, security context, volumes, anti-affinity. `podManifest` is
 * what the scale bench creates on the real API server; `podAsServed` is that pod as the API server
 * then serves it (its defaults, the service-account token volume, managedFields of the creator and
 * of kwok, the status kwok writes), for the list-memory bench's fixture server. The scale bench
 * prints the size of a pod read back from the real server, to compare with `podAsServed`'s.
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

/** Who wrote a served pod's fields (managedFields), one entry per manager, with the fields' set. */
function managedFields(manifest: object, status: object, time: string) {
  return [
    {
      manager: "scale-bench",
      operation: "Update",
      apiVersion: "v1",
      time,
      fieldsType: "FieldsV1",
      fieldsV1: fieldSet(manifest),
    },
    {
      manager: "kwok",
      operation: "Update",
      apiVersion: "v1",
      time,
      fieldsType: "FieldsV1",
      fieldsV1: { "f:status": { ".": {}, ...fieldSet(status) } },
      subresource: "status",
    },
  ];
}

/** A list item's key in a field set: its merge key as the API server names it (`k:{...}`). */
function itemKey(item: Record<string, unknown>): string {
  for (const keys of [["name"], ["type"], ["containerPort", "protocol"], ["ip"]]) {
    if (keys.every((k) => k in item))
      return `k:${JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]])))}`;
  }
  return `v:${JSON.stringify(item)}`;
}

/** The FieldsV1 set of an object (`f:field` per field, `k:{...}` per keyed list item). */
function fieldSet(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (Array.isArray(child) && child.every((c) => typeof c === "object" && c !== null))
      out[`f:${key}`] = {
        ".": {},
        ...Object.fromEntries(child.map((c) => [itemKey(c), { ".": {}, ...fieldSet(c) }])),
      };
    else if (typeof child === "object" && child !== null && !Array.isArray(child))
      out[`f:${key}`] = { ".": {}, ...fieldSet(child) };
    else out[`f:${key}`] = {};
  }
  return out;
}

/** What the API server adds to a container: its defaults and the service-account token's mount. */
function servedContainer<C extends { volumeMounts?: object[] }>(container: C) {
  return {
    ...container,
    imagePullPolicy: "IfNotPresent",
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    volumeMounts: [
      ...(container.volumeMounts ?? []),
      {
        name: "kube-api-access-7x2kq",
        readOnly: true,
        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
      },
    ],
  };
}

/**
 * `podManifest(place)` as the API server serves it once kwok runs it: uid, resourceVersion,
 * creationTimestamp, the server's spec defaults (DNS policy, scheduler, tolerations, the projected
 * service-account token volume), managedFields, and a Running, Ready status.
 */
export function podAsServed(place: PodPlace, { namespace, serial }: Served) {
  const manifest = podManifest(place);
  const time = "2026-11-29T10:00:00Z";
  const ip = `10.${(serial >> 16) & 255}.${(serial >> 8) & 255}.${serial & 255}`;
  const status = {
    phase: "Running",
    conditions: ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map(
      (type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: "2026-11-29T10:00:01Z" }),
    ),
    hostIP: "10.0.0.1",
    hostIPs: [{ ip: "10.0.0.1" }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: "2026-11-29T10:00:01Z",
    containerStatuses: manifest.spec.containers.map((c) => ({
      name: c.name,
      state: { running: { startedAt: "2026-11-29T10:00:01Z" } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: "",
      containerID: `containerd://${serial.toString(16).padStart(12, "0")}${c.name}`,
      started: true,
    })),
  };
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      ...manifest.metadata,
      namespace,
      uid: `00000000-0000-4000-8000-${String(serial).padStart(12, "0")}`,
      resourceVersion: String(1000 + serial),
      creationTimestamp: time,
      managedFields: managedFields(manifest, status, time),
    },
    spec: {
      ...manifest.spec,
      containers: manifest.spec.containers.map(servedContainer),
      volumes: [
        ...manifest.spec.volumes,
        {
          name: "kube-api-access-7x2kq",
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
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      serviceAccount: "default",
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: ["not-ready", "unreachable"].map((taint) => ({
        key: `node.kubernetes.io/${taint}`,
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: 300,
      })),
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status,
  };
}
