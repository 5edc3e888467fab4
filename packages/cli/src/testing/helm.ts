/**
 * The Helm chart (deploy/helm/zen-lead) for the CLI's integration tests: helm built from its Go
 * module by tools/helm/build.sh (minutes the first time, cached after), run, and `helm template`
 * parsed into objects.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type KubernetesObject, loadAllYaml } from "@kubernetes/client-node";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..", "..");

/** The chart's directory. */
export const CHART = join(root, "deploy", "helm", "zen-lead");

/** tools/helm/build.sh: the helm binary's path. Throws with the build's last lines when it fails. */
export async function buildHelm(): Promise<string> {
  try {
    const { stdout } = await run(join(root, "tools", "helm", "build.sh"), [], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 1_500_000,
    });
    const path = stdout.trim().split("\n").pop() ?? "";
    if (path === "") throw new Error("tools/helm/build.sh printed no path");
    return path;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    const reason = stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`helm could not be built (tools/helm/build.sh): ${reason || String(error)}`);
  }
}

/** Runs `helm ...args`: its stdout; throws with its output when it fails. */
export async function helmRun(helm: string, ...args: string[]): Promise<string> {
  try {
    return (await run(helm, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(" ")} failed:\n${stdout}${stderr}`);
  }
}

/** `helm template` of the chart as objects. `set` entries go to --set-json (values as JSON). */
export async function helmTemplate(
  helm: string,
  release: string,
  namespace: string,
  set: Record<string, unknown> = {},
): Promise<KubernetesObject[]> {
  const flags = Object.entries(set).flatMap(([key, value]) => [
    "--set-json",
    `${key}=${JSON.stringify(value)}`,
  ]);
  const text = await helmRun(helm, "template", release, CHART, "--namespace", namespace, ...flags);
  return (loadAllYaml(text) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o !== null && o !== undefined,
  );
}
