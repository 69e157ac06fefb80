/**
 * Damaged backups are refused BEFORE anything is created, and Odoo's own `dump` format restores.
 * The damage is real: one bit of dump.sql's deflated data in a copy of Odoo's zip, chosen so that
 * it still inflates (to altered SQL) and only its CRC-32 tells; a zip cut in half; a native backup
 * with a bit flipped in its database part.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import type { TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, sh, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
const uploads = () => join(t.dataDir, "backup-uploads");

/** A copy of Odoo's zip with one bit of dump.sql's data flipped where the data still inflates. */
function flippedZip(): Buffer {
  const zip = Buffer.from(readFileSync(FIXTURES.prodOdooBackupZip));
  // dump.sql is the first entry: local header at 0 (sizes from the header; Odoo writes them there).
  expect(zip.readUInt32LE(0)).toBe(0x04034b50);
  const size = zip.readUInt32LE(18);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const data = zip.subarray(start, start + size);
  const original = inflateRawSync(data);
  for (let at = Math.floor(size / 2); at < size; at++) {
    data[at] ^= 1;
    try {
      const out = inflateRawSync(data);
      if (out.length === original.length && !out.equals(original)) return zip;
    } catch {}
    data[at] ^= 1;
  }
  throw new Error("no bit found whose flip still inflates");
}

async function upload(bytes: Uint8Array | string) {
  const res = await t.admin.request("POST", `/api/v1/backup/i/${acme.id}/restore/upload`, {
    body: typeof bytes === "string" ? Bun.file(bytes).stream() : new Blob([bytes as Uint8Array<ArrayBuffer>]),
    headers: { Accept: "application/json", "Content-Type": "application/octet-stream" },
  });
  return (await res.json()) as any;
}

/** Restores `source` into a new database through the API; the finished operation. */
async function restoreNew(source: string, dbName: string) {
  const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, { source, target: "new", dbName });
  expect(r.body.ok).toBe(true);
  for (;;) {
    const op = (await t.admin.getJson(`/api/v1/operations/${r.body.data.operationId}`)).body.data;
    if (op.status !== "running") return op;
    await Bun.sleep(200);
  }
}

const databases = async (prefix: string) =>
  (await getPg()).psql("postgres", `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`);
const filestoreLeft = (prefix: string) =>
  readdirSync(join(acme.data, "filestore")).filter((n) => n.includes(prefix));

beforeAll(async () => {
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
});
afterAll(() => t?.stop());

describe("a damaged backup is refused before anything is made", () => {
  test("a zip whose dump.sql fails its CRC: `unzip -t` says so, the upload and the restore refuse it", async () => {
    const bad = join(t.dir, "flipped.zip");
    writeFileSync(bad, flippedZip());
    const unzip = await sh(["unzip", "-t", bad]);
    expect(unzip.code).not.toBe(0);
    expect(unzip.out).toContain("dump.sql");

    const up = await upload(bad);
    expect(up.error?.code).toBe("E_BACKUP_CORRUPT");
    expect(up.error.message).toContain("dump.sql does not match its CRC-32");
    expect(readdirSync(uploads())).toEqual([]);

    const inside = join(uploads(), "flipped.zip");
    writeFileSync(inside, readFileSync(bad));
    const op = await restoreNew(inside, "crc_bad");
    expect(op.status).toBe("error");
    expect(op.error.code).toBe("E_BACKUP_CORRUPT");
    expect(op.error.message).toContain("dump.sql does not match its CRC-32");
    expect(op.log).not.toContain("Restoring"); // the log line once a temporary copy is made
    expect((await databases("crc_bad")).trim()).toBe("");
    expect(filestoreLeft("crc_bad")).toEqual([]);
  });

  test("a zip cut in half is refused by the upload and leaves nothing", async () => {
    const whole = readFileSync(FIXTURES.prodOdooBackupZip);
    const up = await upload(whole.subarray(0, whole.length >> 1));
    expect(up.error?.code).toBe("E_BACKUP_CORRUPT");
    expect(readdirSync(uploads()).filter((n) => n.startsWith("upload-"))).toEqual([]);
  });

  test("a native backup with one bit flipped in db.dump.zst: refused before a temporary database exists", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/instances/${acme.id}/backups`, {
      wait: true,
      destinations: "local",
      scope: "db",
    });
    const b = r.body.data.backup;
    expect(b.status).toBe("ok");
    const part = join(b.destinations[0].path, "db.dump.zst");
    const bytes = readFileSync(part);
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(part, bytes);
    const op = await restoreNew(b.destinations[0].path, "sha_bad");
    expect(op.status).toBe("error");
    expect(op.error).toMatchObject({ code: "E_BACKUP_CORRUPT" });
    expect(op.error.message).toContain("db.dump.zst does not match its SHA-256");
    expect(op.log).not.toContain("Restoring"); // the log line once a temporary copy is made
    expect((await databases("sha_bad")).trim()).toBe("");
    expect(filestoreLeft("sha_bad")).toEqual([]);
  });
});

describe("Odoo's `dump` backup format", () => {
  test("uploaded and restored into a new database: 101 partners, an empty filestore", async () => {
    const up = await upload(FIXTURES.dump("acme_prod"));
    expect(up.ok).toBe(true);
    expect(up.data).toMatchObject({
      dbName: null,
      files: 0,
      bytes: Bun.file(FIXTURES.dump("acme_prod")).size,
    });
    expect(up.data.path.endsWith(".dump")).toBe(true);
    const op = await restoreNew(up.data.path, "from_dump");
    expect(op.error ?? null).toBeNull();
    expect(op.status).toBe("ok");
    const pg = await getPg();
    expect((await pg.psql("from_dump", "SELECT count(*) FROM res_partner")).trim()).toBe("101");
    expect(readdirSync(join(acme.data, "filestore", "from_dump"))).toEqual([]);
    await pg.dropDb("from_dump");
    rmSync(join(acme.data, "filestore", "from_dump"), { recursive: true });
  });
});
