/**
 * The command as a user runs it: a real process, its output and its exit code.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticLog } from "@zen-lead/sim";
import { describe, expect, it } from "vitest";

const main = join(import.meta.dirname, "main.ts");
const scenarios = join(import.meta.dirname, "../../sim/scenarios");
/** A night of crash-looping pods, as `zen-lead record` writes it (packages/sim/testdata/README.md). */
const crashloopLog = join(import.meta.dirname, "../../sim/testdata/crashloop-night.jsonl");

function zenLead(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: "utf8",
    env: { ...process.env, TZ: "Pacific/Chatham" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: the cluster commands load the Kubernetes client (a second or two). */
function zenLeadAsync(args: readonly string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Each test starts Node processes, one after another: on a busy machine that takes seconds.
describe("zen-lead", { timeout: 60_000 }, () => {
  it("exits 2 with one line for an unknown command or flag", () => {
    for (const args of [["frobnicate"], ["sim", "--bogus", "x.yaml"], ["replay"], []]) {
      const r = zenLead(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
    }
    expect(zenLead("frobnicate").stderr.trim().split("\n")).toHaveLength(1);
    expect(zenLead("sim", "--bogus", "x.yaml").stderr.trim().split("\n")).toHaveLength(1);
  });

  it("prints help with exit 0", () => {
    expect(zenLead("--help")).toMatchObject({ code: 0, stdout: expect.stringContaining("replay LOG.jsonl") });
    expect(zenLead("sim", "--help")).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("--report FILE"),
    });
  });

  it("runs a scenario: text by default, JSON with --json, an HTML page with --report", () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-cli-"));
    const scenario = join(scenarios, "use-case-1-controller-ha.yaml");
    const text = zenLead("sim", scenario);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Service default/my-controller -> default/my-controller-leader");
    const html = join(dir, "report.html");
    const json = zenLead("sim", scenario, "--json", "--report", html);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { formatVersion: number; violations: unknown[] };
    expect(report).toMatchObject({ formatVersion: 2, violations: [] });
    expect(readFileSync(html, "utf8")).toMatch(/^<!DOCTYPE html>/i);
  });

  it("refuses a malformed scenario in one line with exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-cli-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "name: x\ntimeline: [{ at: soon, crashLeader: web }]\n");
    const r = zenLead("sim", bad);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("bad.yaml");
    // Found only when the run gets there: web#0 crashed as the leader before it is named.
    const late = join(dir, "late.yaml");
    writeFileSync(
      late,
      `name: late\ndeployments: [{ name: web, replicas: 2 }]\nservices:\n  - { name: web, annotations: { zen-lead.io/enabled: "true" }, selector: { app: web }, ports: [{ port: 80 }] }\ntimeline:\n  - { at: 10s, crashLeader: web }\n  - { at: 20s, readiness: { pod: "web#0", ready: false } }\n`,
    );
    const l = zenLead("sim", late);
    expect([l.code, l.stdout]).toEqual([2, ""]);
    expect(l.stderr).toMatch(
      /^\S+late\.yaml: timeline\[1\]\.readiness: web#0 \(default\/web-\S+\) is already deleted at 20s\n$/,
    );
    // An expectation naming a pod the run never had is the scenario's mistake too.
    const ghost = join(dir, "ghost.yaml");
    writeFileSync(
      ghost,
      `name: ghost\ndeployments: [{ name: web, replicas: 2 }]\nservices:\n  - { name: web, annotations: { zen-lead.io/enabled: "true" }, selector: { app: web }, ports: [{ port: 80 }] }\nexpect:\n  leaderAt: [{ at: 1s, service: web, pod: "web#9" }]\n`,
    );
    const g = zenLead("sim", ghost);
    expect([g.code, g.stdout]).toEqual([2, ""]);
    expect(g.stderr).toMatch(
      /^zen-lead sim: \S+ghost\.yaml: expect\.leaderAt\[0\]: web#9 does not exist .*\n$/,
    );
  });

  it("replays a log deterministically, byte for byte, whatever the time zone", () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-cli-"));
    const log = join(dir, "events.jsonl");
    writeFileSync(
      log,
      `${[...syntheticLog({ services: 3, podsPerService: 3, events: 400, seed: 7 })].join("\n")}\n`,
    );
    const first = zenLead("replay", log, "--json");
    expect(first.code).toBe(0);
    const again = spawnSync(process.execPath, [main, "replay", log, "--json"], {
      encoding: "utf8",
      env: { ...process.env, TZ: "America/Los_Angeles", LANG: "de_DE.UTF-8" },
    });
    expect(again.stdout).toBe(first.stdout);
  });

  it("refuses a malformed log with file:line and exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-cli-"));
    const log = join(dir, "bad.jsonl");
    writeFileSync(log, "not json\n");
    const r = zenLead("replay", log);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/bad\.jsonl:1: /);
  });

  it("replays a recorded log as if annotations had been set, and compares both runs side by side", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-cli-"));
    const html = join(dir, "compare.html");
    const whatIf = ["replay", crashloopLog, "--set", "web:min-ready-duration=30s"];
    const [text, json, only, again] = await Promise.all([
      zenLeadAsync([...whatIf, "--compare", "--report", html]),
      zenLeadAsync([...whatIf, "--compare", "--json"], { TZ: "Pacific/Chatham", LANG: "de_DE.UTF-8" }),
      zenLeadAsync([...whatIf, "--set", "shop/web:sticky=true"]),
      zenLeadAsync([...whatIf, "--compare", "--json"], { TZ: "America/Los_Angeles", LC_ALL: "C" }),
    ]);
    expect(text).toMatchObject({ code: 0, stderr: "" });
    expect(text.stdout).toContain("  what if web zen-lead.io/min-ready-duration=30s\n");
    expect(text.stdout).toMatch(/\nService shop\/web\n {2}failovers +\d+ +3 +-\d+\n/);
    const c = JSON.parse(json.stdout);
    const web = c.services.find((s: { service: string }) => s.service === "shop/web");
    expect(web.whatIf).toEqual({ leaderChanges: 4, failovers: 3, leaderlessMs: 0, writes: 8 });
    expect(web.asRecorded.failovers).toBeGreaterThan(40);
    expect(c.reports.whatIf.services[1].totals).toEqual(web.whatIf);
    // Byte for byte the same, whatever the time zone or locale.
    expect(again.stdout).toBe(json.stdout);
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<div class="run as-recorded">');
    expect(page).toContain('<div class="run what-if">');
    // Without --compare: the what-if run's own report, named for what it assumed.
    expect(only.code).toBe(0);
    expect(only.stdout.split("\n")[0]).toBe(
      "zen-lead simulation: replay of prod-eu-1, what if web zen-lead.io/min-ready-duration=30s, shop/web zen-lead.io/sticky=true (replay, seed 1)",
    );
  }, 60_000);

  it("refuses a bad --set, a Service the log does not have, --compare alone and an unwritable --report or --out, in one line with exit 2", async () => {
    const cases = [
      [
        ["replay", crashloopLog, "--set", "web:sticky=maybe"],
        'zen-lead.io/sticky="maybe" is not "true" or "false"',
      ],
      [["replay", crashloopLog, "--set", "web:min-ready=30s"], 'zen-lead reads no annotation "min-ready"'],
      [["replay", crashloopLog, "--set", "api:sticky=false"], "the log has no Service api"],
      [["replay", crashloopLog, "--compare"], "--compare needs a --set"],
      [["sim", "x.yaml", "--set", "web:sticky=false"], "--set and --compare are options of zen-lead replay"],
      // Said before the run, not after printing the whole report.
      [
        ["replay", crashloopLog, "--report", "/nonexistent-dir/x.html"],
        "--report /nonexistent-dir/x.html: directory /nonexistent-dir does not exist",
      ],
      [["replay", crashloopLog, "--report", tmpdir()], `--report ${tmpdir()}: is a directory, not a file`],
      [
        ["record", "--out", "/nonexistent-dir/x.jsonl"],
        "--out /nonexistent-dir/x.jsonl: directory /nonexistent-dir does not exist",
      ],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => zenLeadAsync(args)));
    cases.forEach(([args, reason], i) => {
      const r = results[i] as Awaited<ReturnType<typeof zenLeadAsync>>;
      expect([r.code, r.stdout], args.join(" ")).toEqual([2, ""]);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toContain(reason);
    });
  }, 60_000);

  it("refuses bad flags and values of run, status, promote and record in one line with exit 2", async () => {
    const cases = [
      ["run", "--bogus"],
      ["run", "extra"],
      ["run", "--lease-duration", "soon"],
      ["run", "--renew-deadline", "20s"],
      ["run", "--retry-period", "10s"],
      ["run", "--metrics-addr", "localhost"],
      ["run", "--health-addr", ":99999"],
      ["run", "--namespace", "Not_A_Name"],
      ["run", "--log-level", "chatty"],
      ["status", "--bogus"],
      ["status", "a", "b"],
      ["status", "-n", "UPPER"],
      ["promote"],
      ["promote", "svc"],
      ["promote", "svc", "pod", "extra"],
      ["promote", "--bogus", "svc", "pod"],
      ["record"],
      ["record", "--out", "x.jsonl", "extra"],
      ["record", "--out", "x.jsonl", "-n", "Bad"],
    ];
    const results = await Promise.all(cases.map((args) => zenLeadAsync(args)));
    cases.forEach((args, i) => {
      const r = results[i] as Awaited<ReturnType<typeof zenLeadAsync>>;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toMatch(new RegExp(`^zen-lead ${args[0]}: `));
      // The point only: an unknown flag is named, without parseArgs' advice about `--`.
      if (args.some((a) => a === "--bogus")) {
        expect(r.stderr).toMatch(
          new RegExp(
            `^zen-lead ${args[0]}: Unknown option '--bogus' \\(see zen-lead ${args[0]} --help\\)\n$`,
          ),
        );
      }
    });
  }, 60_000);

  it("records nothing from an API server that cannot be reached: one line, exit 1 (only run keeps retrying)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zen-lead-record-"));
    const kubeconfig = join(dir, "dead.kubeconfig");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{ name: dead, cluster: { server: "https://127.0.0.1:1" } }]\ncontexts: [{ name: dead, context: { cluster: dead, user: u } }]\ncurrent-context: dead\nusers: [{ name: u, user: { token: t } }]\n`,
    );
    const r = await zenLeadAsync(["record", "--out", join(dir, "x.jsonl"), "--kubeconfig", kubeconfig]);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^zen-lead record: cannot list \w+s: /);
  }, 60_000);

  it("refuses a kubeconfig that is missing or unreadable, and no kubeconfig at all, in one line with exit 2", async () => {
    const home = mkdtempSync(join(tmpdir(), "zen-lead-home-"));
    const bad = join(home, "bad.yaml");
    writeFileSync(bad, "garbage: [\n");
    const text = join(home, "notes.txt");
    writeFileSync(text, "just some text\n");
    const nowhere = { KUBECONFIG: "", HOME: home, KUBERNETES_SERVICE_HOST: "" };
    const cases = [
      [["status", "--kubeconfig", "/nonexistent"], {}, "zen-lead: --kubeconfig /nonexistent: no such file"],
      [["run", "--kubeconfig", bad], {}, `zen-lead: --kubeconfig ${bad}: `],
      [
        ["status", "--kubeconfig", text],
        {},
        `zen-lead: --kubeconfig ${text}: no current cluster (is it a kubeconfig?)`,
      ],
      [["record", "--out", join(home, "x.jsonl"), "--kubeconfig", text], {}, "no current cluster"],
      [["run"], nowhere, "zen-lead: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod"],
      [["status"], nowhere, "zen-lead: no kubeconfig: "],
    ] as const;
    const results = await Promise.all(cases.map(([args, env]) => zenLeadAsync(args, env)));
    cases.forEach(([args, , reason], i) => {
      const r = results[i] as Awaited<ReturnType<typeof zenLeadAsync>>;
      expect([r.code, r.stdout], args.join(" ")).toEqual([2, ""]);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr, args.join(" ")).toContain(reason);
    });
  });

  it("refuses a negative number after a numeric flag as it refuses --flag=-N: the flag's own reason, exit 2", async () => {
    const forms = [["--kube-api-qps", "-5"], ["--kube-api-qps=-5"]];
    const results = await Promise.all(forms.map((form) => zenLeadAsync(["run", "--identity", "a", ...form])));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        'zen-lead run: --kube-api-qps: "-5" is not a positive number (see zen-lead run --help)\n',
      );
    }
    // A dash-leading value of a flag that is not numeric: parseArgs' own advice, in one line.
    const ns = await zenLeadAsync(["record", "--out", "x.jsonl", "-n", "-x"]);
    expect(ns.code).toBe(2);
    expect(ns.stderr).toBe(
      "zen-lead record: Option '-n' argument is ambiguous. To specify an option argument starting with a dash use '--namespace=-XYZ' or '-n-XYZ'. (see zen-lead record --help)\n",
    );
  }, 60_000);

  it("reads run's flags from ZEN_LEAD_* variables, a flag winning", async () => {
    const [bad, badNamespace, flagWins, badWatchTimeout] = await Promise.all([
      zenLeadAsync(["run"], { ZEN_LEAD_LEASE_DURATION: "never" }),
      zenLeadAsync(["run"], { ZEN_LEAD_NAMESPACE: "ok,Bad_One" }),
      // The flag wins over the bad variable: the complaint is about another flag.
      zenLeadAsync(["run", "--lease-duration", "15s", "--log-level", "x"], {
        ZEN_LEAD_LEASE_DURATION: "never",
      }),
      zenLeadAsync(["run"], { ZEN_LEAD_WATCH_TIMEOUT: "1s" }),
    ]);
    expect(badWatchTimeout.code).toBe(2);
    expect(badWatchTimeout.stderr).toContain("--watch-timeout must be at least 4s");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--lease-duration");
    expect(badNamespace.stderr).toContain("Bad_One");
    expect(flagWins.code).toBe(2);
    expect(flagWins.stderr).toContain("--log-level");
  }, 60_000);

  it("prints help for run, status and promote with exit 0", async () => {
    const [run, status, promote] = await Promise.all([
      zenLeadAsync(["run", "--help"]),
      zenLeadAsync(["status", "--help"]),
      zenLeadAsync(["promote", "--help"]),
    ]);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining("ZEN_LEAD_METRICS_ADDR") });
    expect(status).toMatchObject({ code: 0, stdout: expect.stringContaining("-n, --namespace") });
    expect(promote).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("zen-lead.io/preferred-leader"),
    });
  }, 60_000);
});
