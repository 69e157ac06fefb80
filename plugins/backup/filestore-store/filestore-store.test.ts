/**
 * The content-addressed filestore store against real destinations: a folder on this machine, a
 * folder on a server over a real sshd (the filestore read over SSH too), that server folder
 * age-encrypted, and an S3 bucket (s3rver), plain and age-encrypted. Two backups of a filestore with a few new files: the second moves only the new
 * objects; each restores to the exact tree; deleting a backup and collecting frees only what no
 * kept backup references; the check finds a missing and a damaged object.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "../../../server/sdk/index.ts";
import { getSshd, LocalConnection, SshConnection } from "../../../server/sdk/testing.ts";
import { S3Client } from "bun";
import { LocalDestination } from "../destinations/local.ts";
import { S3Destination } from "../destinations/s3.ts";
import { startS3rver } from "../destinations/s3-test-server.ts";
import { ServerDestination } from "../destinations/server.ts";
import type { Destination } from "../destinations/types.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { newKey, publishedCasBackup, tree } from "./test-helpers.ts";
import { checkObjects } from "./check.ts";
import { fetchObjects } from "./fetch.ts";
import { collectGarbage } from "./gc.ts";
import { objectRel } from "./layout.ts";
import { listObjects } from "./listing.ts";
import { materializeFilestore } from "./materialize.ts";
import { readIndexAt } from "./read-index.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-cas-"));
/**
 * Files in the first backup (one of them large). Every object costs a few round trips over SSH
 * and an age process when encrypted, and what the tests prove needs only "more than the new ones".
 */
const FILES = 50;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file named as Odoo names it: <sha1[:2]>/<sha1>. */
function addOdooFile(dir: string, bytes: number): { path: string; bytes: number } {
  const data = randomBytes(bytes);
  const sha1 = createHash("sha1").update(data).digest("hex");
  mkdirSync(join(dir, sha1.slice(0, 2)), { recursive: true });
  writeFileSync(join(dir, sha1.slice(0, 2), sha1), data);
  return { path: `${sha1.slice(0, 2)}/${sha1}`, bytes };
}

let seq = 0;
async function backup(conn: Connection, filestore: string, d: Destination) {
  // a day apart (a tenth backup must still carry a valid date: "2026010" + 10 did not)
  const day = new Date(Date.UTC(2026, 0, ++seq)).toISOString().slice(0, 10).replaceAll("-", "");
  const name = `acme_acme_${day}T000000Z_files.odoodeck`;
  const r = await publishedCasBackup(conn, filestore, d, name);
  return { name, written: r.written.get(d.id)! };
}

/** The stored bytes behind a destination, reached the way an operator (or an accident) would. */
interface RawStore {
  read(rel: string): Promise<Buffer>;
  write(rel: string, data: Uint8Array | string): Promise<void>;
  remove(rel: string): Promise<void>;
}

function folderStore(dir: string): RawStore {
  return {
    read: async (rel) => readFileSync(join(dir, rel)),
    write: async (rel, data) => {
      mkdirSync(join(dir, rel, ".."), { recursive: true });
      writeFileSync(join(dir, rel), data);
    },
    remove: async (rel) => unlinkSync(join(dir, rel)),
  };
}

/** A real S3-compatible server (s3rver) on a random loopback port, for this file. */
let s3: Promise<{ endpoint: string; client: S3Client }> | null = null;
let stopS3 = async () => {};
afterAll(() => stopS3());
function getS3() {
  s3 ??= startS3rver(["backups"]).then(({ endpoint, stop }) => {
    stopS3 = stop;
    const client = new S3Client({
      endpoint,
      bucket: "backups",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    });
    return { endpoint, client };
  });
  return s3;
}

async function s3Kind(prefix: string, id: string) {
  const { endpoint, client } = await getS3();
  const dest = new S3Destination(
    { endpoint, bucket: "backups", accessKeyId: "S3RVER", secretAccessKey: "S3RVER", prefix },
    id,
  );
  const raw: RawStore = {
    read: async (rel) => Buffer.from(await client.file(`${prefix}${rel}`).arrayBuffer()),
    write: async (rel, data) => void (await client.write(`${prefix}${rel}`, data)),
    remove: async (rel) => client.delete(`${prefix}${rel}`),
  };
  return { dest, raw };
}

interface Kind {
  label: string;
  setup(): Promise<{ conn: Connection; dest: Destination; storeDir: string; suffix: string; raw: RawStore }>;
}

const kinds: Kind[] = [
  {
    label: "local folder",
    async setup() {
      const storeDir = join(root, "local");
      return {
        conn: new LocalConnection(),
        dest: new LocalDestination(storeDir),
        storeDir,
        suffix: "",
        raw: folderStore(storeDir),
      };
    },
  },
  {
    label: "server over SSH",
    async setup() {
      const s = await getSshd();
      const conn = new SshConnection({
        host: s.host,
        port: s.port,
        username: s.username,
        privateKey: s.privateKey,
      });
      const storeDir = join(root, "server");
      return {
        conn,
        dest: new ServerDestination(conn, storeDir, "server:1"),
        storeDir,
        suffix: "",
        raw: folderStore(storeDir),
      };
    },
  },
  {
    label: "server over SSH, age-encrypted",
    async setup() {
      const s = await getSshd();
      const conn = new SshConnection({
        host: s.host,
        port: s.port,
        username: s.username,
        privateKey: s.privateKey,
      });
      const storeDir = join(root, "server-enc");
      const dest = new EncryptedDestination(
        new ServerDestination(conn, storeDir, "server:2"),
        await newKey(),
      );
      return { conn, dest, storeDir, suffix: ".age", raw: folderStore(storeDir) };
    },
  },
  {
    label: "S3 bucket (s3rver)",
    async setup() {
      const { dest, raw } = await s3Kind("cas/", "s3");
      return { conn: new LocalConnection(), dest, storeDir: "", suffix: "", raw };
    },
  },
  {
    label: "S3 bucket, age-encrypted",
    async setup() {
      const { dest, raw } = await s3Kind("cas-enc/", "s3");
      return {
        conn: new LocalConnection(),
        dest: new EncryptedDestination(dest, await newKey()),
        storeDir: "",
        suffix: ".age",
        raw,
      };
    },
  },
];

for (const kind of kinds) {
  describe(`CAS filestore at a ${kind.label}`, () => {
    let conn: Connection;
    let dest: Destination;
    let storeDir: string;
    let suffix: string;
    let raw: RawStore;
    const filestore = join(root, `fs-${kind.label.replace(/\W+/g, "-")}`);
    const snapshots: Record<string, string>[] = [];
    const names: string[] = [];
    let removedPath = "";

    beforeAll(async () => {
      ({ conn, dest, storeDir, suffix, raw } = await kind.setup());
      mkdirSync(filestore, { recursive: true });
      for (let i = 0; i < FILES - 1; i++) addOdooFile(filestore, 1000 + ((i * 7919) % 30000));
      addOdooFile(filestore, 5 * 1024 * 1024 + 3); // beyond the in-memory size: streamed
    }, 60_000);
    afterAll(async () => {
      if (conn.kind !== "local") await conn.close();
    });

    test("the second of two backups with 4% new files uploads only the new objects", async () => {
      const first = await backup(conn, filestore, dest);
      expect(first.written.objects).toBe(FILES);
      snapshots.push(tree(filestore));
      names.push(first.name);
      // A day later: two new attachments (4%), one deleted (Odoo's GC of unlinked attachments).
      addOdooFile(filestore, 12345);
      addOdooFile(filestore, 23456);
      removedPath = Object.keys(snapshots[0])[0];
      unlinkSync(join(filestore, removedPath));
      const second = await backup(conn, filestore, dest);
      expect(second.written).toEqual({ objects: 2, bytes: 12345 + 23456 });
      snapshots.push(tree(filestore));
      names.push(second.name);
      expect((await listObjects(dest)).size).toBe(FILES + 2);
    }, 120_000);

    test("each backup restores the exact filestore", async () => {
      for (const [i, name] of names.entries()) {
        const index = await readIndexAt(dest, name);
        let objectsRoot = storeDir;
        if (dest.kind !== "local") {
          objectsRoot = join(root, `staging-${i}-${kind.label.replace(/\W+/g, "-")}`);
          expect(await fetchObjects(dest, index, objectsRoot)).toBe(Object.keys(snapshots[i]).length);
        }
        const target = join(root, `restored-${i}-${kind.label.replace(/\W+/g, "-")}`);
        mkdirSync(target);
        const r = await materializeFilestore(conn, index, objectsRoot, target, { link: true });
        expect(tree(target)).toEqual(snapshots[i]);
        if (conn.kind === "local") expect(r.linked).toBe(r.files); // same filesystem: hard links
      }
    }, 120_000);

    test("encrypted objects are not the plaintext, and another key cannot read them", async () => {
      const [path, sha] = Object.entries(snapshots[1])[5];
      const stored = await raw.read(`${objectRel(sha)}${suffix}`);
      const plain = readFileSync(join(filestore, path));
      if (!suffix) {
        expect(stored.equals(plain)).toBe(true);
        return;
      }
      expect(stored.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
      expect(stored.includes(plain.subarray(0, 64))).toBe(false);
      expect(await dest.size(objectRel(sha))).toBe(plain.byteLength);
      const other = new EncryptedDestination((dest as EncryptedDestination).inner, await newKey());
      const err = await new Response(other.read(objectRel(sha))).arrayBuffer().then(
        () => null,
        (e) => e,
      );
      expect(err?.code).toBe("E_BACKUP_KEY");
    }, 60_000);

    test("deleting a backup and collecting frees only the objects no kept backup references", async () => {
      // A temporary name left by an interrupted upload is garbage too.
      await raw.write(`objects/ff/.${"f".repeat(64)}.partial`, "half");
      expect((await collectGarbage(dest)).removed).toBe(1); // both backups kept: only the leftover
      await dest.remove(names[0]);
      const r = await collectGarbage(dest);
      expect(r).toEqual({ backups: 1, referenced: FILES + 1, removed: 1 });
      const gone = snapshots[0][removedPath];
      expect((await listObjects(dest)).has(gone)).toBe(false);
      const check = await checkObjects(dest, names[1]);
      expect(check).toEqual({ checked: FILES + 1, missing: [], corrupt: [] });
    }, 120_000);

    // a rename by hand is a folder's; one destination kind shows it
    if (kind.label === "local folder")
      test("a backup folder renamed by hand still keeps its objects from the sweep", async () => {
        const renamed = join(storeDir, "kept-by-hand");
        renameSync(join(storeDir, names[1]), renamed);
        try {
          expect(await collectGarbage(dest)).toEqual({ backups: 1, referenced: FILES + 1, removed: 0 });
        } finally {
          renameSync(renamed, join(storeDir, names[1]));
        }
      }, 60_000);

    test("the check finds a missing and a damaged object", async () => {
      const shas = [...new Set(Object.values(snapshots[1]))];
      const [missing, damaged] = [shas[3], shas[4]];
      await raw.remove(`${objectRel(missing)}${suffix}`);
      const b = await raw.read(`${objectRel(damaged)}${suffix}`);
      b[b.length - 20] ^= 1;
      await raw.write(`${objectRel(damaged)}${suffix}`, b);
      expect((await raw.read(`${objectRel(damaged)}${suffix}`)).equals(b)).toBe(true);
      const check = await checkObjects(dest, names[1]);
      expect(check.missing).toEqual([missing]);
      expect(check.corrupt).toEqual([damaged]);
    }, 120_000);
  });
}
