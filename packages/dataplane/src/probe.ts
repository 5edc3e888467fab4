/**
 * A client on the node (processes/prober.ts in the node's network namespace), seen from the
 * harness: every request it made, as it reports them, and ways to wait for what it sees.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Netns } from "./netns.ts";

/** One request: a new TCP connection, `GET /`, and what answered. */
export interface ProbeResult {
  /** When the connection was opened: ms since the epoch (performance.timeOrigin + now). */
  readonly at: number;
  /** How long it took, ms. */
  readonly ms: number;
  readonly target: string;
  /** The body of a 2xx answer: the answering pod's name. null on failure. */
  readonly answer: string | null;
  /** ECONNREFUSED, ETIMEDOUT, HTTP 503, ... null on success. */
  readonly error: string | null;
}

export interface ProbeOptions {
  /** A new request every this many ms (default 10). */
  readonly intervalMs?: number;
  /** A request is given up after this many ms (default 1000). */
  readonly timeoutMs?: number;
  /** Stop after this many requests (default 0: until stop()). */
  readonly count?: number;
}

const PROBER = join(import.meta.dirname, "processes/prober.ts");

/** `http://IP:PORT/`, with brackets around an IPv6 address. */
export function httpUrl(ip: string, port: number): string {
  return `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}/`;
}

export class Probe {
  /** Every result so far, in the order they completed. */
  readonly results: ProbeResult[] = [];
  /** The URLs it sends requests to, round-robin. */
  readonly targets: readonly string[];
  private readonly child: ChildProcess;
  private readonly finished: Promise<void>;
  private failure: string | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(node: Netns, targets: readonly string[], options: ProbeOptions = {}) {
    this.targets = [...targets];
    const args = [PROBER, ...targets.flatMap((t) => ["--target", t])];
    args.push("--interval", String(options.intervalMs ?? 10), "--timeout", String(options.timeoutMs ?? 1000));
    args.push("--count", String(options.count ?? 0));
    this.child = node.spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    this.child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.results.push(JSON.parse(line) as ProbeResult);
      for (const wake of this.waiters) wake();
    });
    this.finished = new Promise((resolve) => {
      this.child.once("close", (code, signal) => {
        if (code !== 0 && signal !== "SIGTERM") {
          this.failure = `the prober exited with ${signal ?? code}: ${stderr.trim().split("\n")[0] ?? ""}`;
        }
        for (const wake of this.waiters) wake();
        resolve();
      });
    });
  }

  /**
   * Resolves with the first result (from `from` on) that satisfies `test`; rejects after
   * `timeoutMs` or when the prober ended first, saying what it saw last.
   */
  async until(
    what: string,
    test: (r: ProbeResult) => boolean,
    timeoutMs = 60_000,
    from = 0,
  ): Promise<ProbeResult> {
    const deadline = Date.now() + timeoutMs;
    let index = from;
    for (;;) {
      for (; index < this.results.length; index++) {
        const r = this.results[index] as ProbeResult;
        if (test(r)) return r;
      }
      const ended = this.child.exitCode !== null || this.child.signalCode !== null;
      if (ended || Date.now() > deadline) {
        const last = this.results.at(-1);
        const seen = last === undefined ? "no answer yet" : `last: ${last.answer ?? last.error}`;
        const why = ended ? (this.failure ?? "the prober ended") : `timed out after ${timeoutMs} ms`;
        throw new Error(`${why} waiting for ${what} (${this.results.length} requests, ${seen})`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  /** Waits for `count` more results than there are now. */
  async more(count: number, timeoutMs = 60_000): Promise<ProbeResult[]> {
    const start = this.results.length;
    await this.until(`${count} more requests`, () => this.results.length >= start + count, timeoutMs, start);
    return this.results.slice(start, start + count);
  }

  /** Stops the prober (if still running) and resolves with every result. Rejects if it had failed. */
  async stop(): Promise<ProbeResult[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.done();
  }

  /** Resolves with every result once the prober ended (made its `count` requests, or was stopped). */
  async done(): Promise<ProbeResult[]> {
    await this.finished;
    if (this.failure !== undefined) throw new Error(this.failure);
    return this.results;
  }
}

/** How many requests each pod answered, and how many failed (under the key `error: CODE`). */
export function tally(results: readonly ProbeResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.answer ?? `error: ${r.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
