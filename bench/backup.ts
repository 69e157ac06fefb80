/**
 * Backup benchmark (not part of `npm test`): an Odoo-like database (one big mail_message-like
 * table) and a filestore (many files, half incompressible) in the test cluster, then, in one run:
 *   1. odoodeck full native backup (pg_dump -Fc -Z0 | zstd ∥ tar | zstd, streamed, checksummed)
 *   2. odoodeck Odoo-compatible zip
 *   3. the hand recipe: pg_dump -Fc, then tar | gzip
 *   3b. the fastest raw pipe (PERF-BASELINES.md): pg_dump -Fc -Z0 | zstd -1 -T2 in parallel with
 *      tar | zstd -1 -T2 — the floor our native backup is held against (goal ≤ 1.25×)
 *   4. an Odoo-style zip as Odoo builds it: pg_dump plain to a temp dir, copy the filestore, zip -r
 *   5. restore: odoodeck's restore of the native backup into a new database (checked, neutralized,
 *      published) vs the hand recipe `createdb; pg_restore -j2` + `tar -xzf` of the same data,
 *      alternated --rounds times (the table shows the median; the machine's noise is ±1–2 s)
 * odoodeck runs as its own process, as `npm start` runs it (or the compiled binary with
 * --binary dist/odoodeck), driven through its HTTP API; its RSS is polled from /proc every 20 ms.
 * The tools' peak RSS comes from /usr/bin/time -v.
 *
 * Run: node_modules/.bin/bun bench/backup.ts [--db-mb 1024] [--fs-mb 1024] [--files 20000]
 *      [--rounds 3] [--binary dist/odoodeck] [--ssh]   (--help prints this)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addAcmeInstance, moveToSshServer } from "../tests/integration/backup-helpers.ts";
import { startTestApp, TestClient } from "../tests/helpers/app.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getPg } from "../tests/helpers/pg.ts";
import backupPlugin from "../plugins/backup/index.ts";
import { toFileScript } from "../plugins/backup/archive/pipeline.ts";

if (process.argv.includes("--help")) {
  console.log(`bun bench/backup.ts [options]
  --db-mb N      database size in MB (default 1024)
  --fs-mb N      filestore size in MB (default 1024)
  --files N      filestore file count (default 20000)
  --rounds N     restore rounds, ours vs hand, alternated (default 3)
  --binary PATH  run the compiled odoodeck instead of bun server/main.ts
  --ssh          reach the instance over SSH (a real sshd on loopback)
  --native-only  only the odoodeck native backup vs the fastest raw pipe, alternated --rounds times (medians)
  --zip-only     only the odoodeck zip vs the Odoo-style zip, alternated --rounds times (medians)
Prints a table: odoodeck native and zip backups, the hand recipe, the fastest raw pipe,
an Odoo-style zip and restores; then native ÷ fastest raw pipe (goal ≤ 1.25×) and
zip ÷ Odoo-style zip (goal ≤ 0.5×).`);
  process.exit(0);
}
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DB_MB = arg("db-mb", 1024);
const FS_MB = arg("fs-mb", 1024);
const FILES = arg("files", 20000);
const ROUNDS = arg("rounds", 3);
const BINARY = process.argv.includes("--binary") ? process.argv[process.argv.indexOf("--binary") + 1] : null;
/** --ssh: the instance is reached over SSH (a real sshd on loopback), so every byte streams through odoodeck. */
const SSH = process.argv.includes("--ssh");
/** --zip-only: the zip comparison alone, alternated, for a loaded machine. */
const ZIP_ONLY = process.argv.includes("--zip-only");
/** --native-only: odoodeck's native backup vs the fastest raw pipe, alternated --rounds times (medians). */
const NATIVE_ONLY = process.argv.includes("--native-only");

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

/** odoodeck as its own process on `dataDir`; RSS is read from /proc. */
async function startOdoodeck(dataDir: string) {
  const cmd = BINARY
    ? [BINARY, "serve", "--data", dataDir, "--port", "0"]
    : [process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0"];
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on (http:\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`odoodeck did not start: ${out}`);
    out += new TextDecoder().decode(value);
  }
  void (async () => {
    while (!(await reader.read()).done) {}
  })();
  const url = /listening on (http:\S+)/.exec(out)![1];
  const rssMb = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1]) / 1024;
  /** Runs `fn` while polling odoodeck's RSS: the peak and the rise over the RSS just before. */
  const watch = async <T>(fn: () => Promise<T>) => {
    const base = rssMb();
    let peak = base;
    const poll = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    const t0 = performance.now();
    try {
      const value = await fn();
      return { value, secs: (performance.now() - t0) / 1000, peak, rise: peak - base };
    } finally {
      clearInterval(poll);
    }
  };
  const stop = () => {
    proc.kill("SIGTERM");
    return proc.exited;
  };
  return { url, rssMb, watch, stop };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const pg = await getPg();
  const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-bench-data-"));
  const t = Object.assign(await startTestApp({ plugins: [backupPlugin], dataDir }), {
    dir: mkdtempSync(join(tmpdir(), "odoodeck-bench-")),
  });
  const inst = await addAcmeInstance(t, "bench");
  if (SSH) await moveToSshServer(t, inst.id);
  await t.stop(); // the data directory stays: odoodeck starts on it below, as its own process
  console.error(`generating ${DB_MB} MB of mail_message rows in ${inst.db} …`);
  // ~1 KiB per row of text that compresses like real mail bodies (HTML-ish, repetitive).
  const rows = DB_MB * 1024;
  await pg.psql(
    inst.db,
    `CREATE TABLE bench_mail_message (id serial PRIMARY KEY, model varchar, res_id int, body text, date timestamp);
    INSERT INTO bench_mail_message (model, res_id, body, date)
    SELECT 'res.partner', g % 1000, '<p>' || repeat(md5(g::text) || ' Hello, your order ' || g || ' has shipped. ', 14) || '</p>', now() - (g || ' minutes')::interval
      FROM generate_series(1, ${rows}) g;
    ALTER TABLE bench_mail_message OWNER TO ${pg.odooUser};`,
  );
  // Freshly inserted rows get their hint bits set by whoever reads them first: that would be the
  // first backup measured, and every page written again would be counted against it.
  await pg.psql(inst.db, "VACUUM (FREEZE, ANALYZE) bench_mail_message");
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
  await Bun.spawn(["sync"]).exited;

  const od = await startOdoodeck(dataDir);
  const admin = new TestClient(od.url);
  await admin.login("admin");
  await Bun.sleep(1000);
  const idle = od.rssMb();
  const results: { name: string; secs: number; peakMb: number; note: string }[] = [];

  if (ZIP_ONLY || NATIVE_ONLY) {
    if (ZIP_ONLY) await zipRounds(od, admin, inst, pg, out);
    else await nativeRounds(od, admin, inst, pg, out);
    await od.stop();
    for (const d of [out, t.dir, dataDir]) rmSync(d, { recursive: true, force: true });
    await runCleanups?.();
    return;
  }
  let nativeBackupId = 0;
  for (const format of ["native", "zip"]) {
    const w = await od.watch(() =>
      admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
        wait: true,
        format,
        destinations: "local",
      }),
    );
    const b = w.value.body.data.backup;
    if (b.status !== "ok") throw new Error(`backup ${format} ${b.status}: ${b.error}`);
    if (format === "native") nativeBackupId = b.id;
    await printSteps(admin, b.operationId, `odoodeck ${format}`);
    results.push({
      name: `odoodeck ${format}`,
      secs: w.secs,
      peakMb: w.peak,
      note: `${(b.bytes / 1048576).toFixed(0)} MB; RSS +${w.rise.toFixed(0)} MB`,
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
    note: `${(handBytes / 1048576).toFixed(0)} MB`,
  });

  const raw = await rawPipe(conn, env, inst.filestore, out);
  results.push({
    name: "raw pipe: pg_dump -Fc -Z0 | zstd -1 -T2 ∥ tar | zstd -1 -T2",
    secs: Math.max(raw.f1.secs, raw.f2.secs),
    peakMb: Math.max(raw.f1.peakMb, raw.f2.peakMb),
    note: `${(raw.bytes / 1048576).toFixed(0)} MB (db ${raw.f1.secs.toFixed(1)} s ∥ fs ${raw.f2.secs.toFixed(1)} s)`,
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
    note: `${(Bun.file(join(odooDir, "..", "odoo.zip")).size / 1048576).toFixed(0)} MB`,
  });
  rmSync(odooDir, { recursive: true, force: true });

  // Restore: ours (into a new database, with its checks and neutralization) vs the hand recipe,
  // alternated so that both see the same machine.
  const ours: { secs: number; peak: number; rise: number }[] = [];
  const hand: { secs: number; peakMb: number; split: string }[] = [];
  const conn2 = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser];
  for (let round = 1; round <= ROUNDS; round++) {
    const dbName = `${inst.db}_rs${round}`;
    const w = await od.watch(async () => {
      const r = await admin.postJson(`/api/v1/backup/i/${inst.id}/restore`, {
        backupId: nativeBackupId,
        target: "new",
        dbName,
      });
      if (!r.body.ok) throw new Error(`restore: ${JSON.stringify(r.body)}`);
      for (;;) {
        const op = (await admin.getJson(`/api/v1/operations/${r.body.data.operationId}`)).body.data;
        if (op.status !== "running") return op;
        await Bun.sleep(50);
      }
    });
    if (w.value.status !== "ok") throw new Error(`restore ${w.value.status}: ${w.value.log}`);
    if (round === 1) console.error(w.value.log);
    ours.push(w);
    await pg.dropDb(dbName);
    rmSync(join(inst.data, "filestore", dbName), { recursive: true, force: true });
    await Bun.spawn(["sync"]).exited;

    const handDb = `${inst.db}_hand${round}`;
    const h1 = await timed(["createdb", ...conn2, handDb], env);
    const h2 = await timed(
      ["pg_restore", "-j2", "--no-owner", ...conn2, "-d", handDb, join(out, "hand.dump")],
      env,
    );
    const fsOut = join(out, `hand-fs${round}`);
    mkdirSync(fsOut);
    const h3 = await timed(["tar", "-xzf", join(out, "hand.tar.gz"), "-C", fsOut]);
    hand.push({
      secs: h1.secs + h2.secs + h3.secs,
      peakMb: Math.max(h1.peakMb, h2.peakMb, h3.peakMb),
      split: `${h2.secs.toFixed(1)} + ${h3.secs.toFixed(1)}`,
    });
    await pg.dropDb(handDb);
    rmSync(fsOut, { recursive: true, force: true });
    await Bun.spawn(["sync"]).exited;
    console.error(`round ${round}: ours ${w.secs.toFixed(1)} s, hand ${hand.at(-1)!.secs.toFixed(1)} s`);
  }
  const oursMed = median(ours.map((r) => r.secs));
  const handMed = median(hand.map((r) => r.secs));
  results.push({
    name: "odoodeck restore (native → new db, checked + neutralized)",
    secs: oursMed,
    peakMb: Math.max(...ours.map((r) => r.peak)),
    note: `runs ${ours.map((r) => r.secs.toFixed(1)).join(", ")}; RSS +${Math.max(...ours.map((r) => r.rise)).toFixed(0)} MB`,
  });
  results.push({
    name: "hand: createdb; pg_restore -j2; tar -xzf",
    secs: handMed,
    peakMb: Math.max(...hand.map((r) => r.peakMb)),
    note: `runs ${hand.map((r) => `${r.secs.toFixed(1)} (pg_restore ${r.split} tar)`).join(", ")}`,
  });

  console.log(
    `\nDatabase ${(Number(size) / 1048576).toFixed(0)} MB (pg_database_size), filestore ${FS_MB} MB in ${FILES} files; ${require("node:os").cpus().length} CPUs; instance ${SSH ? "over SSH" : "local"}; odoodeck ${BINARY ?? "bun server/main.ts"} idle RSS ${idle.toFixed(0)} MB\n`,
  );
  console.log("| method | wall (s) | peak RSS (MB) | notes |");
  console.log("| --- | ---: | ---: | --- |");
  for (const r of results)
    console.log(
      `| ${r.name.replaceAll("|", "\\|")} | ${r.secs.toFixed(1)} | ${r.peakMb.toFixed(0)} | ${r.note} |`,
    );
  console.log(`\nrestore ratio (median ours / median hand): ${(oursMed / handMed).toFixed(2)}x`);
  const byName = (prefix: string) => results.find((r) => r.name.startsWith(prefix))!.secs;
  const nativeVsRaw = byName("odoodeck native") / byName("raw pipe");
  const zipVsOdoo = byName("odoodeck zip") / byName("Odoo-style");
  console.log(`native backup vs hand recipe: ${(byName("odoodeck native") / byName("hand:")).toFixed(2)}x`);
  console.log(
    `native backup vs fastest raw pipe: ${nativeVsRaw.toFixed(2)}x (goal ≤ 1.25x: ${nativeVsRaw <= 1.25 ? "met" : "NOT met"})`,
  );
  console.log(
    `zip vs Odoo-style zip: ${zipVsOdoo.toFixed(2)}x (goal ≤ 0.5x: ${zipVsOdoo <= 0.5 ? "met" : "NOT met"})`,
  );
  await od.stop();
  rmSync(out, { recursive: true, force: true });
  rmSync(t.dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  await runCleanups?.();
}

/** The Odoo-style zip as Odoo builds it: pg_dump plain to a folder, cp the filestore, zip -r. */
async function odooStyleZip(conn: string[], env: Record<string, string>, filestore: string, out: string) {
  const odooDir = join(out, "odoo");
  mkdirSync(odooDir);
  const c1 = await timed(["pg_dump", "--no-owner", "-f", join(odooDir, "dump.sql"), ...conn], env);
  const c2 = await timed(["cp", "-r", filestore, join(odooDir, "filestore")]);
  const c3 = await timed([
    "sh",
    "-c",
    'cd "$1" && zip -q -r "$2" dump.sql filestore',
    "x",
    odooDir,
    join(out, "odoo.zip"),
  ]);
  const bytes = Bun.file(join(out, "odoo.zip")).size;
  rmSync(odooDir, { recursive: true, force: true });
  rmSync(join(out, "odoo.zip"), { force: true });
  await Bun.spawn(["sync"]).exited;
  return { secs: c1.secs + c2.secs + c3.secs, peakMb: Math.max(c1.peakMb, c2.peakMb, c3.peakMb), bytes };
}

/** The fastest raw pipe on the bench's data: both halves at once, as our native backup runs them. */
async function rawPipe(conn: string[], env: Record<string, string>, filestore: string, out: string) {
  const [f1, f2] = await Promise.all([
    timed(
      ["sh", "-c", 'pg_dump -Fc -Z0 "$@" | zstd -q -1 -T2 -o "$0"', join(out, "raw.dump.zst"), ...conn],
      env,
    ),
    timed([
      "sh",
      "-c",
      'tar -C "$1" -cf - . | zstd -q -1 -T2 -o "$2"',
      "x",
      filestore,
      join(out, "raw.tar.zst"),
    ]),
  ]);
  const bytes = Bun.file(join(out, "raw.dump.zst")).size + Bun.file(join(out, "raw.tar.zst")).size;
  // What it takes to make them durable, as odoodeck's parts are before they are published.
  const t0 = performance.now();
  await Bun.spawn(["sync", join(out, "raw.dump.zst"), join(out, "raw.tar.zst")]).exited;
  const syncSecs = (performance.now() - t0) / 1000;
  rmSync(join(out, "raw.dump.zst"));
  rmSync(join(out, "raw.tar.zst"));
  return { f1, f2, bytes, syncSecs };
}

type Od = Awaited<ReturnType<typeof startOdoodeck>>;
type BenchInst = { id: number; db: string; filestore: string };
type BenchPg = Awaited<ReturnType<typeof getPg>>;

/**
 * Our backup in `format` and the tool path it is held against, alternated --rounds times so that
 * both see the same machine; prints each round, the medians and their ratio against `goal`.
 * `theirs` returns its seconds, its bytes and optional words for the round's line.
 */
async function alternateRounds(
  od: Od,
  admin: TestClient,
  inst: BenchInst,
  format: "native" | "zip",
  theirName: string,
  goal: number,
  theirs: () => Promise<{ secs: number; bytes: number; note?: string }>,
): Promise<{ ours: number[]; theirs: number[] }> {
  const ours: number[] = [];
  const them: number[] = [];
  let sizes = "";
  for (let round = 1; round <= ROUNDS; round++) {
    const w = await od.watch(() =>
      admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
        wait: true,
        format,
        destinations: "local",
      }),
    );
    const b = w.value.body.data.backup;
    if (b.status !== "ok") throw new Error(`${format} backup ${b.status}: ${b.error}`);
    ours.push(w.secs);
    await printSteps(admin, b.operationId, `odoodeck ${format}`);
    for (const d of b.destinations ?? [])
      if (d.path?.startsWith("/")) rmSync(d.path, { recursive: true, force: true }); // disk
    await Bun.spawn(["sync"]).exited;
    const t = await theirs();
    them.push(t.secs);
    sizes = `ours ${(b.bytes / 1048576).toFixed(0)} MB, ${theirName} ${(t.bytes / 1048576).toFixed(0)} MB`;
    console.error(
      `round ${round}: odoodeck ${format} ${w.secs.toFixed(1)} s, ${theirName} ${t.secs.toFixed(1)} s${t.note ?? ""} (${(w.secs / t.secs).toFixed(2)}x)`,
    );
  }
  const ratio = median(ours) / median(them);
  const runs = (xs: number[]) =>
    `${xs.map((x) => x.toFixed(1)).join(", ")} s (median ${median(xs).toFixed(1)})`;
  console.log(`\nfilestore ${FS_MB} MB in ${FILES} files, db ${DB_MB} MB of rows; ${sizes}`);
  console.log(`odoodeck ${format} runs: ${runs(ours)}`);
  console.log(`${theirName} runs: ${runs(them)}`);
  console.log(
    `${format} vs ${theirName} (medians): ${ratio.toFixed(2)}x (goal ≤ ${goal}x: ${ratio <= goal ? "met" : "NOT met"})`,
  );
  return { ours, theirs: them };
}

/** --native-only: odoodeck's native backup and the fastest raw pipe, alternated; medians and their ratio. */
async function nativeRounds(od: Od, admin: TestClient, inst: BenchInst, pg: BenchPg, out: string) {
  const env = { PGPASSWORD: pg.odooPassword };
  const conn = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", inst.db];
  const durable: number[] = [];
  const byHand: number[] = [];
  const r = await alternateRounds(od, admin, inst, "native", "fastest raw pipe", 1.25, async () => {
    // Where the gap is: odoodeck's own shell pipelines (zstd | tee | openssl), run by hand.
    const h = await productPipesByHand(conn, env, inst.filestore, out);
    byHand.push(h);
    await Bun.spawn(["sync"]).exited;
    const raw = await rawPipe(conn, env, inst.filestore, out);
    await Bun.spawn(["sync"]).exited;
    const secs = Math.max(raw.f1.secs, raw.f2.secs);
    durable.push(secs + raw.syncSecs);
    return { secs, bytes: raw.bytes, note: ` (db ${raw.f1.secs.toFixed(1)} ∥ fs ${raw.f2.secs.toFixed(1)})` };
  });
  console.log(
    `raw pipe then sync of its two files (durable, as ours are): ${durable.map((x) => x.toFixed(1)).join(", ")} s; native vs that: ${(median(r.ours) / median(durable)).toFixed(2)}x`,
  );
  console.log(
    `odoodeck's two pipelines run by hand (written by zstd, hashed from the file, fsynced): ${byHand.map((x) => x.toFixed(1)).join(", ")} s; vs raw pipe ${(median(byHand) / median(r.theirs)).toFixed(2)}x; native vs them ${(median(r.ours) / median(byHand)).toFixed(2)}x`,
  );
}

/** The shell pipelines odoodeck's native backup runs for a local folder, both at once, then fsync. */
async function productPipesByHand(
  conn: string[],
  env: Record<string, string>,
  filestore: string,
  out: string,
) {
  const t0 = performance.now();
  const a = join(out, "hand.dump.zst");
  const b = join(out, "hand.tar.zst");
  await Promise.all([
    timed(["sh", "-c", toFileScript(true), "odoodeck", a, "pg_dump", ...conn, "-Fc", "-Z0"], {
      ...env,
      LC_ALL: "C",
    }),
    timed(["sh", "-c", toFileScript(true), "odoodeck", b, "tar", "-C", filestore, "-cf", "-", "."], {
      LC_ALL: "C",
    }),
  ]);
  await Bun.spawn(["sync", a, b]).exited;
  const secs = (performance.now() - t0) / 1000;
  rmSync(a);
  rmSync(b);
  return secs;
}

/** Where a backup's time went: its operation's steps, in seconds. */
async function printSteps(admin: TestClient, operationId: string, what: string) {
  const op = (await admin.getJson(`/api/v1/operations/${operationId}`)).body.data;
  const span = (x: { startedAt?: string; finishedAt?: string }) =>
    x.startedAt && x.finishedAt
      ? ((Date.parse(x.finishedAt) - Date.parse(x.startedAt)) / 1000).toFixed(1)
      : "?";
  console.error(`  ${what} steps: ${(op?.steps ?? []).map((x: any) => `${x.name} ${span(x)}`).join("; ")}`);
}

/** --zip-only: odoodeck's zip backup and the Odoo-style zip, alternated; medians and their ratio. */
async function zipRounds(od: Od, admin: TestClient, inst: BenchInst, pg: BenchPg, out: string) {
  const env = { PGPASSWORD: pg.odooPassword };
  const conn = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", inst.db];
  await alternateRounds(od, admin, inst, "zip", "Odoo-style zip", 0.5, () =>
    odooStyleZip(conn, env, inst.filestore, out),
  );
}

await main();
process.exit(0);
