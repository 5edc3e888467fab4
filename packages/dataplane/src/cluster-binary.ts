/**
 * The control plane's multi-call binary (`zen-lead-cluster`, holding kube-proxy), from
 * tools/cluster/build.sh: cached after the first build, so this takes about 0.1 s.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

const BUILD = join(import.meta.dirname, "../../../tools/cluster/build.sh");

/** Resolves with the binary's path; rejects with build.sh's one-line reason. */
export function clusterBinary(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(BUILD, [], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const dir = stdout.trim().split("\n").at(-1) ?? "";
      if (error === null && dir !== "") resolve(join(dir, "zen-lead-cluster"));
      else
        reject(
          new Error(`tools/cluster/build.sh failed: ${stderr.trim().split("\n").at(-1) ?? error?.message}`),
        );
    });
  });
}
