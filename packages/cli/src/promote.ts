/**
 * `zen-lead promote SERVICE POD [-n NS]`: asks zen-lead to move leadership to POD by setting the
 * Service's `zen-lead.io/preferred-leader` annotation (a merge patch of that one key). The
 * controller does the rest once the pod is a Ready candidate.
 */
import { parseArgs } from "node:util";
import { ANNOTATIONS } from "@zen-lead/core";
import { request } from "@zen-lead/k8s-adapter";
import { getObject } from "./cluster-read.ts";
import { flagOrEnv, loadKubeConfig, nameFlag } from "./flags.ts";
import { UsageError, usage } from "./usage-error.ts";

/** `zen-lead promote --help`. */
export const PROMOTE_HELP = `usage: zen-lead promote SERVICE POD [-n NS] [--kubeconfig FILE]

Makes POD the preferred leader of the opted-in Service SERVICE: sets the annotation
${ANNOTATIONS.preferredLeader}: POD on the Service. zen-lead moves the leader there as soon as the
pod is a Ready candidate, and keeps it there while it stays one. Refuses (exit 2) when the Service
is not opted in or the pod does not exist.

  -n, --namespace NS    the Service's namespace (default "default")
  --kubeconfig FILE     kubeconfig to use (default: $ZEN_LEAD_KUBECONFIG, $KUBECONFIG, ~/.kube/config,
                        or in-cluster)`;

const OPTIONS = {
  namespace: { type: "string", short: "n" },
  kubeconfig: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * `zen-lead promote SERVICE POD`: sets the Service's preferred-leader annotation to POD. Resolves to
 * 0; throws a UsageError (exit 2) on bad flags, a missing Service or Pod, or a Service not opted in.
 */
export async function promote(args: readonly string[]): Promise<number> {
  let opts: { namespace: string; service: string; pod: string; kubeconfig: string | undefined };
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    if (values.help) {
      console.log(PROMOTE_HELP);
      return 0;
    }
    if (positionals.length !== 2)
      throw new Error(
        `expected SERVICE and POD, got ${positionals.length === 1 ? "only one" : positionals.length} argument${positionals.length === 1 ? "" : "s"}`,
      );
    opts = {
      namespace: nameFlag("namespace", values.namespace ?? "default"),
      service: positionals[0] as string,
      pod: positionals[1] as string,
      kubeconfig: flagOrEnv(values.kubeconfig, "kubeconfig"),
    };
  } catch (error) {
    throw usage("promote", error);
  }
  const { namespace, service, pod } = opts;
  const kc = loadKubeConfig(opts.kubeconfig);
  const svc = await getObject(kc, "/api/v1", "services", namespace, service);
  if (svc === undefined) throw new UsageError(`zen-lead promote: Service ${namespace}/${service} not found`);
  if (svc.metadata?.annotations?.[ANNOTATIONS.enabled] !== "true") {
    throw new UsageError(
      `zen-lead promote: Service ${namespace}/${service} is not opted in (${ANNOTATIONS.enabled} is not "true")`,
    );
  }
  if ((await getObject(kc, "/api/v1", "pods", namespace, pod)) === undefined) {
    throw new UsageError(`zen-lead promote: Pod ${namespace}/${pod} not found`);
  }
  await request(kc, "PATCH", `/api/v1/namespaces/${namespace}/services/${encodeURIComponent(service)}`, {
    body: { metadata: { annotations: { [ANNOTATIONS.preferredLeader]: pod } } },
    contentType: "application/merge-patch+json",
  });
  console.log(`Service ${namespace}/${service}: preferred leader set to ${pod}`);
  return 0;
}
