/**
 * The CLI as users install it, for the benches that measure its process: `scripts/install-packed`
 * packs every package and installs the tarballs into a project outside the workspace (its progress
 * on this process's stderr). Resolves with that project's directory.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../../..");

export function installPacked(): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(join(ROOT, "scripts/install-packed"), [], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(out.trim().split("\n").at(-1) ?? "")
        : reject(new Error(`scripts/install-packed exited with ${code}`)),
    );
  });
}
