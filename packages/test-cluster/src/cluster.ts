/** Access to the shared control plane from a test file: its state, a client config, a namespace. */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, inject } from "vitest";
import type { ClusterState } from "./state.ts";

export function clusterState(): ClusterState {
  return inject("cluster");
}

export function clusterConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(clusterState().kubeconfig);
  return kc;
}

/**
 * A fresh namespace for this test file (deleted after its tests), so files can run side by side
 * without seeing each other's objects.
 */
export async function testNamespace(prefix: string): Promise<string> {
  const core = clusterConfig().makeApiClient(CoreV1Api);
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  afterAll(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}
