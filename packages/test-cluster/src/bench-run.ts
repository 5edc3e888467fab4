/**
 * A benchmark's life as one piece: the control plane it starts (up.sh with `--watch-pid` this
 * process unless it is to be kept, so a killed bench leaves nothing behind), the steps to undo on
 * the way out (the last deferred first), then that cluster down — when `main` ends, when it fails
 * (said on stderr with its stack — a failing bench is a bug to look into — exit code 1), and on
 * SIGINT or SIGTERM (exit code 130). No vitest here.
 */
import { clusterDown, clusterUp } from "./lifecycle.ts";
import type { ClusterState } from "./state.ts";

type Step = () => unknown;

export class BenchRun {
  readonly #log: (line: string) => void;
  /** Undone at teardown, the last first. */
  readonly #steps: Step[] = [];
  /** The cluster this run started, to take down (undefined: none, or one to keep). */
  #statePath: string | undefined;
  #stopping: Promise<void> | undefined;

  /** `log`: the bench's progress lines (stderr), which also say what teardown did. */
  constructor(log: (line: string) => void) {
    this.#log = log;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        log(`${signal}: tearing down`);
        void this.teardown().then(() => process.exit(130));
      });
    }
  }

  /**
   * Starts the bench's own control plane (up.sh `args`); with `keep`, it outlives the bench (no
   * `--watch-pid`, not taken down). Resolves with the state file's path and contents.
   */
  async cluster(
    args: readonly string[] = [],
    keep = false,
  ): Promise<{ statePath: string; state: ClusterState }> {
    const up = await clusterUp([...(keep ? [] : ["--watch-pid", String(process.pid)]), ...args]);
    if (!keep) this.#statePath = up.statePath;
    return up;
  }

  /** `step` runs at teardown; the function returned runs it now instead (once). */
  defer(step: Step): () => Promise<void> {
    this.#steps.push(step);
    return async () => {
      const i = this.#steps.lastIndexOf(step);
      if (i < 0) return;
      this.#steps.splice(i, 1);
      await step();
    };
  }

  /** Runs the deferred steps (each failure logged, none stopping the rest), then the cluster down. Once. */
  teardown(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const step of this.#steps.splice(0).reverse()) {
        try {
          await step();
        } catch (error) {
          this.#log(`teardown: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (this.#statePath !== undefined) {
        this.#log("tearing the cluster down");
        await clusterDown(this.#statePath).catch((error: unknown) => this.#log(String(error)));
      }
    })();
    return this.#stopping;
  }

  /** Runs `main`: a failure is said with its stack, exit code 1; then teardown, and the process exits. */
  run(main: () => Promise<void>): void {
    main()
      .catch((error: unknown) => {
        this.#log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exitCode = 1;
      })
      .finally(async () => {
        await this.teardown();
        // Sockets (watches, the controller's connection pool) may still hold the loop open.
        process.exit();
      });
  }
}
