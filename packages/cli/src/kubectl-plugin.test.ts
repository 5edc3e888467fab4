/**
 * `kubectl zen-lead`: kubectl's flags get kubectl's meaning. The translation is checked here; the
 * plugin through the real kubectl on the real control plane in packages/release.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKubeConfig } from "./flags.ts";
import { parseKubectlArgs, zenLeadArgs } from "./kubectl-plugin.ts";
import { UsageError } from "./usage-error.ts";

const translate = (argv: string[], contextNamespace?: string) =>
  zenLeadArgs(parseKubectlArgs(argv), () => contextNamespace);

describe("kubectl zen-lead's flags", () => {
  it("takes --context out (in both forms) and keeps --kubeconfig for the command", () => {
    for (const argv of [
      ["status", "--context", "prod", "--kubeconfig", "/k"],
      ["status", "--context=prod", "--kubeconfig=/k"],
      ["--context", "prod", "status", "--kubeconfig", "/k"],
    ]) {
      const parsed = parseKubectlArgs(argv);
      expect(parsed.context).toBe("prod");
      expect(parsed.kubeconfig).toBe("/k");
      expect(zenLeadArgs(parsed, () => "shop")).toEqual([
        "status",
        "--namespace",
        "shop",
        "--kubeconfig",
        "/k",
      ]);
    }
  });

  it("uses the context's namespace, else default, when -n is not given (as kubectl does)", () => {
    expect(translate(["status"], "shop")).toEqual(["status", "--namespace", "shop"]);
    expect(translate(["status"])).toEqual(["status", "--namespace", "default"]);
    expect(translate(["promote", "web", "web-1"])).toEqual([
      "promote",
      "--namespace",
      "default",
      "web",
      "web-1",
    ]);
  });

  it("lets -n / --namespace win over the context, in every form, before or after the command", () => {
    for (const argv of [
      ["status", "-n", "blog"],
      ["status", "-nblog"],
      ["status", "-n=blog"],
      ["status", "--namespace", "blog"],
      ["status", "--namespace=blog"],
      ["-n", "blog", "status"],
    ]) {
      expect(translate(argv, "shop")).toEqual(["status", "--namespace", "blog"]);
    }
  });

  it("reads -A / --all-namespaces as every namespace for status and record", () => {
    expect(translate(["status", "-A"], "shop")).toEqual(["status"]);
    expect(translate(["record", "--out", "f.jsonl", "--all-namespaces"], "shop")).toEqual([
      "record",
      "--out",
      "f.jsonl",
    ]);
  });

  it("leaves a command's own flags and arguments alone, and stops reading at --", () => {
    expect(translate(["record", "--out", "x.gz", "-n", "a", "-n", "b"])).toEqual([
      "record",
      "--namespace",
      "a",
      "--namespace",
      "b",
      "--out",
      "x.gz",
    ]);
    expect(translate(["status", "web", "--", "-n"])).toEqual([
      "status",
      "--namespace",
      "default",
      "web",
      "--",
      "-n",
    ]);
  });

  it("passes --help through to the command, and answers it before any command", () => {
    expect(translate(["status", "--help"])).toEqual(["status", "--help"]);
    expect(translate(["--help"])).toEqual(["--help"]);
    expect(translate(["-h", "status"])).toEqual(["--help"]);
    expect(translate(["help"])).toEqual(["--help"]);
  });

  it("refuses what kubectl users could mistype, with one line", () => {
    for (const [argv, reason] of [
      [[], /a command is required/],
      [["run"], /unknown command "run"/],
      [["status", "--context"], /--context needs a value/],
      [["status", "--context="], /--context needs a value/],
      [["status", "-n"], /-n needs a value/],
      [["promote", "web", "pod", "-A"], /promote works in one namespace/],
      [["status", "-A", "-n", "x"], /mutually exclusive/],
    ] as const) {
      expect(() => translate([...argv])).toThrow(UsageError);
      expect(() => translate([...argv])).toThrow(reason);
    }
  });
});

// Real processes: each loads the Kubernetes client (a second or two, more on a busy machine).
describe("the plugin as kubectl runs it", () => {
  const plugin = join(import.meta.dirname, "kubectl-plugin.ts");
  const runPlugin = (...args: string[]) =>
    spawnSync(process.execPath, [plugin, ...args], { encoding: "utf8", env: { ...process.env } });

  it("prints its help, and exits 2 with one line for a bad command", () => {
    const help = runPlugin("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: kubectl zen-lead <command>/);
    const bad = runPlugin("frobnicate");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  }, 30_000);

  it("exits 2 for a context the kubeconfig does not have", () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "zen-lead-kubeconfig-")), "config");
    writeFileSync(kubeconfig, KUBECONFIG);
    const out = runPlugin("status", "--kubeconfig", kubeconfig, "--context", "nope");
    expect(out.status).toBe(2);
    expect(out.stderr.trim()).toBe('zen-lead: context "nope" is not in the kubeconfig');
  }, 30_000);
});

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: { server: "https://127.0.0.1:1" }
- name: b
  cluster: { server: "https://127.0.0.1:2" }
users:
- name: u
  user: { token: t }
contexts:
- name: one
  context: { cluster: a, user: u }
- name: two
  context: { cluster: b, user: u, namespace: shop }
current-context: one
`;

describe("loadKubeConfig's context", () => {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "zen-lead-kubeconfig-")), "config");
  writeFileSync(kubeconfig, KUBECONFIG);

  it("is the kubeconfig's current one by default, else the one asked for (argument or ZEN_LEAD_CONTEXT)", () => {
    expect(loadKubeConfig(kubeconfig, undefined).getCurrentCluster()?.server).toBe("https://127.0.0.1:1");
    const two = loadKubeConfig(kubeconfig, "two");
    expect(two.getCurrentCluster()?.server).toBe("https://127.0.0.1:2");
    expect(two.getContextObject(two.getCurrentContext())?.namespace).toBe("shop");
    process.env.ZEN_LEAD_CONTEXT = "two";
    try {
      expect(loadKubeConfig(kubeconfig).getCurrentCluster()?.server).toBe("https://127.0.0.1:2");
    } finally {
      delete process.env.ZEN_LEAD_CONTEXT;
    }
  });
});
