/**
 * zen-lead's identity as users install it: the ServiceAccount and RBAC of the shipped plain
 * manifests (deploy/manifests/zen-lead.yaml, the chart rendered with its defaults), created in a
 * namespace of one's choice, and a token for it as the kubelet would mount it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
} from "@kubernetes/client-node";
import { ROOT } from "./commands.ts";

const RBAC_KINDS = new Set(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);

interface RbacObject extends KubernetesObject {
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export interface InstalledServiceAccount {
  /** The ServiceAccount's name in `namespace`. */
  readonly name: string;
  /** A TokenRequest token, valid for an hour. */
  readonly token: string;
  /** Deletes the cluster-scoped objects (the namespaced ones go with the namespace). */
  remove(): Promise<void>;
}

/**
 * Creates the manifests' ServiceAccount, ClusterRole(Binding) and Role(Binding) with their
 * namespace replaced by `namespace`, and cluster-scoped names suffixed with it (so several
 * namespaces can hold one each). Resolves once the token is issued.
 */
export async function installServiceAccount(
  kc: KubeConfig,
  namespace: string,
): Promise<InstalledServiceAccount> {
  const manifests = readFileSync(join(ROOT, "deploy", "manifests", "zen-lead.yaml"), "utf8");
  const objects = (loadAllYaml(manifests) as (RbacObject | null)[]).filter(
    (o): o is RbacObject => o !== null && RBAC_KINDS.has(o.kind ?? ""),
  );
  const clusterName = (name: string) => `${name}-${namespace}`;
  const api = KubernetesObjectApi.makeApiClient(kc);
  const created: RbacObject[] = [];
  let serviceAccount = "";
  for (const o of objects) {
    const clusterScoped = o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding";
    const object: RbacObject = {
      ...o,
      metadata: clusterScoped
        ? { ...o.metadata, name: clusterName(o.metadata?.name ?? "") }
        : { ...o.metadata, namespace },
      ...(o.roleRef !== undefined && o.roleRef.kind === "ClusterRole"
        ? { roleRef: { ...o.roleRef, name: clusterName(o.roleRef.name) } }
        : {}),
      ...(o.subjects !== undefined ? { subjects: o.subjects.map((s) => ({ ...s, namespace })) } : {}),
    };
    await api.create(object);
    if (clusterScoped) created.push(object);
    if (o.kind === "ServiceAccount") serviceAccount = o.metadata?.name ?? "";
  }
  const request = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token ?? "";
  if (token === "") throw new Error(`no token issued for ServiceAccount ${namespace}/${serviceAccount}`);
  return {
    name: serviceAccount,
    token,
    remove: async () => {
      for (const o of created) await api.delete(o).catch(() => undefined);
    },
  };
}

/**
 * Writes what the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount for a pod of
 * that ServiceAccount (its projected volume, mode 0644): `token`, `ca.crt` (copied from `caFile`)
 * and `namespace`, into the new directory `dir`.
 */
export function writeServiceAccountVolume(
  dir: string,
  token: string,
  caFile: string,
  namespace: string,
): void {
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, "token"), token, { mode: 0o644 });
  writeFileSync(join(dir, "ca.crt"), readFileSync(caFile), { mode: 0o644 });
  writeFileSync(join(dir, "namespace"), namespace, { mode: 0o644 });
}
