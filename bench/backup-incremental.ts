/**
 * Daily filestore backup: a full tar (what a native backup did until now) vs the content-addressed
 * store (plugins/backup/filestore-store): the first CAS backup, then a daily incremental after 1%
 * new files, with the hash cache and without it (every file hashed again). Bytes moved are what
 * reached the destination; the filestore is Odoo-shaped (<sha1[:2]>/<sha1>), half incompressible.
 * Instance and destination are folders on this machine (the LocalConnection path), so the figures
 * are the cost of the method, not of a network.
 *
 * With --server the destination is a folder reached over SSH (a real sshd on loopback, as a
 * "server" destination is): what each object costs in round trips shows there, not in the method.
 *
 * With --s3 it is a bucket on a real S3-compatible server (s3rver on loopback); --encrypt seals
 * the objects with age (as for every destination that is not this machine). A restore's fetch of
 * every object is timed too.
 *
 * Run: node_modules/.bin/bun bench/backup-incremental.ts [--fs-mb 1024] [--files 20000] [--server|--s3] [--encrypt]
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDestination } from "../plugins/backup/destinations/local.ts";
import { S3Destination } from "../plugins/backup/destinations/s3.ts";
import { startS3rver } from "../plugins/backup/destinations/s3-test-server.ts";
import { ServerDestination } from "../plugins/backup/destinations/server.ts";
import { EncryptedDestination } from "../plugins/backup/encryption/encrypted-destination.ts";
import { identityFrom, recipientOf } from "../plugins/backup/encryption/keys.ts";
import { fetchObjects } from "../plugins/backup/filestore-store/fetch.ts";
import { readIndexAt } from "../plugins/backup/filestore-store/read-index.ts";
import type { Destination } from "../plugins/backup/destinations/types.ts";
import { backupFilestoreCas } from "../plugins/backup/filestore-store/backup-step.ts";
import { LocalConnection } from "../server/connections/local.ts";
import { SshConnection } from "../server/connections/ssh.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getSshd } from "../tests/helpers/sshd.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FS_MB = arg("fs-mb", 1024);
const FILES = arg("files", 20000);
const SERVER = process.argv.includes("--server");
const S3 = process.argv.includes("--s3");
const ENCRYPT = process.argv.includes("--encrypt");
const root = mkdtempSync(join(tmpdir(), "odoodeck-bench-cas-"));
const fs = join(root, "filestore");
const per = Math.floor((FS_MB * 1024 * 1024) / FILES);

function addFile(i: number): number {
  const data =
    i % 2
      ? crypto.getRandomValues(new Uint8Array(per))
      : Buffer.from(`${i} lorem ipsum dolor `.repeat(per / 20)).subarray(0, per);
  const sha1 = createHash("sha1").update(data).digest("hex");
  mkdirSync(join(fs, sha1.slice(0, 2)), { recursive: true });
  writeFileSync(join(fs, sha1.slice(0, 2), sha1), data);
  return data.byteLength;
}

const rows: [string, number, number, string][] = [];
async function timed(label: string, fn: () => Promise<number>, note = "") {
  const t0 = performance.now();
  const bytes = await fn();
  rows.push([label, bytes, (performance.now() - t0) / 1000, note]);
}

let ssh: SshConnection | null = null;
let stopS3 = async () => {};
try {
  console.error(`generating ${FILES} files, ${FS_MB} MB (half incompressible) in ${fs} …`);
  for (let i = 0; i < FILES; i++) addFile(i);
  const conn = new LocalConnection();
  const tarOut = join(root, "full.tar.zst");
  await timed("full tar + zstd -1 (today's native backup)", async () => {
    const p = Bun.spawn(["sh", "-c", `tar -C "$1" -cf - . | zstd -1 -T2 -q -c > "$2"`, "sh", fs, tarOut]);
    if ((await p.exited) !== 0) throw new Error("tar failed");
    return statSync(tarOut).size;
  });
  let dest: Destination = new LocalDestination(join(root, "dest"));
  if (SERVER) {
    const s = await getSshd();
    ssh = new SshConnection({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
    dest = new ServerDestination(ssh, join(root, "dest"), "server:1");
  }
  if (S3) {
    const s3 = await startS3rver(["bench"]);
    stopS3 = s3.stop;
    dest = new S3Destination(
      {
        endpoint: s3.endpoint,
        bucket: "bench",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        prefix: "b/",
      },
      "s3",
    );
  }
  if (ENCRYPT) {
    const p = Bun.spawnSync(["age-keygen"]);
    const identity = identityFrom(p.stdout.toString());
    dest = new EncryptedDestination(dest, { identity, recipient: await recipientOf(identity) });
  }
  const cache = join(root, "hash-cache.json");
  let n = 0;
  const cas = async (cachePath: string | null) => {
    const name = `bench_bench_2026010${++n}T000000Z_files.odoodeck`;
    const r = await backupFilestoreCas(conn, fs, [dest], () => `.${name}.partial`, { cachePath });
    if (r.errors.size) throw [...r.errors.values()][0];
    const w = r.written.get(dest.id)!;
    return w.bytes + r.part.bytes;
  };
  await timed("CAS, first backup", () => cas(cache), `${FILES} objects`);
  const first = `bench_bench_20260101T000000Z_files.odoodeck`;
  await timed("CAS, a restore's fetch of every object", async () => {
    const into = join(root, "fetched");
    await fetchObjects(dest, await readIndexAt(dest, `.${first}.partial`), into);
    rmSync(into, { recursive: true, force: true });
    return 0;
  });
  const added = Math.round(FILES / 100);
  for (let i = 0; i < added; i++) addFile(FILES + i);
  await timed("CAS, daily incremental (+1% files, hash cache)", () => cas(cache), `${added} new objects`);
  for (let i = 0; i < added; i++) addFile(FILES + added + i);
  await timed(
    "CAS, daily incremental (+1% files, no cache: all hashed)",
    () => cas(null),
    `${added} new objects`,
  );
  console.log(
    `\nFilestore ${FS_MB} MB in ${FILES} files (+1% a day); ${require("node:os").cpus().length} CPUs; local instance, destination ${SERVER ? "over SSH (loopback)" : S3 ? "S3 (s3rver, loopback)" : "local"}${ENCRYPT ? ", age-encrypted" : ""}\n`,
  );
  console.log("| method | bytes moved | seconds | |\n|---|---:|---:|---|");
  for (const [label, bytes, s, note] of rows)
    console.log(`| ${label} | ${(bytes / 1048576).toFixed(1)} MB | ${s.toFixed(2)} | ${note} |`);
} finally {
  await ssh?.close();
  await stopS3();
  rmSync(root, { recursive: true, force: true });
  await runCleanups();
}
