/**
 * Previews benchmark (not part of `npm test`). In one run, on the acme_prod fixture database
 * (optionally grown by --db-mb of mail_message-like rows, as bench/backup.ts does, and its
 * filestore by --fs-mb):
 *   1. create-to-smoke-passed of a preview through odoodeck (the template's warm spare renamed, or
 *      with warm_spare off CREATE DATABASE … TEMPLATE; cp -al filestore, git worktree, one start
 *      of Odoo that installs the branch's module (-i) then serves, smoke gate), --rounds times each
 *   2. the hand path to a running copy of the same data: createdb + pg_restore -j2 of a dump of
 *      the instance's database + cp -a of its filestore + start odoo-bin + poll /web/health
 *   3. CREATE DATABASE … TEMPLATE with PostgreSQL 15's default strategy (WAL_LOG) vs FILE_COPY
 *   4. disk used by --previews previews of one filestore: hard links (odoodeck's previews) vs
 *      `cp -a` copies, measured with du
 * Odoo is the stand-in odoo-bin on both paths (it loads 300 ms before it listens).
 *
 * Run: node_modules/.bin/bun bench/previews.ts [--db-mb 0] [--fs-mb 1024] [--files 5000]
 *      [--rounds 3] [--previews 10]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sparesSettled } from "../plugins/previews/build/spare.ts";
import { dropPreviews, previewsWithTemplate, previewTestSettings } from "../tests/helpers/previews.ts";
import { registerCleanup, runCleanups } from "../tests/helpers/cleanup.ts";
import { getPg } from "../tests/helpers/pg.ts";
import { STAND_IN_ODOO } from "../tests/helpers/runtime.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DB_MB = arg("db-mb", 0);
const FS_MB = arg("fs-mb", 1024);
const FILES = arg("files", 5000);
const ROUNDS = arg("rounds", 3);
const PREVIEWS = arg("previews", 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function sh(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")}: ${err.trim()}`);
  return out;
}

async function grow(acme: { db: string; filestore: string }) {
  const pg = await getPg();
  if (DB_MB > 0) {
    console.error(`generating ${DB_MB} MB of mail_message rows in ${acme.db} …`);
    await pg.psql(
      acme.db,
      `CREATE TABLE bench_mail_message (id serial PRIMARY KEY, model varchar, res_id int, body text, date timestamp);
      INSERT INTO bench_mail_message (model, res_id, body, date)
      SELECT 'res.partner', g % 1000, '<p>' || repeat(md5(g::text) || ' Hello, your order ' || g || ' has shipped. ', 14) || '</p>', now() - (g || ' minutes')::interval
        FROM generate_series(1, ${DB_MB * 1024}) g;
      ANALYZE bench_mail_message; ALTER TABLE bench_mail_message OWNER TO ${pg.odooUser};`,
    );
  }
  console.error(`generating ${FILES} filestore files, ${FS_MB} MB …`);
  const per = Math.floor((FS_MB * 1024 * 1024) / FILES);
  for (let i = 0; i < FILES; i++) {
    const dir = join(acme.filestore, (i % 256).toString(16).padStart(2, "0"));
    if (i < 256) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `bench-${i}`), crypto.getRandomValues(new Uint8Array(per)));
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-previews-"));
  registerCleanup(() => rmSync(dir, { recursive: true, force: true })); // also on Ctrl-C
  const pg = await getPg();
  let acmeDb = "";
  let acmeFs = "";
  const t0 = performance.now();
  const { t, svc } = await previewsWithTemplate(dir, {
    before: async (acme) => {
      acmeDb = acme.db;
      acmeFs = acme.filestore;
      await grow(acme);
    },
  });
  const templateMs = performance.now() - t0;
  await previewTestSettings(t, dir, { max_running: PREVIEWS + 1 });
  const dbSize = Number(await pg.psql(acmeDb, `SELECT pg_database_size('${acmeDb}')`)) / 1024 ** 2;
  const fsSize = Number((await sh(["du", "-sm", acmeFs])).split("\t")[0]);
  try {
    // 1. odoodeck: with the template's warm spare (the default; previews made minutes apart find
    //    it refilled, so the refill is waited for between rounds, outside the timing), then cold
    //    (warm_spare off: the database is cloned while the user waits)
    const runDeck = async (prefix: string) => {
      const total: number[] = [];
      const db: number[] = [];
      const steps: Record<string, number[]> = {};
      for (let i = 0; i < ROUNDS; i++) {
        await sparesSettled();
        const t1 = performance.now();
        const snap = await (
          await svc.create(
            { name: `${prefix}${i}`, template: "acme", branch: "feature", owner: "bench" },
            "bench",
          )
        ).done;
        if (snap.status !== "ok") throw new Error(JSON.stringify(snap.error ?? snap.steps));
        total.push(performance.now() - t1);
        db.push((snap.result as { databaseSeconds: number }).databaseSeconds * 1000);
        for (const st of snap.steps)
          if (st.startedAt && st.finishedAt)
            (steps[st.name] ??= []).push(Date.parse(st.finishedAt) - Date.parse(st.startedAt));
        await svc.destroy(`${prefix}${i}`);
      }
      return { total, db, steps };
    };
    const warm = await runDeck("w");
    await sparesSettled();
    await previewTestSettings(t, dir, { max_running: PREVIEWS + 1, warm_spare: false });
    const cold = await runDeck("c");
    await previewTestSettings(t, dir, { max_running: PREVIEWS + 1 });
    const deck = warm.total;
    const dbSteps = warm.db;
    // 2. by hand, from a dump of the instance's database (the backup one restores)
    const dump = join(dir, "acme.dump");
    const pgEnv = { PGPASSWORD: pg.password };
    const conn = ["-h", pg.host, "-p", String(pg.port), "-U", pg.user];
    await sh(["pg_dump", ...conn, "-Fc", "-f", dump, acmeDb], pgEnv);
    const hand: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const db = `hand_${i}`;
      const data = join(dir, `hand-${i}`);
      const t1 = performance.now();
      await sh(["createdb", ...conn, "-O", pg.odooUser, db], pgEnv);
      await sh(["pg_restore", ...conn, "--no-owner", "-j2", "--role", pg.odooUser, "-d", db, dump], pgEnv);
      mkdirSync(join(data, "filestore"), { recursive: true });
      await sh(["cp", "-a", acmeFs, join(data, "filestore", db)]);
      const port = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const httpPort = port.port;
      port.stop(true);
      const conf = join(dir, `hand-${i}.conf`);
      writeFileSync(
        conf,
        `[options]\ndata_dir = ${data}\nhttp_port = ${httpPort}\ndb_name = ${db}\nlogfile = ${data}/odoo.log\n`,
      );
      const odoo = Bun.spawn([STAND_IN_ODOO, "-c", conf], { stdout: "ignore", stderr: "ignore" });
      const url = `http://127.0.0.1:${httpPort}/web/health`;
      while ((await Bun.spawn(["curl", "-sf", "-o", "/dev/null", url]).exited) !== 0) await Bun.sleep(100);
      hand.push(performance.now() - t1);
      odoo.kill("SIGTERM");
      await odoo.exited;
      await pg.dropDb(db);
      rmSync(data, { recursive: true, force: true });
    }
    // 3. the clone alone, both strategies
    const clone: Record<string, number[]> = { WAL_LOG: [], FILE_COPY: [] };
    for (let i = 0; i < ROUNDS; i++)
      for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
        const t1 = performance.now();
        await pg.psql("postgres", `CREATE DATABASE clone_bench TEMPLATE acme_tpl STRATEGY ${strategy}`);
        clone[strategy].push(performance.now() - t1);
        await pg.dropDb("clone_bench");
      }
    // 4. disk of N previews: hard links (real previews) vs copies
    const before = Number((await sh(["du", "-sm", dir])).split("\t")[0]);
    for (let i = 0; i < PREVIEWS; i++) {
      const snap = await (
        await svc.create({ name: `d${i}`, template: "acme", branch: "feature", owner: "bench" }, "bench")
      ).done;
      if (snap.status !== "ok") throw new Error(JSON.stringify(snap.error ?? snap.steps));
    }
    const linked = Number((await sh(["du", "-sm", dir])).split("\t")[0]) - before;
    const tplFs = (await svc.store.template("acme"))!.filestore;
    const copies = join(dir, "copies");
    mkdirSync(copies);
    const c0 = performance.now();
    for (let i = 0; i < PREVIEWS; i++) await sh(["cp", "-a", tplFs, join(copies, `c${i}`)]);
    const copyMs = performance.now() - c0;
    const copied = Number((await sh(["du", "-sm", copies])).split("\t")[0]);

    const d = median(deck);
    const h = median(hand);
    console.log(
      `\nPreviews bench: database ${dbSize.toFixed(0)} MB, filestore ${fsSize} MB in ${FILES} files, median of ${ROUNDS}`,
    );
    console.log(`template made (copy + neutralize, once):        ${s(templateMs)}`);
    console.log(
      `odoodeck create-to-smoke-passed:                ${s(d)}   (database step ${s(median(dbSteps))})`,
    );
    console.log(`hand path (createdb+pg_restore+cp -a+start):    ${s(h)}`);
    console.log(`ratio hand / odoodeck:                          ${(h / d).toFixed(1)}×`);
    console.log(
      `  warm steps (median): ${Object.entries(warm.steps)
        .map(([n, xs]) => `${n} ${s(median(xs))}`)
        .join(", ")}`,
    );
    const c = median(cold.total);
    console.log(
      `odoodeck cold (warm_spare off):                 ${s(c)}   (database step ${s(median(cold.db))}), ratio ${(h / c).toFixed(1)}×`,
    );
    console.log(`CREATE DATABASE TEMPLATE, WAL_LOG (default):    ${s(median(clone.WAL_LOG))}`);
    console.log(`CREATE DATABASE TEMPLATE, FILE_COPY:            ${s(median(clone.FILE_COPY))}`);
    console.log(
      `disk of ${PREVIEWS} previews' files, hard links:       ${linked} MB (databases not counted)`,
    );
    console.log(`disk of ${PREVIEWS} filestore copies (cp -a):          ${copied} MB, ${s(copyMs)} to copy`);
  } finally {
    await dropPreviews(svc);
    await pg.dropDb("clone_bench").catch(() => {});
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The PostgreSQL cluster (and anything else the test helpers started) is stopped at the end and
// on Ctrl-C: a bench left a cluster of several GB running before. One stop, awaited by both paths.
let cleaning: Promise<void> | null = null;
let signalled = false;
const cleanup = () => (cleaning ??= runCleanups());
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    if (signalled) process.exit(130);
    signalled = true;
    console.error(`\n${sig}: stopping the PostgreSQL cluster …`);
    void cleanup().finally(() => process.exit(130));
  });
let code = 0;
try {
  await main();
} catch (e) {
  if (!signalled) console.error(e);
  code = 1;
} finally {
  await cleanup();
}
process.exit(signalled ? 130 : code);
