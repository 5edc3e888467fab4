/**
 * The controller image, built here without Docker (deploy/image.sh: a root filesystem from Debian
 * packages, the pinned Node 24 and the packed CLI, `FROM scratch`, buildah) and run with runc as
 * the kubelet would run the chart's pod: uid 65532, read-only root filesystem, the ServiceAccount's
 * token, CA and namespace mounted, KUBERNETES_SERVICE_HOST/PORT set — against the real control
 * plane, in the host's network namespace (the API server listens on 127.0.0.1).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import {
  clusterConfig,
  clusterState,
  createDeployment,
  readyPods,
  testNamespace,
  waitFor,
} from "@zen-lead/test-cluster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, run, succeed } from "./commands.ts";
import { healthPort, isReady } from "./controller-log.ts";
import { type UnpackedImage, unpackImage } from "./oci-image.ts";
import { type RunningContainer, startContainer } from "./runc.ts";
import {
  type InstalledServiceAccount,
  installServiceAccount,
  writeServiceAccountVolume,
} from "./service-account.ts";

const kc = clusterConfig();
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
const PACKAGES = [
  "base-files",
  "ca-certificates",
  "gcc-12-base",
  "libc6",
  "libgcc-s1",
  "libstdc++6",
  "tzdata",
];

let work = "";
let archive = "";
let image: UnpackedImage;
let namespace = "";
let serviceAccount: InstalledServiceAccount | undefined;
let container: RunningContainer | undefined;
const id = `zen-lead-image-${process.pid}-${Date.now()}`;
const stateDir = join(tmpdir(), "zen-lead-runc");

beforeAll(async () => {
  // Installed by scripts/test (scripts/ensure-container-tools.sh); missing, the test fails here.
  await succeed("runc", ["--version"]).catch((error: unknown) => {
    throw new Error(`runc is needed to run the image (scripts/ensure-container-tools.sh): ${String(error)}`);
  });
  work = mkdtempSync(join(tmpdir(), "zen-lead-image-test-"));
  archive = (await succeed(join(ROOT, "deploy", "image.sh"), ["--out", join(work, "zen-lead.oci.tar")]))
    .trim()
    .split("\n")
    .pop() as string;
  image = await unpackImage(archive, join(work, "bundle"));
  namespace = await testNamespace("image");
  await createDeployment(namespace, "web", 3, { app: "web" });
  await waitFor("3 ready pods", async () =>
    (await readyPods(namespace, "app=web")).length === 3 ? true : undefined,
  );
}, 1_800_000);

afterAll(async () => {
  await container?.remove();
  await serviceAccount?.remove();
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("the image", () => {
  it("is FROM scratch: Debian's libraries with their dpkg entries, Node 24, the CLI; no shell", () => {
    expect(image.layerBytes).toHaveLength(1);
    expect(image.config).toMatchObject({
      Entrypoint: ["/nodejs/bin/node", "--optimize-for-size", "/app/node_modules/@zen-lead/cli/dist/main.js"],
      Cmd: ["run"],
      User: "65532:65532",
    });
    expect(Object.keys(image.config.ExposedPorts ?? {}).sort()).toEqual(["8080/tcp", "8081/tcp"]);
    const statusD = join(image.rootfs, "var", "lib", "dpkg", "status.d");
    expect(
      readdirSync(statusD)
        .filter((f) => !f.endsWith(".md5sums"))
        .sort(),
    ).toEqual(PACKAGES);
    for (const name of PACKAGES) {
      const control = readFileSync(join(statusD, name), "utf8");
      expect(control).toMatch(new RegExp(`^Package: ${name.replace("+", "\\+")}$`, "m"));
      expect(control).toMatch(/^Version: \S+$/m);
    }
    expect(readFileSync(join(image.rootfs, "etc", "os-release"), "utf8")).toMatch(/^VERSION_ID="12"$/m);
    expect(readFileSync(join(image.rootfs, "etc", "passwd"), "utf8")).toMatch(/^nonroot:x:65532:65532:/m);
    expect(statSync(join(image.rootfs, "etc", "ssl", "certs", "ca-certificates.crt")).size).toBeGreaterThan(
      100_000,
    );
    // Nothing to log in with or install from.
    for (const absent of ["bin/sh", "bin/bash", "usr/bin/dpkg", "usr/bin/apt-get", "usr/bin/npm"]) {
      expect(existsSync(join(image.rootfs, absent)), absent).toBe(false);
    }
    console.log(`image: ${(statSync(archive).size / 1e6).toFixed(1)} MB (OCI archive, one gzip layer)`);
  });

  it("runs as the chart's pod: ready, gives an annotated Service its leader, exits 0 within 10 s of SIGTERM", async () => {
    serviceAccount = await installServiceAccount(kc, namespace);
    const secrets = join(work, "serviceaccount");
    writeServiceAccountVolume(secrets, serviceAccount.token, clusterState().caFile, namespace);
    const server = new URL(clusterState().server);
    const hostname = `zen-lead-${namespace}`;
    const started = performance.now();
    container = await startContainer({
      id,
      bundle: join(work, "bundle"),
      stateDir,
      image: image.config,
      // The chart's args, on ports the host has free (host network), one namespace: the test's.
      args: ["run", "--namespace", namespace, "--metrics-addr=127.0.0.1:0", "--health-addr=127.0.0.1:0"],
      env: {
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        ZEN_LEAD_IDENTITY: hostname,
      },
      serviceAccount: secrets,
      hostname,
    });
    const running = container;
    /** A failure says what the container said. */
    const explain = <T>(promise: Promise<T>) =>
      promise.catch((error: unknown) => {
        throw new Error(`${String(error)}\ncontainer output:\n${running.output().slice(-4000)}`);
      });

    // Ready: /readyz on the port it logged (every watch synced).
    const port = await explain(waitFor("the controller's start line", () => healthPort(running.output())));
    await explain(waitFor("/readyz to answer 200", async () => ((await isReady(port)) ? true : undefined)));
    const readyMs = performance.now() - started;
    console.log(`image: start to ready ${readyMs.toFixed(0)} ms (runc run to /readyz 200)`);

    // As the image says: uid 65532, nothing writable but /tmp.
    const status = readFileSync(`/proc/${await running.pid()}/status`, "utf8");
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    const write = (path: string) =>
      run("runc", [
        "--root",
        stateDir,
        "exec",
        id,
        "/nodejs/bin/node",
        "-e",
        `require("fs").writeFileSync("${path}", "x")`,
      ]);
    const rootWrite = await write("/app/x");
    expect(rootWrite.code).not.toBe(0);
    expect(rootWrite.stderr).toMatch(/EROFS|read-only file system/);
    expect((await write("/tmp/x")).code).toBe(0);

    // Its job: an annotated Service gets a leader slice with exactly one Ready pod.
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "web", annotations: { "zen-lead.io/enabled": "true" } },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      },
    });
    const pods = (await readyPods(namespace, "app=web")).map((p) => p.metadata?.name);
    const endpoints = await explain(
      waitFor("the leader slice", async () => {
        const slices = await discovery.listNamespacedEndpointSlice({
          namespace,
          labelSelector: "kubernetes.io/service-name=web-leader",
        });
        return slices.items[0]?.endpoints;
      }),
    );
    expect(endpoints).toHaveLength(1);
    expect(pods).toContain(endpoints[0]?.targetRef?.name);
    await core.readNamespacedService({ namespace, name: "web-leader" });

    // SIGTERM, as the kubelet sends it: a clean exit (watches stopped, Lease released) within 10 s.
    const terminating = performance.now();
    await running.kill("TERM");
    const code = await running.exited;
    const stopMs = performance.now() - terminating;
    console.log(`image: SIGTERM to exit ${stopMs.toFixed(0)} ms, code ${code}`);
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(10_000);
    // Nothing it needed was refused or unwritable.
    expect(running.output()).not.toMatch(/forbidden|\b403\b|EROFS|EACCES/i);
  });
});
