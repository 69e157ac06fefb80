/**
 * Shared by the point-in-time tests (pitr-restore, pitr-rewind): the Odoo fixture database loaded
 * as the odoo role, as Odoo's own restore would (a non-superuser cannot comment on extensions),
 * partners committed one after another, and waiting for an operation to end.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../helpers/fixtures.ts";
import type { TestApp } from "../helpers/app.ts";
import type { TestPg } from "../helpers/pg.ts";

async function sh(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err}`);
}

/** The acme_staging fixture restored into a new database `db` owned by the odoo role. */
export async function loadOdooFixture(pg: TestPg, db: string, work: string): Promise<void> {
  await pg.createDb(db, { owner: pg.odooUser });
  const p = Bun.spawnSync(["pg_restore", "-l", FIXTURES.dump("acme_staging")]);
  const list = join(work, "toc");
  writeFileSync(
    list,
    p.stdout
      .toString()
      .split("\n")
      .filter((l) => !/ COMMENT - EXTENSION /.test(l))
      .join("\n"),
  );
  await sh(
    [
      "pg_restore",
      "--no-owner",
      "--no-acl",
      "-L",
      list,
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      pg.odooUser,
      "-d",
      db,
      FIXTURES.dump("acme_staging"),
    ],
    { PGPASSWORD: pg.odooPassword },
  );
}

/** Commits a partner and answers the instant just after its commit, on the server's clock. */
export async function addPartner(pg: TestPg, db: string, name: string): Promise<Date> {
  await pg.psql(db, `INSERT INTO res_partner (name, type, active) VALUES ('${name}', 'contact', true)`);
  return new Date((await pg.psql(db, "SELECT clock_timestamp()")).trim());
}

/** The names of the partners of `db` starting with `prefix`, sorted. */
export async function partnersLike(pg: TestPg, db: string, prefix: string): Promise<string[]> {
  return (await pg.psql(db, `SELECT name FROM res_partner WHERE name LIKE '${prefix}%' ORDER BY name`))
    .trim()
    .split("\n")
    .filter(Boolean);
}

/** The operation once it has ended (as REST shows it). */
export async function waitOp(t: TestApp, id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running" && body.data.status !== "queued") return body.data;
    await Bun.sleep(500);
  }
}

/** A file named as Odoo names it (<sha1[:2]>/<sha1>) in the folder `dir`; its relative path. */
export function addOdooFile(dir: string, text: string): string {
  const sha1 = createHash("sha1").update(text).digest("hex");
  mkdirSync(join(dir, sha1.slice(0, 2)), { recursive: true });
  writeFileSync(join(dir, sha1.slice(0, 2), sha1), text);
  return `${sha1.slice(0, 2)}/${sha1}`;
}

/** relative path → content of every Odoo-named file of the filestore folder `dir`. */
export function filestoreFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true }) as string[])
    if (/^[0-9a-f]{2}\/[0-9a-f]{40}$/.test(f)) out[f] = readFileSync(join(dir, f), "utf8");
  return out;
}
