/**
 * Server time of the Modules tab on the acme_prod fixture (restored into a throwaway PostgreSQL
 * 15), with every built-in plugin, over loopback: median and p95 of 30 requests, printed beside
 * one bare `psql -c 'SELECT 1'` (the unit a page pays for each query, as OdooDb runs psql).
 *
 * Run: node_modules/.bin/bun bench/modules-tab.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../plugins/index.ts";
import { startTestApp } from "../tests/helpers/app.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { fixtureDb, getPg } from "../tests/helpers/pg.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-modules-"));
const pg = await getPg();
const db = await fixtureDb("acme_prod");
mkdirSync(join(dir, "filestore", db), { recursive: true });
const conf = join(dir, "odoo.conf");
writeFileSync(
  conf,
  `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${dir}\nhttp_port = 1\n`,
);
const t = await startTestApp({ plugins: builtinPlugins });
const stats = (ms: number[]) => {
  ms.sort((a, b) => a - b);
  return `median ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms, p95 ${ms[Math.ceil(ms.length * 0.95) - 1].toFixed(0)} ms`;
};
try {
  const id = await t.addLocalInstance({ name: "acme-prod", confPath: conf, dbName: db });
  const path = `/p/modules/i/${id}/modules`;
  await t.admin.page(path);
  const page: number[] = [];
  const psql: number[] = [];
  for (let i = 0; i < 30; i++) {
    let t0 = performance.now();
    await t.admin.page(path);
    page.push(performance.now() - t0);
    t0 = performance.now();
    Bun.spawnSync(
      [
        join(pg.binDir, "psql"),
        "-X",
        "-h",
        "127.0.0.1",
        "-p",
        String(pg.port),
        "-U",
        pg.odooUser,
        "-d",
        db,
        "-c",
        "SELECT 1",
      ],
      {
        env: { ...process.env, PGPASSWORD: pg.odooPassword },
      },
    );
    psql.push(performance.now() - t0);
  }
  console.log(`${path.padEnd(32)} ${stats(page)}`);
  console.log(`${"one psql SELECT 1".padEnd(32)} ${stats(psql)}`);
} finally {
  await t.stop();
  await runCleanups();
  rmSync(dir, { recursive: true, force: true });
}
