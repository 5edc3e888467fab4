import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dataplaneSupport, FLAVOUR_ENV, missingCommands } from "./support.ts";

describe("missingCommands", () => {
  const dir = mkdtempSync(join(tmpdir(), "zen-lead-support-"));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("names each command a mode needs that no PATH directory holds as an executable", () => {
    for (const c of ["unshare", "nsenter", "setpriv", "ip"]) {
      writeFileSync(join(dir, c), "#!/bin/sh\n");
      chmodSync(join(dir, c), 0o755);
    }
    writeFileSync(join(dir, "nft"), "not executable");
    expect(missingCommands("nftables", dir)).toEqual(["nft"]);
    expect(missingCommands("iptables", `/nonexistent:${dir}`)).toEqual([
      "iptables-restore",
      "ip6tables-restore",
    ]);
  });
});

describe("dataplaneSupport", () => {
  it("says why in one line when the flavour asked for does not exist", async () => {
    const saved = process.env[FLAVOUR_ENV];
    process.env[FLAVOUR_ENV] = "docker";
    try {
      expect(await dataplaneSupport("nftables")).toEqual({
        ok: false,
        reason: `${FLAVOUR_ENV}=docker: expected userns or plain`,
      });
    } finally {
      if (saved === undefined) delete process.env[FLAVOUR_ENV];
      else process.env[FLAVOUR_ENV] = saved;
    }
  });
});
