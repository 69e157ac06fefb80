/**
 * The two writers of Odoo's zip: Python's zipfile on the instance's server (used when python3 is
 * there) and the in-process writer (used when it is not). Each must give a zip that `unzip` and
 * Python's zipfile accept, with dump.sql, manifest.json and the fixture's 91 filestore files; and
 * a pg_dump that fails must never leave a zip that looks whole.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { odooZipArgv, odooZipManifest, odooZipStream } from "../../plugins/backup/archive/odoo-zip-export.ts";
import { produceToFile } from "../../plugins/backup/archive/pipeline.ts";
import type { Connection } from "../../server/sdk/index.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { localConnection } from "../helpers/local-connection.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";
import { sh } from "./backup-helpers.ts";

let pg: TestPg;
let conn: Connection;
let db: string;
let filestore: string;
const dir = mkdtempSync(join(tmpdir(), "odoodeck-zipw-"));
const manifest = odooZipManifest("acme_prod", "17.0", 150004, { base: "17.0.1.3" });

beforeAll(async () => {
  pg = await getPg();
  conn = await localConnection();
  db = await fixtureDb("acme_prod");
  filestore = await extractFilestore("acme_prod", join(dir, "fs"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dumpArgv = () => ["pg_dump", "-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", db];

async function checkZip(zip: string) {
  expect((await sh(["unzip", "-tq", zip])).code).toBe(0);
  const py = await sh([
    "python3",
    "-c",
    "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())",
    zip,
  ]);
  expect(py.out.trim()).toBe("None");
  const names = (await sh(["unzip", "-Z1", zip])).out.trim().split("\n");
  expect(names).toContain("dump.sql");
  expect(names).toContain("manifest.json");
  expect(names.filter((n) => n.startsWith("filestore/")).length).toBe(91);
  expect(JSON.parse((await sh(["unzip", "-p", zip, "manifest.json"])).out)).toMatchObject({
    odoo_dump: "1",
    db_name: "acme_prod",
    pg_version: "15.0",
  });
  const partners = await sh([
    "sh",
    "-c",
    'unzip -p "$1" dump.sql | grep -c "^COPY public.res_partner "',
    "x",
    zip,
  ]);
  expect(partners.out.trim()).toBe("1");
}

describe("Odoo zip writers", () => {
  test("python3 zipfile on the server, written straight into the destination file", async () => {
    const zip = join(dir, "py.zip");
    const r = await produceToFile(
      conn,
      odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
      zip,
      {
        what: "zip",
        compress: false,
        env: { PGPASSWORD: pg.odooPassword },
      },
    );
    expect(r.bytes).toBe(Bun.file(zip).size);
    expect(r.sha256).toBe(new Bun.CryptoHasher("sha256").update(await Bun.file(zip).bytes()).digest("hex"));
    await checkZip(zip);
  });

  test("the in-process writer (servers without python3) gives the same entries", async () => {
    const zip = join(dir, "js.zip");
    const z = odooZipStream(conn, {
      pgDumpArgv: dumpArgv(),
      env: { PGPASSWORD: pg.odooPassword },
      filestoreDir: filestore,
      manifest,
      signal: new AbortController().signal,
    });
    await Bun.write(zip, new Response(z.stdout));
    expect(await z.finished).toEqual({ files: 91, bytes: expect.any(Number) });
    await checkZip(zip);
  });

  test("a pg_dump that fails (wrong password): E_DB_AUTH, and what was written is not a valid zip", async () => {
    const zip = join(dir, "bad.zip");
    const err = await produceToFile(
      conn,
      odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
      zip,
      { what: "zip", compress: false, env: { PGPASSWORD: "wrong" } },
    ).catch((e) => e);
    expect(err.code).toBe("E_DB_AUTH");
    expect((await sh(["unzip", "-tq", zip])).code).not.toBe(0);
  });

  test("a full disk while the zip is written: E_DISK_FULL", async () => {
    if (process.getuid?.() !== 0) return; // needs mount
    const small = join(dir, "small");
    await sh(["mkdir", "-p", small]);
    expect((await sh(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small])).code).toBe(0);
    try {
      const err = await produceToFile(
        conn,
        odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
        join(small, "full.zip"),
        { what: "zip", compress: false, env: { PGPASSWORD: pg.odooPassword } },
      ).catch((e) => e);
      expect(err.code).toBe("E_DISK_FULL");
    } finally {
      await sh(["umount", "-l", small]);
    }
  });
});
