/**
 * zen-lead as the scale bench runs it: as users run it (the packed CLI from scripts/install-packed,
 * the image's Node flags and allocator settings; or from source), one process per phase, each with
 * a Lease of its own and its log in the run's directory; what it costs, read from outside (/proc)
 * and from its /metrics.
 */
import { join } from "node:path";
import { figures, MIB, quantile } from "@zen-lead/test-cluster/figures";
import { rssBytes } from "@zen-lead/test-cluster/process-stats";
import { sleep } from "@zen-lead/test-cluster/wait";
import { metricValue, spawnZenLead, type ZenLeadProcess } from "@zen-lead/test-cluster/zen-lead-process";
import { installPacked } from "../packed-cli.ts";

const { log } = figures("scale");

/** The script to run: the source entry, or the packed CLI's `dist/main.js` once installed. */
export async function zenLeadMain(fromSource: boolean): Promise<string> {
  if (fromSource) return join(import.meta.dirname, "../../src/main.ts");
  log("building and installing the packed CLI (scripts/install-packed)");
  const project = await installPacked();
  return join(project, "node_modules/@zen-lead/cli/dist/main.js");
}

/** The bench's zen-lead processes: started one per phase, all stopped at teardown. */
export class ZenLeads {
  readonly #running = new Set<ZenLeadProcess>();
  readonly #main: string;
  readonly #kubeconfig: string;
  readonly #dir: string;

  constructor(main: string, kubeconfig: string, dir: string) {
    this.#main = main;
    this.#kubeconfig = kubeconfig;
    this.#dir = dir;
  }

  /** `zen-lead run ARGS` with a Lease of its own (`default/scale-<pid>-<name>`), its log in `<dir>/<name>.log`. */
  async start(name: string, args: readonly string[]): Promise<ZenLeadProcess> {
    const z = await spawnZenLead({
      kubeconfig: this.#kubeconfig,
      main: this.#main,
      image: true,
      logPath: join(this.#dir, `${name}.log`),
      args: ["--lease-namespace", "default", "--lease-name", `scale-${process.pid}-${name}`, ...args],
    });
    this.#running.add(z);
    void z.exited.then(() => this.#running.delete(z));
    return z;
  }

  /** SIGTERM to every process still running; resolves once they have exited. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((z) => z.stop()));
  }
}

/** RSS samples once a second for `seconds`: the median, in MiB. */
export async function rssMedian(pid: number, seconds: number): Promise<number> {
  const samples: number[] = [];
  for (let s = 0; s < seconds; s++) {
    samples.push(rssBytes(pid) / MIB);
    await sleep(1000);
  }
  return quantile(samples, 0.5);
}

/** A metric in MiB (a byte count such as `nodejs_heap_size_used_bytes`). */
export const mib = (text: string, name: string): number => metricValue(text, name) / MIB;
