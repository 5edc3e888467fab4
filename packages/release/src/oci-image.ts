/**
 * An OCI image archive (what deploy/image.sh writes) unpacked the way a container runtime does it:
 * the manifest's layers, in order, into one root filesystem, and the image's run configuration
 * (OCI image spec: index.json -> manifest -> config and layer blobs).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { succeed } from "./commands.ts";

/** The `config` of an OCI image configuration: how the image wants to be run. */
export interface ImageConfig {
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  /** `NAME=value` entries. */
  readonly Env?: readonly string[];
  /** `uid[:gid]` (names are not resolved here: the image has no shell or tools to map them). */
  readonly User?: string;
  readonly WorkingDir?: string;
  readonly ExposedPorts?: Readonly<Record<string, unknown>>;
}

export interface UnpackedImage {
  /** The root filesystem: every layer applied, files owned as in the image. */
  readonly rootfs: string;
  readonly config: ImageConfig;
  /** Layer blobs as stored in the archive (compressed), in bytes. */
  readonly layerBytes: readonly number[];
}

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function blob(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  return join(dir, "blobs", algorithm ?? "", hex ?? "");
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/**
 * Unpacks `archive` (an oci-archive tar holding one image) under `dir`: `dir/oci` the archive,
 * `dir/rootfs` the root filesystem. Throws when the archive holds no image manifest. Layers may be
 * gzip-compressed or plain tar; the image's single COPY layer has no whiteouts to apply.
 */
export async function unpackImage(archive: string, dir: string): Promise<UnpackedImage> {
  const oci = join(dir, "oci");
  const rootfs = join(dir, "rootfs");
  mkdirSync(oci, { recursive: true });
  mkdirSync(rootfs, { recursive: true });
  await succeed("tar", ["-xf", archive, "-C", oci]);
  const index = readJson<{ manifests?: Descriptor[] }>(join(oci, "index.json"));
  const manifestRef = index.manifests?.[0];
  if (manifestRef === undefined) throw new Error(`${archive}: index.json lists no image manifest`);
  const manifest = readJson<{ config: Descriptor; layers: Descriptor[] }>(blob(oci, manifestRef.digest));
  const config = readJson<{ config?: ImageConfig }>(blob(oci, manifest.config.digest)).config ?? {};
  for (const layer of manifest.layers) {
    const gzip = layer.mediaType.endsWith("+gzip");
    await succeed("tar", [gzip ? "-xzf" : "-xf", blob(oci, layer.digest), "-C", rootfs, "--numeric-owner"]);
  }
  return { rootfs, config, layerBytes: manifest.layers.map((l) => l.size) };
}
