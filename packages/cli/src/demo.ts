/**
 * `zen-lead demo`: the seed's first use case (a 3-replica controller behind an annotated Service),
 * its leader deleted, decided by the pure core with the API server's echo played in memory.
 */
import type { Action, ApplyAction, DesiredSlice } from "@zen-lead/core";
import { harness, podJson, serviceJson } from "@zen-lead/core/testing";

function describe(actions: readonly Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case "apply": {
        const slice = a.kind === "EndpointSlice" ? (a.desired as DesiredSlice) : undefined;
        const endpoint = slice?.endpoints[0];
        const what = slice
          ? ` -> ${endpoint ? `${endpoint.podName} ${endpoint.addresses[0]}` : "no endpoint"}`
          : "";
        return `  ${a.create ? "create" : "update"} ${a.kind} ${a.namespace}/${a.name}${what}`;
      }
      case "delete":
        return `  delete ${a.kind} ${a.namespace}/${a.name}`;
      case "event":
        return `  event  ${a.eventType} ${a.reason}: ${a.note}`;
      case "wake":
        return `  wake   ${a.source} at ${a.at}`;
      case "report":
        return `  report ${a.reason} ${a.object}: ${a.message}`;
    }
    return "";
  });
}

export function runDemo(args: readonly string[]): number {
  if (args.length > 0) {
    console.error(`zen-lead demo: unexpected argument ${JSON.stringify(args[0])}`);
    return 2;
  }
  const h = harness();
  const labels = { app: "my-controller" };
  const pods = ["my-controller-7d9f-a", "my-controller-7d9f-b", "my-controller-7d9f-c"];
  h.at(1000);
  for (const [i, name] of pods.entries()) {
    h.upsert("Pod", podJson(name, { labels, created: 100 + i, ips: [`10.244.0.${11 + i}`] }));
  }
  h.upsert(
    "Service",
    serviceJson("my-controller", {
      selector: labels,
      ports: [{ name: "http", port: 8080, targetPort: 8080, protocol: "TCP" }],
    }),
  );
  console.log("zen-lead demo: the pure core deciding, with the API server's echo played in memory\n");
  console.log("1. initial lists synced; zen-lead decides:");
  const first = h.sync();
  console.log(describe(first).join("\n"));
  h.settle(first);
  const leader = h.decision("default/my-controller")?.leader?.podName ?? "(none)";
  console.log(`\n2. the leader ${leader} is deleted (it gets a deletionTimestamp):`);
  const index = pods.indexOf(leader);
  const failover = h.upsert(
    "Pod",
    podJson(leader, { labels, created: 100 + index, deleting: 1001, ips: [`10.244.0.${11 + index}`] }),
  );
  console.log(describe(failover).join("\n"));
  h.settle(failover);
  console.log(`\n3. leader now: ${h.decision("default/my-controller")?.leader?.podName ?? "(none)"}`);
  const writes = failover.filter((a): a is ApplyAction => a.type === "apply").length;
  console.log(`   writes for the failover: ${writes} (the slice, then the leader Service's annotations)`);
  return 0;
}
