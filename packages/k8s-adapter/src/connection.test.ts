import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { CREDENTIALS_TTL_MS, createApiConnection } from "./connection.ts";

function kubeConfig(token: string) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false }],
    users: [{ name: "u", token }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

describe("the API connection", () => {
  it("builds one pool, however many requests ask for it", async () => {
    const connection = createApiConnection(kubeConfig("t"));
    const pools = await Promise.all(Array.from({ length: 50 }, () => connection.dispatcher()));
    expect(new Set(pools).size).toBe(1);
    expect(pools[0]).toBeDefined();
    expect(connection.server).toBe("https://127.0.0.1:6443");
  });

  it("carries the current credentials, asked again once they are older than their TTL", async () => {
    let now = 0;
    const kc = kubeConfig("first");
    const connection = createApiConnection(kc, () => now);
    expect(await connection.headers()).toMatchObject({ authorization: "Bearer first" });
    (kc.users[0] as { token: string }).token = "rotated";
    now += CREDENTIALS_TTL_MS - 1;
    expect(await connection.headers()).toMatchObject({ authorization: "Bearer first" });
    now += 1;
    expect(await connection.headers()).toMatchObject({ authorization: "Bearer rotated" });
  });

  it("refuses a kubeconfig without a current cluster", () => {
    expect(() => createApiConnection(new KubeConfig())).toThrow("no current cluster");
  });
});
