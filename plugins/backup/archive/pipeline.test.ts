/**
 * produceToFile: the tools write the part themselves, then hash the file (OpenSSL's SHA-256 where
 * it is installed, else coreutils' sha256sum). Whichever hashes, the digest must be the file's,
 * and a producer that fails must say so.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalConnection } from "../../../server/sdk/testing.ts";
import { produceToFile } from "./pipeline.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PATH holding only what the script needs, with or without openssl. */
function pathWith(openssl: boolean): string {
  const bin = join(dir, openssl ? "bin-openssl" : "bin-coreutils");
  mkdirSync(bin, { recursive: true });
  for (const t of ["sh", "tee", "zstd", "head", ...(openssl ? ["openssl"] : ["sha256sum"])])
    symlinkSync(Bun.which(t)!, join(bin, t));
  // Beside openssl, a sha256sum that lies: a right digest then proves openssl made it.
  if (openssl)
    writeFileSync(join(bin, "sha256sum"), `#!/bin/sh\ncat >/dev/null; echo ${"0".repeat(64)}  -\n`, {
      mode: 0o755,
    });
  return bin;
}

const sha = async (path: string) =>
  new Bun.CryptoHasher("sha256").update(await Bun.file(path).bytes()).digest("hex");

describe("produceToFile hashes what it wrote", () => {
  for (const openssl of [true, false])
    test(`${openssl ? "with openssl" : "without openssl (sha256sum)"}: the digest is the file's, compressed or not`, async () => {
      if (openssl && !Bun.which("openssl")) return; // nothing to compare on a machine without it
      const conn = new LocalConnection();
      const env = { PATH: pathWith(openssl) };
      for (const compress of [false, true]) {
        const out = join(dir, `part-${openssl}-${compress}`);
        const r = await produceToFile(conn, ["head", "-c", "3000000", "/dev/urandom"], out, {
          what: "head",
          compress,
          env,
        });
        expect(r.bytes).toBe(Bun.file(out).size);
        expect(r.bytes).toBeGreaterThan(2_900_000);
        expect(r.sha256).toBe(await sha(out));
      }
      const err = await produceToFile(conn, ["head", "-c", "10", "/no/such/file"], join(dir, "bad"), {
        what: "head",
        compress: true,
        env,
      }).catch((e) => e);
      expect(err.code).toBe("E_COMMAND_FAILED");
    });
});
