/**
 * `zen-lead run`'s look for another install over its namespaces (docs/deploy.md, "Two installs
 * over one namespace"): a few seconds after this replica announces a leader change while it leads
 * — when another install over the same Services would announce the same change — it lists
 * zen-lead's Events (`findOtherInstall`) and, on the first Event of another instance, says so
 * once per process: a warn line, a Warning Event (`OtherInstall`) on that Event's Service, and
 * `zen_lead_other_install` set to 1. At most one look per `minGapMs`; a failed list goes to
 * `onError` (`run` says the first at warn) and is looked again at the next announcement (the
 * read-back's permission, events: list, is the one it needs).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { findOtherInstall, type OtherInstallEvent } from "@zen-lead/k8s-adapter";

/** What the check needs from `run`. */
export interface OtherInstallCheckOptions {
  readonly kc: KubeConfig;
  readonly identity: string;
  /** The watched namespaces; empty: all. */
  readonly namespaces: readonly string[];
  /** The Lease duration (ms): a previous holder of this install's Lease writes no later. */
  readonly leaseDurationMs: number;
  /** Called once, on the first other install found. */
  readonly onFound: (event: OtherInstallEvent) => void;
  readonly onError: (error: unknown) => void;
  /** Wait after an announcement before looking (ms; default 5 s: the other's Event lands). */
  readonly delayMs?: number;
  /** Least time between looks (ms; default 60 s). */
  readonly minGapMs?: number;
}

export class OtherInstallCheck {
  readonly #options: OtherInstallCheckOptions;
  /** When this replica started leading (epoch ms), or undefined while it does not. */
  #leadingSince: number | undefined;
  #lastLook = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #found = false;

  constructor(options: OtherInstallCheckOptions) {
    this.#options = options;
  }

  /** This replica started or stopped leading (at `now`, epoch ms). */
  leading(leading: boolean, now: number): void {
    this.#leadingSince = leading ? now : undefined;
    if (!leading) this.#cancel();
  }

  /** This replica announced a leader change (at `now`): look a little later. */
  announced(now: number): void {
    const since = this.#leadingSince;
    const { delayMs = 5_000, minGapMs = 60_000 } = this.#options;
    if (this.#found || since === undefined || this.#timer !== undefined) return;
    if (now - this.#lastLook < minGapMs) return;
    this.#lastLook = now;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#look(since + this.#options.leaseDurationMs);
    }, delayMs);
    this.#timer.unref();
  }

  close(): void {
    this.#cancel();
  }

  async #look(since: number): Promise<void> {
    const { kc, identity, namespaces } = this.#options;
    try {
      const other = await findOtherInstall(kc, { identity, namespaces, since });
      if (other === undefined || this.#found || this.#leadingSince === undefined) return;
      this.#found = true;
      this.#options.onFound(other);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
