import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CONFIG_GEN_IMPORTS } from "./kube-config.ts";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: u
  user: { token: "secret" }
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`;

/** In a fresh process: the modules loaded through kube-config.ts, and that the client still works. */
const SCRIPT = `
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
const { KubeConfig } = await import(${JSON.stringify(join(import.meta.dirname, "kube-config.ts"))});
const generated = () => loaded.filter((u) => /\\/client-node\\/dist\\/gen\\/(?!rxjsStub)/.test(u)).length;
const kc = new KubeConfig();
kc.loadFromString(${JSON.stringify(KUBECONFIG)});
const opts = {};
await kc.applyToHTTPSOptions(opts);
const before = generated();
const { CoreV1Api } = await import("@kubernetes/client-node");
const api = kc.makeApiClient(CoreV1Api);
console.log(JSON.stringify({
  before, after: generated(), server: kc.getCurrentCluster().server,
  auth: opts.headers.Authorization, client: typeof api.listNamespace,
}));
`;

describe("client-node's KubeConfig without its generated API", () => {
  it("loads no generated model or API, yet makeApiClient still works through the stand-in", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", SCRIPT], {
      cwd: join(import.meta.dirname, ".."),
      timeout: 30_000,
    });
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({
      before: 0,
      server: "https://127.0.0.1:6443",
      auth: "Bearer secret",
      client: "function",
    });
    expect(seen.after as number).toBeGreaterThan(100);
  }, 30_000);

  it("stands in for exactly what the pinned client's config module imports from the generated API", () => {
    const config = createRequire(import.meta.url).resolve("@kubernetes/client-node/dist/config.js");
    const source = readFileSync(config, "utf8");
    const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'\.\/gen\/index\.js'/g)];
    expect(imports).toHaveLength(1);
    const names = (imports[0]?.[1] ?? "")
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean);
    expect(names.sort()).toEqual([...CONFIG_GEN_IMPORTS].sort());
    // And nothing else there loads the generated API at import time.
    expect(source).not.toMatch(/from '\.\/gen\/(?!index\.js')/);
  });
});
