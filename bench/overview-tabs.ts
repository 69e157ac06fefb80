/**
 * Server time of the instance overview and of the Database tab on the acme_prod fixture
 * (restored into a throwaway PostgreSQL 15), with every built-in plugin: median and max of 15
 * requests each, over loopback. The pages' slow parts load after the page (htmx, hx-trigger
 * "load"): the figures of those fragments are printed too.
 *
 * Run: node_modules/.bin/bun bench/overview-tabs.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp } from "../tests/helpers/app.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { fixtureDb, getPg } from "../tests/helpers/pg.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-tabs-"));
const pg = await getPg();
const db = await fixtureDb("acme_prod");
mkdirSync(join(dir, "filestore", db), { recursive: true });
const conf = join(dir, "odoo.conf");
writeFileSync(
  conf,
  `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${dir}\nhttp_port = 1\n`,
);
const t = await startTestApp();
try {
  const id = await t.addLocalInstance({ name: "acme-prod", confPath: conf, dbName: db });
  const time = async (path: string) => {
    const ms: number[] = [];
    let html = "";
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      html = (await t.admin.page(path)).html;
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    console.log(`${path.padEnd(40)} median ${ms[7].toFixed(0)} ms, max ${ms[14].toFixed(0)} ms`);
    return html;
  };
  for (const page of [`/instances/${id}`, `/p/database/i/${id}/database`]) {
    const html = await time(page);
    for (const m of html.matchAll(/hx-get="([^"]+)"[^>]*hx-trigger="load"/g)) await time(m[1]);
  }
} finally {
  await t.stop();
  await runCleanups();
  rmSync(dir, { recursive: true, force: true });
}
