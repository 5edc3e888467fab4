/**
 * The scale bench's requests to the API server it loads: retried while the server is busy, creates
 * that tolerate a rerun, paged lists.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { request } from "@zen-lead/k8s-adapter";
import { sleep } from "@zen-lead/test-cluster/wait";

/** A list's page as the API server answers it. */
export interface Page {
  items?: unknown[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** Retries a request on a transient failure (no answer, 429, 5xx): the server is busy while we load it. */
export async function retry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      if (i >= attempts || (status !== 0 && status !== 429 && status < 500)) throw error;
      await sleep(250 * i);
    }
  }
}

/** Creates, or finds it already there (409: a rerun on a kept cluster). */
export async function ensure(kc: KubeConfig, path: string, body: unknown): Promise<void> {
  try {
    await retry(() => request(kc, "POST", path, { body }));
  } catch (error) {
    if ((error as { status?: number }).status !== 409) throw error;
  }
}

/** Every page of a list (pages of 500), each handed to `page` as it arrives. */
export async function listPages(
  kc: KubeConfig,
  path: string,
  labelSelector: string,
  page: (page: Page) => void,
): Promise<void> {
  let cont: string | undefined;
  do {
    const answer = (await request(kc, "GET", path, {
      query: { labelSelector, limit: 500, continue: cont },
    })) as Page;
    page(answer);
    cont = answer.metadata?.continue || undefined;
  } while (cont !== undefined);
}
