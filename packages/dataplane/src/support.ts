/**
 * Can this machine run a data-plane node, and how? Checked before anything is started, so that a
 * test, the benchmark or the demo can say why not in one line (never skip silently).
 */
import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { CommandError, Netns, type NetnsFlavour, TOOL_ENV } from "./netns.ts";

/** How kube-proxy programs the node (its `--proxy-mode`). */
export type ProxyMode = "nftables" | "iptables";

export type Support =
  | { readonly ok: true; readonly flavour: NetnsFlavour }
  | { readonly ok: false; readonly reason: string };

/** The commands each mode needs (Debian packages: util-linux, iproute2, nftables, iptables). */
const COMMANDS: Readonly<Record<ProxyMode, readonly string[]>> = {
  nftables: ["unshare", "nsenter", "setpriv", "ip", "nft"],
  iptables: ["unshare", "nsenter", "setpriv", "ip", "iptables-restore", "ip6tables-restore"],
};

/** The env variable that forces a flavour (`userns` or `plain`); unset: userns, else plain as root. */
export const FLAVOUR_ENV = "ZEN_LEAD_DATAPLANE_NETNS";

/** The commands `mode` needs that are not executable in any directory of `path` (a PATH value). */
export function missingCommands(mode: ProxyMode, path: string): string[] {
  const onPath = (command: string) =>
    path.split(":").some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return COMMANDS[mode].filter((c) => !onPath(c));
}

/** A namespace of this flavour in which the mode's tool can create a table, or why not. */
async function tryFlavour(flavour: NetnsFlavour, mode: ProxyMode): Promise<string | undefined> {
  let ns: Netns | undefined;
  try {
    ns = await Netns.create(flavour);
    if (mode === "nftables") await ns.run("nft", ["add", "table", "ip", "zen_lead_probe"]);
    else await ns.run("iptables", ["-t", "nat", "-N", "ZEN-LEAD-PROBE"]);
    return undefined;
  } catch (error) {
    return error instanceof CommandError ? error.message : String(error);
  } finally {
    await ns?.close();
  }
}

/**
 * Whether a node with this proxy mode can run here: Linux, IPv6, the commands on PATH (sbin
 * included), and a network namespace in which nftables (or iptables) works. The flavour is
 * `flavour` if given, else `ZEN_LEAD_DATAPLANE_NETNS` if set, else a user namespace (rootless),
 * falling back to plain network namespaces when that fails and this process is root. The reason,
 * when not ok, is one line naming what is missing.
 */
export async function dataplaneSupport(mode: ProxyMode, flavour?: NetnsFlavour): Promise<Support> {
  const forced = flavour ?? process.env[FLAVOUR_ENV];
  if (forced !== undefined && forced !== "" && forced !== "userns" && forced !== "plain") {
    return { ok: false, reason: `${FLAVOUR_ENV}=${forced}: expected userns or plain` };
  }
  if (process.platform !== "linux") {
    return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  }
  if (!existsSync("/proc/sys/net/ipv6")) return { ok: false, reason: "this kernel has IPv6 disabled" };
  const missing = missingCommands(mode, TOOL_ENV.PATH ?? "");
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `missing ${missing.join(", ")} (Debian: apt-get install util-linux iproute2 nftables iptables; scripts/ensure-dataplane.sh does it as root)`,
    };
  }
  const root = process.getuid?.() === 0;
  const order: NetnsFlavour[] =
    forced === "userns" || forced === "plain" ? [forced] : root ? ["userns", "plain"] : ["userns"];
  const failures: string[] = [];
  for (const candidate of order) {
    const failure = await tryFlavour(candidate, mode);
    if (failure === undefined) return { ok: true, flavour: candidate };
    failures.push(`${candidate}: ${failure}`);
  }
  const hint = root
    ? ""
    : " (unprivileged user namespaces may be disabled here; as root, plain network namespaces are tried too)";
  return {
    ok: false,
    reason: `cannot create a network namespace with working ${mode}: ${failures.join("; ")}${hint}`,
  };
}
