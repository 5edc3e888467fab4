/**
 * The scale bench's own watch of zen-lead's leader slices: who leads each Service as an independent
 * watcher sees it, and when a leader changed (the end of a failover sample).
 */
import { performance } from "node:perf_hooks";
import type { KubeConfig } from "@kubernetes/client-node";
import { openStream } from "@zen-lead/k8s-adapter";
import { sleep } from "@zen-lead/test-cluster/wait";
import { listPages } from "./api.ts";
import { LEADER_SLICE_SELECTOR } from "./leader-objects.ts";

/** The first endpoint's pod of each leader slice (`namespace/service`), from one watch of them all. */
export class LeaderWatch {
  readonly leaders = new Map<string, string>();
  private waiters: {
    key: string;
    test: (pod: string | undefined) => boolean;
    resolve: (at: number) => void;
  }[] = [];
  private abort = new AbortController();
  private rv = "";
  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  /** Lists the leader slices, then follows them from that list's resourceVersion. */
  async start(): Promise<void> {
    await listPages(this.kc, "/apis/discovery.k8s.io/v1/endpointslices", LEADER_SLICE_SELECTOR, (page) => {
      for (const s of page.items ?? []) this.see("ADDED", s);
      this.rv = page.metadata?.resourceVersion ?? this.rv;
    });
    void this.follow();
  }

  private async follow(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const body = await openStream(this.kc, "/apis/discovery.k8s.io/v1/endpointslices", {
          query: {
            watch: true,
            labelSelector: LEADER_SLICE_SELECTOR,
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
          },
          signal: this.abort.signal,
        });
        let buffered = "";
        const decoder = new TextDecoder();
        for await (const chunk of body) {
          buffered += decoder.decode(chunk, { stream: true });
          for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.trim() === "") continue;
            const event = JSON.parse(line) as {
              type: string;
              object: { metadata?: { resourceVersion?: string } };
            };
            this.rv = event.object.metadata?.resourceVersion ?? this.rv;
            if (event.type === "ERROR")
              this.rv = ""; // too old: start from now (the map stays)
            else if (event.type !== "BOOKMARK") this.see(event.type, event.object);
          }
        }
      } catch {
        if (!this.abort.signal.aborted) await sleep(100);
      }
    }
  }

  private see(type: string, object: unknown): void {
    const at = performance.now();
    const slice = object as {
      metadata: { namespace: string; labels?: Record<string, string> };
      endpoints?: { targetRef?: { name?: string } }[];
    };
    const key = `${slice.metadata.namespace}/${slice.metadata.labels?.["kubernetes.io/service-name"] ?? ""}`;
    const pod = type === "DELETED" ? undefined : slice.endpoints?.[0]?.targetRef?.name;
    if (pod === undefined) this.leaders.delete(key);
    else this.leaders.set(key, pod);
    this.waiters = this.waiters.filter((w) => {
      if (w.key !== key || !w.test(pod)) return true;
      w.resolve(at);
      return false;
    });
  }

  /** performance.now() of the first event from now on where `test` holds for the key's leader. */
  until(key: string, test: (pod: string | undefined) => boolean, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${key}`)), timeoutMs);
      this.waiters.push({
        key,
        test,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  stop(): void {
    this.abort.abort();
  }
}
