/**
 * A source Service's annotations read as configuration. Bad values never stop reconciliation:
 * each becomes an InvalidAnnotation warning and the documented default is used.
 */
import { ANNOTATIONS } from "./labels.ts";
import { defaultLeaderServiceName, isDns1035Label } from "./names.ts";
import type { Warning } from "./reasons.ts";
import { readDuration } from "./time.ts";
import type { ServiceView } from "./views.ts";

export interface LeaderConfig {
  readonly leaderServiceName: string;
  readonly sticky: boolean;
  readonly minReadyMs: number;
  readonly preferredLeader?: string;
}

export type SourceConfig =
  /** Not opted in (no annotation, or `zen-lead.io/enabled` is anything but "true"). */
  | { readonly optedIn: false; readonly warnings: readonly Warning[] }
  /** Opted in but unusable as a source (no selector, ExternalName): warnings only. */
  | { readonly optedIn: true; readonly usable: false; readonly warnings: readonly Warning[] }
  | {
      readonly optedIn: true;
      readonly usable: true;
      readonly config: LeaderConfig;
      readonly warnings: readonly Warning[];
    };

function invalid(key: string, value: string, why: string, fallback: string): Warning {
  return {
    reason: "InvalidAnnotation",
    message: `${key}=${JSON.stringify(value)} ${why}; using ${fallback}`,
  };
}

/** Cheap check used by the indexes: does this Service want a leader (opted in with a selector)? */
export function wantsLeader(svc: ServiceView): boolean {
  return (
    svc.annotations[ANNOTATIONS.enabled] === "true" &&
    svc.selector !== undefined &&
    svc.type !== "ExternalName"
  );
}

export function readSourceConfig(svc: ServiceView): SourceConfig {
  const a = svc.annotations;
  const enabled = a[ANNOTATIONS.enabled];
  if (enabled !== "true") {
    const warnings: Warning[] =
      enabled === undefined || enabled === "false"
        ? []
        : [
            {
              reason: "InvalidAnnotation",
              message: `${ANNOTATIONS.enabled}=${JSON.stringify(enabled)} is not "true" or "false"; the Service is not opted in`,
            },
          ];
    return { optedIn: false, warnings };
  }
  if (svc.type === "ExternalName") {
    return {
      optedIn: true,
      usable: false,
      warnings: [{ reason: "ExternalNameSource", message: "an ExternalName Service has no pods to lead" }],
    };
  }
  if (svc.selector === undefined) {
    return {
      optedIn: true,
      usable: false,
      warnings: [
        {
          reason: "NoSelector",
          message: "the Service has no selector, so zen-lead has no pods to choose from",
        },
      ],
    };
  }

  const warnings: Warning[] = [];
  let leaderServiceName = defaultLeaderServiceName(svc.name);
  const custom = a[ANNOTATIONS.leaderServiceName];
  if (custom !== undefined) {
    if (!isDns1035Label(custom)) {
      warnings.push(
        invalid(ANNOTATIONS.leaderServiceName, custom, "is not a DNS-1035 label", leaderServiceName),
      );
    } else if (custom === svc.name) {
      warnings.push(
        invalid(ANNOTATIONS.leaderServiceName, custom, "names the source Service itself", leaderServiceName),
      );
    } else {
      leaderServiceName = custom;
    }
  }

  let sticky = true;
  const stickyText = a[ANNOTATIONS.sticky];
  if (stickyText === "false") sticky = false;
  else if (stickyText !== undefined && stickyText !== "true") {
    warnings.push(invalid(ANNOTATIONS.sticky, stickyText, 'is not "true" or "false"', "true"));
  }

  let minReadyMs = 0;
  const minReadyText = a[ANNOTATIONS.minReadyDuration];
  if (minReadyText !== undefined) {
    const reading = readDuration(minReadyText);
    if ("problem" in reading) {
      warnings.push(invalid(ANNOTATIONS.minReadyDuration, minReadyText, reading.problem, "0s"));
    } else minReadyMs = reading.ms;
  }

  const preferred = a[ANNOTATIONS.preferredLeader];
  const config: LeaderConfig = {
    leaderServiceName,
    sticky,
    minReadyMs,
    ...(preferred !== undefined && preferred !== "" ? { preferredLeader: preferred } : {}),
  };
  return { optedIn: true, usable: true, config, warnings };
}
