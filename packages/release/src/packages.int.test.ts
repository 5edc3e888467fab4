/**
 * The packages as a user gets them: packed (scripts/build --pack), installed by npm into a project
 * outside the workspace, then imported from plain ESM, required from CommonJS, type-checked by a
 * strict `nodenext` TypeScript project, and run as the `zen-lead` command. The examples of
 * docs/library.md run there too.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, succeed } from "./commands.ts";
import { consumerProject } from "./consumer-project.ts";

const node = process.execPath;
const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
let project = "";

const workDirs: string[] = [];

/** A fresh directory inside the project (so its node_modules resolve) for this test's files. */
function workDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(project, "case-"));
  workDirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

beforeAll(async () => {
  project = await consumerProject();
}, 1_200_000);

// The project is shared with other test files and kept for the next run: leave it as it was.
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

describe("the installed packages", () => {
  it("are real copies outside the workspace, not links into it", () => {
    expect(relative(ROOT, project).startsWith("..")).toBe(true);
    for (const name of ["core", "sim", "k8s-adapter", "cli"]) {
      const installed = realpathSync(join(project, "node_modules", "@zen-lead", name));
      expect(installed.startsWith(`${project}/node_modules/`)).toBe(true);
      const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
      // What was packed is the build: no TypeScript sources, workspace versions replaced.
      expect(JSON.stringify(manifest)).not.toMatch(/\.\/src\/|workspace:/);
    }
  });

  it("declare as dependencies every package their JavaScript imports", () => {
    for (const name of ["core", "sim", "k8s-adapter", "cli"]) {
      const dir = join(project, "node_modules", "@zen-lead", name);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      const imported = new Set<string>();
      for (const file of readdirSync(join(dir, "dist"), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".js")) continue;
        const text = readFileSync(join(dir, "dist", file), "utf8");
        // Static imports and re-exports (statements start a line in tsc's output), dynamic imports.
        const statements =
          /^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\("([^"]+)"\)/gm;
        for (const match of text.matchAll(statements)) {
          const specifier = match[1] ?? match[2] ?? match[3] ?? "";
          if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
          const parts = specifier.split("/");
          imported.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
        }
      }
      expect(imported.size, name).toBeGreaterThan(0);
      const undeclared = [...imported].filter((d) => manifest.dependencies?.[d] === undefined);
      expect(undeclared, `${name} imports packages it does not declare`).toEqual([]);
    }
  });

  it("(a) plain Node ESM imports @zen-lead/core and folds events through step and plan", async () => {
    const dir = workDir({
      "fold.mjs": `
import { decisionOf, decode, fromWatch, initialState, isSynced, observedOwned, plan, step } from "@zen-lead/core";
import { nodeJson, podJson, serviceJson } from "@zen-lead/core/testing";
const pods = [podJson("web-0", { ips: ["10.0.0.1"] }), podJson("web-1", { ips: ["10.0.0.2"] })];
let state = initialState(0);
state = step(state, { type: "resync", kind: "Node", objects: [decode("Node", nodeJson("node-a"))] });
state = step(state, { type: "resync", kind: "Service", objects: [decode("Service", serviceJson("web"))] });
state = step(state, { type: "resync", kind: "EndpointSlice", objects: [] });
state = step(state, { type: "resync", kind: "Pod", objects: pods.map((p) => decode("Pod", p)) });
const writes = () => {
  const d = decisionOf(state, "default/web");
  return plan(d.desired, observedOwned(state, "default/web"), "default/web").map((w) => w.type + " " + w.kind);
};
const first = { synced: isSynced(state), leader: decisionOf(state, "default/web").leader.podName, writes: writes() };
state = step(state, fromWatch("Pod", "MODIFIED", podJson("web-0", { ips: ["10.0.0.1"], ready: false })));
const second = { leader: decisionOf(state, "default/web").leader.podName };
console.log(JSON.stringify({ first, second }));
`,
    });
    const out = await run(node, ["fold.mjs"], { cwd: dir });
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual({
      // The leader Service follows once its slice is seen (docs/semantics.md).
      first: { synced: true, leader: "web-0", writes: ["apply EndpointSlice"] },
      second: { leader: "web-1" },
    });
  });

  it("(b) a CommonJS file requires it (Node's require of ESM)", async () => {
    const dir = workDir({
      "fold.cjs": `
const core = require("@zen-lead/core");
const { podJson } = require("@zen-lead/core/testing");
let state = core.initialState(0);
for (const kind of core.REQUIRED_KINDS) state = core.step(state, { type: "resync", kind, objects: [] });
state = core.step(state, core.fromWatch("Pod", "ADDED", podJson("web-0")));
console.log(JSON.stringify({ synced: core.isSynced(state), pods: [...core.mapKeys(core.mapGet(state.pods, "default"))] }));
`,
    });
    const out = await run(node, ["fold.cjs"], { cwd: dir });
    expect(out.stderr).toBe("");
    expect(JSON.parse(out.stdout)).toEqual({ synced: true, pods: ["web-0"] });
  });

  it("(c) a strict nodenext TypeScript project type-checks against the shipped .d.ts, and bad use is caught", async () => {
    const tsconfig = JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2024",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
      },
      include: ["*.ts"],
    });
    const good = `
import { advance, type Action, type ClusterEvent, initialState, type State } from "@zen-lead/core";
import { harness } from "@zen-lead/core/testing";
const event: ClusterEvent = { type: "tick", now: 1_000 };
const next: { state: State; actions: readonly Action[] } = advance(initialState(0), event);
const writes: number = harness().sync().length + next.actions.length;
export { writes };
`;
    const dir = workDir({ "tsconfig.json": tsconfig, "consumer.ts": good });
    // The examples of docs/library.md are part of the same strict check.
    for (const example of ["embed-controller.ts", "who-led-when.ts"]) {
      cpSync(join(ROOT, "examples", example), join(dir, example));
    }
    const ok = await run(node, [tsc, "-p", dir]);
    expect(ok.stdout + ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    // The types are real: a wrong event is refused.
    writeFileSync(
      join(dir, "bad.ts"),
      `import { step, initialState } from "@zen-lead/core";\nstep(initialState(0), { type: "tick", now: "soon" });\n`,
    );
    const bad = await run(node, [tsc, "-p", dir, "--skipLibCheck"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts.*error TS2322/);
  });

  it("(d) the installed zen-lead command prints its help and runs a shipped scenario", async () => {
    const zenLead = join(project, "node_modules", ".bin", "zen-lead");
    const help = await run(zenLead, ["--help"], { cwd: project });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: zen-lead <command>/);
    const scenario = join(
      project,
      "node_modules",
      "@zen-lead",
      "sim",
      "scenarios",
      "fault-leader-crash.yaml",
    );
    const sim = await run(zenLead, ["sim", scenario, "--json"], { cwd: project });
    expect(sim.stderr).toBe("");
    expect(sim.code).toBe(0);
    const report = JSON.parse(sim.stdout) as { violations: unknown[]; stats: { failovers: number } };
    expect(report.violations).toEqual([]);
    expect(report.stats.failovers).toBeGreaterThan(0);
  });
});

describe("the core's tarball", () => {
  it("pulls in only fp-ts, io-ts and rxjs (and what they need)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-core-only-"));
    workDirs.push(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "core-only", private: true }));
    const tarball = join(project, "tarballs", "zen-lead-core-0.1.0.tgz");
    await succeed("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: dir });
    const tree = JSON.parse(await succeed("npm", ["ls", "--all", "--json"], { cwd: dir })) as {
      dependencies: Record<string, { dependencies?: Record<string, { dependencies?: object }> }>;
    };
    const core = tree.dependencies["@zen-lead/core"];
    expect(Object.keys(core?.dependencies ?? {}).sort()).toEqual(["fp-ts", "io-ts", "rxjs"]);
    const installed = (await succeed("npm", ["ls", "--all", "--parseable"], { cwd: dir }))
      .trim()
      .split("\n")
      .slice(1)
      .map((path) => relative(join(dir, "node_modules"), path))
      .sort();
    // rxjs's own runtime helper is the one package beyond the three.
    expect(installed).toEqual(["@zen-lead/core", "fp-ts", "io-ts", "rxjs", "tslib"]);
  });
});

describe("the examples (docs/library.md), run against the installed packages", () => {
  it("embed-controller.ts: events in, actions out; the leader moves when it turns NotReady", async () => {
    const dir = workDir({});
    cpSync(join(ROOT, "examples", "embed-controller.ts"), join(dir, "embed-controller.ts"));
    const out = await run(node, ["embed-controller.ts"], { cwd: dir });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split("\n");
    expect(lines).toContain("+0s create EndpointSlice default/web-leader-ipv4");
    expect(lines).toContain("leader: web-a");
    expect(lines).toContain(
      "+10s Event Normal LeaderChanged on Service web: leader moved from web-a to web-b: web-a is no longer Ready (or its pod can no longer be read) (LeaderNotReady)",
    );
    expect(lines).toContain("+10s update EndpointSlice default/web-leader-ipv4");
    expect(lines.at(-1)).toBe("leader: web-b");
  });

  it("who-led-when.ts: folds the recorded log and says who led when, and why", async () => {
    const dir = workDir({});
    for (const file of ["who-led-when.ts", "leader-failover.jsonl.gz"]) {
      cpSync(join(ROOT, "examples", file), join(dir, file));
    }
    const out = await run(node, ["who-led-when.ts"], { cwd: dir });
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const changes = out.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    // Recorded on the real control plane: elected, the leader pod deleted, a manual promotion.
    expect(changes.map((c) => c[1])).toEqual(["shop/web", "shop/web", "shop/web"]);
    expect(changes.map((c) => c.at(-1))).toEqual(["(Elected)", "(LeaderTerminating)", "(PreferredLeader)"]);
    expect(changes[0]?.[2]).toBe("(none)");
    expect(changes[1]?.[2]).toBe(changes[0]?.[4]);
    expect(changes.every((c) => !Number.isNaN(Date.parse(c[0] ?? "")))).toBe(true);
  });

  it("who-led-when.ts: a malformed or missing log is one line on stderr and exit 2, no stack trace", async () => {
    const header = JSON.stringify({
      format: "zen-lead/event-log",
      version: 1,
      recordedAt: "2026-01-01T00:00:00Z",
      source: { cluster: "test", namespaces: null, recorder: "zen-lead 0.1.0" },
    });
    const dir = workDir({
      "truncated.jsonl": `${header}\n{"t":0,"kind":"Pod","type":"ADDED"\n`,
      "not-a-log.jsonl": "hello\n",
      "backwards.jsonl": `${header}\n{"t":5,"kind":"Node","type":"RELIST_START"}\n{"t":1,"kind":"Node","type":"RELIST_END"}\n`,
    });
    cpSync(join(ROOT, "examples", "who-led-when.ts"), join(dir, "who-led-when.ts"));
    for (const [file, reason] of [
      ["truncated.jsonl", /^who-led-when: truncated\.jsonl:2: invalid JSON/],
      ["not-a-log.jsonl", /^who-led-when: not-a-log\.jsonl:1: not a zen-lead event log/],
      ["backwards.jsonl", /^who-led-when: backwards\.jsonl:3: "t" went backwards/],
      ["missing.jsonl", /^who-led-when: missing\.jsonl: cannot open/],
    ] as const) {
      const out = await run(node, ["who-led-when.ts", file], { cwd: dir });
      expect(out.code, file).toBe(2);
      expect(out.stdout, file).toBe("");
      expect(out.stderr.trimEnd().split("\n"), file).toHaveLength(1);
      expect(out.stderr, file).toMatch(reason);
    }
  });
});
