/**
 * client-node's `KubeConfig`, loaded without the client's generated API.
 *
 * The commands use the KubeConfig only — kubeconfig files, `$KUBECONFIG`, the in-cluster service
 * account, credentials and exec plugins; their requests are the adapter's raw ones. But
 * client-node 2.0.1's config module imports `./gen/index.js` (every generated model and API class)
 * for `makeApiClient` alone, and that costs `zen-lead run` ~45 MiB of resident memory and ~0.4 s at
 * start (docs/benchmarks.md, "A lighter process"). A resolve hook hands that one import of that one
 * module a stand-in whose two functions load the real module the first time they are called
 * (require of an ES module, synchronous), so `makeApiClient` still works for anyone who calls it.
 * The stand-in must name what config.js imports from there; a test checks it against the pinned
 * client.
 */
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/** What client-node's config.js imports from `./gen/index.js` (its only use of the generated API). */
export const CONFIG_GEN_IMPORTS: readonly string[] = ["createConfiguration", "ServerConfiguration"];

/**
 * A data: module standing in for `real` (a file URL): each of CONFIG_GEN_IMPORTS loads `real` on
 * first use and calls (or constructs) the real export.
 */
function standIn(real: string): string {
  const path = JSON.stringify(fileURLToPath(real));
  const exports = CONFIG_GEN_IMPORTS.map(
    (name) =>
      `export function ${name}(...args) { const f = load().${name}; return new.target ? new f(...args) : f(...args); }`,
  );
  const source = [
    `import { createRequire } from "node:module";`,
    "let api;",
    `const load = () => (api ??= createRequire(${path})(${path}));`,
    ...exports,
  ].join("\n");
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (specifier === "./gen/index.js" && parent?.endsWith("/@kubernetes/client-node/dist/config.js")) {
      return { url: standIn(new URL(specifier, parent).href), shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});

export const { KubeConfig } = await import("@kubernetes/client-node/dist/config.js");
export type KubeConfig = import("@kubernetes/client-node").KubeConfig;
