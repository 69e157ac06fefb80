/**
 * Backup benchmark (not part of `npm test`): an Odoo-like database (one big mail_message-like
 * table) and a filestore (many files, half incompressible) in the test cluster, then, in one run:
 *   1. odoodeck full native backup (pg_dump -Fc -Z0 | zstd ∥ tar | zstd, streamed, checksummed)
 *   2. odoodeck Odoo-compatible zip
 *   3. the hand recipe: pg_dump -Fc, then tar | gzip
 *   4. an Odoo-style zip as Odoo builds it: pg_dump plain to a temp dir, copy the filestore, zip -r
 *   5. restore: odoodeck's restore of the native backup into a new database (checked, neutralized,
 *      published) vs the hand recipe `createdb; pg_restore -j2` + `tar -xzf` of the same data
 * with wall time and peak RSS (odoodeck: its own process, polled from /proc; tools: /usr/bin/time -v).
 *
 * Run: node_modules/.bin/bun bench/backup.ts [--db-mb 1024] [--fs-mb 1024] [--files 20000]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addAcmeInstance, startBackupApp } from "../tests/integration/backup-helpers.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getPg } from "../tests/helpers/pg.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DB_MB = arg("db-mb", 1024);
const FS_MB = arg("fs-mb", 1024);
const FILES = arg("files", 20000);

const rssKb = () =>
  Number(/VmRSS:\s+(\d+)/.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0);

async function timed(
  cmd: string[],
  env: Record<string, string> = {},
): Promise<{ secs: number; peakMb: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(["/usr/bin/time", "-v", ...cmd], {
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const err = await new Response(p.stderr).text();
  if ((await p.exited) !== 0) throw new Error(`${cmd.join(" ")}: ${err.slice(-500)}`);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? 0);
  return { secs: (performance.now() - t0) / 1000, peakMb: kb / 1024 };
}

async function main() {
  const pg = await getPg();
  const t = await startBackupApp();
  const inst = await addAcmeInstance(t, "bench");
  console.error(`generating ${DB_MB} MB of mail_message rows in ${inst.db} …`);
  // ~1 KiB per row of text that compresses like real mail bodies (HTML-ish, repetitive).
  const rows = DB_MB * 1024;
  await pg.psql(
    inst.db,
    `CREATE TABLE bench_mail_message (id serial PRIMARY KEY, model varchar, res_id int, body text, date timestamp);
    INSERT INTO bench_mail_message (model, res_id, body, date)
    SELECT 'res.partner', g % 1000, '<p>' || repeat(md5(g::text) || ' Hello, your order ' || g || ' has shipped. ', 14) || '</p>', now() - (g || ' minutes')::interval
      FROM generate_series(1, ${rows}) g;
    ANALYZE bench_mail_message; ALTER TABLE bench_mail_message OWNER TO ${pg.odooUser};`,
  );
  console.error(`generating ${FILES} files, ${FS_MB} MB (half incompressible) …`);
  const per = Math.floor((FS_MB * 1024 * 1024) / FILES);
  const text = Buffer.from(
    "lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(Math.ceil(per / 57)),
  ).subarray(0, per);
  for (let i = 0; i < FILES; i++) {
    const dir = join(inst.filestore, (i % 256).toString(16).padStart(2, "0"));
    if (i < 256) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `bench-${i}`), i % 2 ? crypto.getRandomValues(new Uint8Array(per)) : text);
  }
  const size = (await pg.psql(inst.db, "SELECT pg_database_size(current_database())")).trim();
  const out = mkdtempSync(join(tmpdir(), "odoodeck-bench-out-"));
  const results: { name: string; secs: number; peakMb: number; bytes: string }[] = [];
  await Bun.spawn(["sync"]).exited;

  let nativeBackupId = 0;
  for (const format of ["native", "zip"]) {
    let peak = rssKb();
    const base = peak;
    const poll = setInterval(() => (peak = Math.max(peak, rssKb())), 50);
    const t0 = performance.now();
    const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
      wait: true,
      format,
      destinations: "local",
    });
    clearInterval(poll);
    const b = r.body.data.backup;
    if (b.status !== "ok") throw new Error(`backup ${format} ${b.status}: ${b.error}`);
    if (format === "native") nativeBackupId = b.id;
    results.push({
      name: `odoodeck ${format}`,
      secs: (performance.now() - t0) / 1000,
      peakMb: peak / 1024,
      bytes: `${(b.bytes / 1048576).toFixed(0)} MB (RSS +${((peak - base) / 1024).toFixed(0)} MB)`,
    });
  }

  const env = { PGPASSWORD: pg.odooPassword };
  const conn = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", inst.db];
  const a = await timed(["pg_dump", "-Fc", "-f", join(out, "hand.dump"), ...conn], env);
  const b2 = await timed([
    "sh",
    "-c",
    'tar -C "$1" -cf - . | gzip > "$2"',
    "x",
    inst.filestore,
    join(out, "hand.tar.gz"),
  ]);
  const handBytes = Bun.file(join(out, "hand.dump")).size + Bun.file(join(out, "hand.tar.gz")).size;
  results.push({
    name: "hand: pg_dump -Fc; tar | gzip",
    secs: a.secs + b2.secs,
    peakMb: Math.max(a.peakMb, b2.peakMb),
    bytes: `${(handBytes / 1048576).toFixed(0)} MB`,
  });

  const odooDir = join(out, "odoo");
  mkdirSync(odooDir);
  const c1 = await timed(["pg_dump", "--no-owner", "-f", join(odooDir, "dump.sql"), ...conn], env);
  const c2 = await timed(["cp", "-r", inst.filestore, join(odooDir, "filestore")]);
  const c3 = await timed([
    "sh",
    "-c",
    'cd "$1" && zip -q -r "$2" dump.sql filestore',
    "x",
    odooDir,
    join(out, "odoo.zip"),
  ]);
  results.push({
    name: "Odoo-style: pg_dump plain, cp, zip -r",
    secs: c1.secs + c2.secs + c3.secs,
    peakMb: Math.max(c1.peakMb, c2.peakMb, c3.peakMb),
    bytes: `${(Bun.file(join(out, "odoo.zip")).size / 1048576).toFixed(0)} MB`,
  });

  // Restore: ours (into a new database, with its checks and neutralization) vs the hand recipe.
  {
    let peak = rssKb();
    const base = peak;
    const poll = setInterval(() => (peak = Math.max(peak, rssKb())), 50);
    const t0 = performance.now();
    const r = await t.admin.postJson(`/api/v1/backup/i/${inst.id}/restore`, {
      backupId: nativeBackupId,
      target: "new",
      dbName: `${inst.db}_rs`,
    });
    if (!r.body.ok) throw new Error(`restore: ${JSON.stringify(r.body)}`);
    const opId = r.body.data.operationId;
    while (t.core.operations.get(opId)?.status === "running") await Bun.sleep(100);
    clearInterval(poll);
    const op = t.core.operations.get(opId);
    if (op?.status !== "ok") throw new Error(`restore ${op?.status}: ${op?.error?.message}`);
    results.push({
      name: "odoodeck restore (native → new db, checked + neutralized)",
      secs: (performance.now() - t0) / 1000,
      peakMb: peak / 1024,
      bytes: `RSS +${((peak - base) / 1024).toFixed(0)} MB`,
    });
    await pg.dropDb(`${inst.db}_rs`);
    const conn2 = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser];
    const h1 = await timed(["createdb", ...conn2, `${inst.db}_hand`], env);
    const h2 = await timed(
      ["pg_restore", "-j2", "--no-owner", ...conn2, "-d", `${inst.db}_hand`, join(out, "hand.dump")],
      env,
    );
    const fsOut = join(out, "hand-fs");
    mkdirSync(fsOut);
    const h3 = await timed(["tar", "-xzf", join(out, "hand.tar.gz"), "-C", fsOut]);
    results.push({
      name: "hand: createdb; pg_restore -j2; tar -xzf",
      secs: h1.secs + h2.secs + h3.secs,
      peakMb: Math.max(h1.peakMb, h2.peakMb, h3.peakMb),
      bytes: "",
    });
    await pg.dropDb(`${inst.db}_hand`);
  }

  console.log(
    `\nDatabase ${(Number(size) / 1048576).toFixed(0)} MB (pg_database_size), filestore ${FS_MB} MB in ${FILES} files; ${require("node:os").cpus().length} CPUs\n`,
  );
  console.log("| method | wall (s) | peak RSS (MB) | output |");
  console.log("| --- | ---: | ---: | --- |");
  for (const r of results)
    console.log(`| ${r.name} | ${r.secs.toFixed(1)} | ${r.peakMb.toFixed(0)} | ${r.bytes} |`);
  rmSync(out, { recursive: true, force: true });
  await t.stop();
  rmSync(t.dir, { recursive: true, force: true });
  await runCleanups?.();
}

await main();
process.exit(0);
