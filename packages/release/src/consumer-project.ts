/**
 * A user's project with the packed packages installed by npm (scripts/install-packed): outside the
 * workspace, no workspace links. Made once per set of tarballs and shared by the test files.
 */
import { join } from "node:path";
import { ROOT, succeed } from "./commands.ts";

let project: Promise<string> | undefined;

/** The project's directory (its node_modules holds @zen-lead/core, sim, k8s-adapter and cli). */
export function consumerProject(): Promise<string> {
  project ??= succeed(join(ROOT, "scripts", "install-packed"), []).then(
    (stdout) => stdout.trim().split("\n").pop() as string,
  );
  return project;
}

/** `node_modules/.bin` of the project: the installed `zen-lead` and `kubectl-zen_lead`. */
export async function installedBin(): Promise<string> {
  return join(await consumerProject(), "node_modules", ".bin");
}
