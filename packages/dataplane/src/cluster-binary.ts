/**
 * The control plane's multi-call binary (`zen-lead-cluster`, holding kube-proxy), from
 * tools/cluster/build.sh: cached after the first build, so this takes about 0.1 s.
 */
import { join } from "node:path";
import { clusterScript } from "@zen-lead/test-cluster/lifecycle";

/** Resolves with the binary's path; rejects when build.sh fails (its reason is on stderr). */
export async function clusterBinary(): Promise<string> {
  return join(await clusterScript("build.sh"), "zen-lead-cluster");
}
