#!/usr/bin/env node
/**
 * `kubectl zen-lead status|promote|record`: installed on PATH as `kubectl-zen_lead`, this file is
 * what kubectl runs for `kubectl zen-lead ...`. kubectl passes every argument after `zen-lead` as it
 * was typed and sets nothing in the environment for it (kubectl's plugin mechanism:
 * https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/), so this layer gives kubectl's
 * own flags kubectl's meaning and then runs the same commands as `zen-lead`.
 */
import { loadKubeConfig } from "./flags.ts";
import { main } from "./main.ts";
import { UsageError } from "./usage-error.ts";

/** `kubectl zen-lead --help`. */
export const PLUGIN_HELP = `usage: kubectl zen-lead <command> [options]

commands:
  status [SERVICE]     opted-in Services: leader, since when, ready candidates, last reason
  promote SERVICE POD  make POD the preferred leader of SERVICE
  record --out FILE    watch the cluster and write an event log (for zen-lead replay)

kubectl's flags, with kubectl's meaning:
  --kubeconfig FILE       the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME          a context of the kubeconfig other than the current one
  -n, --namespace NS      the namespace (default: the context's namespace, else "default")
  -A, --all-namespaces    every namespace (status and record)

Run kubectl zen-lead <command> --help for a command's options.`;

const COMMANDS: ReadonlySet<string> = new Set(["status", "promote", "record"]);
const ALL_NAMESPACES: ReadonlySet<string> = new Set(["status", "record"]);

/** What kubectl's flags asked for, and the arguments left for the zen-lead command. */
export interface KubectlInvocation {
  /** Everything that is not one of kubectl's flags, in order: the command and its own arguments. */
  readonly args: readonly string[];
  /** kubectl's --kubeconfig and -n/--namespace, as zen-lead's commands take them. */
  readonly flags: readonly string[];
  /** `--context`, if given. */
  readonly context: string | undefined;
  /** `--kubeconfig`, if given. */
  readonly kubeconfig: string | undefined;
  /** Whether -n/--namespace was given. */
  readonly namespaced: boolean;
  /** Whether -A/--all-namespaces was given. */
  readonly allNamespaces: boolean;
}

function fail(text: string): UsageError {
  return new UsageError(`kubectl zen-lead: ${text} (see kubectl zen-lead --help)`);
}

/**
 * Splits kubectl's flags (`--kubeconfig`, `--context`, `-n`/`--namespace`, `-A`/`--all-namespaces`,
 * in the `--flag value`, `--flag=value`, `-nNS` and `-n=NS` forms, before or after the command) from the
 * rest. Nothing after `--` is read. Throws a UsageError for a flag without its value.
 */
export function parseKubectlArgs(argv: readonly string[]): KubectlInvocation {
  const args: string[] = [];
  const flags: string[] = [];
  let context: string | undefined;
  let kubeconfig: string | undefined;
  let namespaced = false;
  let allNamespaces = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = arg.startsWith("--") ? splitOnce(arg, "=") : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw fail(`${flag} needs a value`);
      return v;
    };
    if (flag === "--context") context = value();
    else if (flag === "--kubeconfig") {
      kubeconfig = value();
      flags.push("--kubeconfig", kubeconfig);
    } else if (flag === "-n" || flag === "--namespace") {
      namespaced = true;
      flags.push("--namespace", value());
    } else if (/^-n./.test(arg)) {
      // -nNS and -n=NS, as kubectl's flag parser reads them.
      namespaced = true;
      flags.push("--namespace", arg.slice(arg[2] === "=" ? 3 : 2));
    } else if (arg === "-A" || arg === "--all-namespaces") allNamespaces = true;
    else args.push(arg);
  }
  return { args, flags, context, kubeconfig, namespaced, allNamespaces };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * The zen-lead command line for a kubectl plugin invocation. The command is the first argument that
 * is not one of kubectl's flags. Without -n or -A, the namespace is the one kubectl would use:
 * `contextNamespace()` (the chosen context's), else "default". -A (status, record) leaves the
 * namespace out, which is zen-lead's "every namespace". Throws a UsageError for an unknown command,
 * -A with -n, or -A with promote. `["--help"]` for a help request before any command.
 */
export function zenLeadArgs(
  invocation: KubectlInvocation,
  contextNamespace: () => string | undefined,
): readonly string[] {
  const at = invocation.args.findIndex((a) => !a.startsWith("-"));
  const before = at < 0 ? invocation.args : invocation.args.slice(0, at);
  const command = invocation.args[at];
  if (before.includes("--help") || before.includes("-h") || command === "help") return ["--help"];
  if (command === undefined) throw fail("a command is required");
  if (!COMMANDS.has(command)) throw fail(`unknown command ${JSON.stringify(command)}`);
  // zen-lead's parser takes the flags after the command (and before any `--`).
  const args = [command, ...invocation.flags, ...before, ...invocation.args.slice(at + 1)];
  if (invocation.allNamespaces) {
    if (!ALL_NAMESPACES.has(command)) throw fail(`${command} works in one namespace: -A does not apply`);
    if (invocation.namespaced) throw fail("-A and -n are mutually exclusive");
    return args;
  }
  if (invocation.namespaced || args.includes("--help") || args.includes("-h")) return args;
  return [command, "--namespace", contextNamespace() ?? "default", ...args.slice(1)];
}

/** The namespace of the context kubectl would use, if the kubeconfig can be read and sets one. */
function namespaceOf(kubeconfig: string | undefined, context: string | undefined): string | undefined {
  try {
    const kc = loadKubeConfig(kubeconfig, context);
    return kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
  } catch {
    // The command itself loads the kubeconfig next and reports what is wrong with it.
    return undefined;
  }
}

async function plugin(argv: readonly string[]): Promise<number> {
  let args: readonly string[];
  let invocation: KubectlInvocation;
  try {
    invocation = parseKubectlArgs(argv);
    args = zenLeadArgs(invocation, () => namespaceOf(invocation.kubeconfig, invocation.context));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (args[0] === "--help") {
    console.log(PLUGIN_HELP);
    return 0;
  }
  // The commands read the context from here (flags.ts, loadKubeConfig).
  if (invocation.context !== undefined) process.env.ZEN_LEAD_CONTEXT = invocation.context;
  return main(args);
}

if (import.meta.main) process.exitCode = await plugin(process.argv.slice(2));
