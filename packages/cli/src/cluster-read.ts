/** Raw reads for `status` and `promote`: API JSON as the server sends it, decoded by the core. */
import type { KubeConfig } from "@kubernetes/client-node";
import { ApiError, request } from "@zen-lead/k8s-adapter";

/** An API object as JSON, with the metadata the commands read typed (nothing is trusted). */
export interface RawObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

function ns(namespace: string | undefined): string {
  return namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
}

/** Every item of a list (following `continue`), in one namespace or all of them. */
export async function listAll(
  kc: KubeConfig,
  group: string,
  plural: string,
  namespace: string | undefined,
  query: Readonly<Record<string, string>> = {},
): Promise<RawObject[]> {
  const items: RawObject[] = [];
  let cont: string | undefined;
  do {
    const page = (await request(kc, "GET", `${group}${ns(namespace)}/${plural}`, {
      query: { ...query, limit: 500, continue: cont },
    })) as { items?: RawObject[]; metadata?: { continue?: string } };
    items.push(...(page.items ?? []));
    cont = page.metadata?.continue || undefined;
  } while (cont !== undefined);
  return items;
}

/** One object, or undefined when it does not exist (404). */
export async function getObject(
  kc: KubeConfig,
  group: string,
  plural: string,
  namespace: string | undefined,
  name: string,
): Promise<RawObject | undefined> {
  try {
    return (await request(
      kc,
      "GET",
      `${group}${ns(namespace)}/${plural}/${encodeURIComponent(name)}`,
    )) as RawObject;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
