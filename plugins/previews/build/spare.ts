/**
 * A warm spare per template: one database already cloned from the template, so a new preview's
 * database step is a rename (milliseconds) instead of a copy that grows with the database
 * (CREATE DATABASE … TEMPLATE took 23–37 s for 2.4 GB on this machine). The spare is refilled
 * in the background after each claim and remade after each template refresh; a preview created
 * while it refills is cloned as before. It costs one more copy of each template's database on
 * disk (setting `warm_spare`).
 *
 * A spare carries its template's refresh time as its database comment: a spare of an older
 * template, or one whose making was interrupted (no comment yet), is dropped, never handed out.
 */
import type { odoo } from "../../../server/sdk/index.ts";
import { databaseExists, dropDatabase, ident } from "./pg-tools.ts";
import type { TemplateRecord } from "../store.ts";

export const spareDb = (templateDb: string) => `${templateDb.slice(0, 54)}__spare`;

/** Spares being made in this process, by spare name: a claim skips them, a drop waits for them. */
const filling = new Map<string, Promise<void>>();

const marker = (tpl: Pick<TemplateRecord, "dbName" | "refreshedAt">) =>
  `odoodeck warm spare of ${tpl.dbName} refreshed ${tpl.refreshedAt ?? "never"}`;

async function commentOf(admin: odoo.OdooDb, name: string): Promise<string | null> {
  return admin.scalar(
    "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = :'n'",
    { n: name },
  );
}

/**
 * Over 256 MB a template is cloned with STRATEGY FILE_COPY: 1.6× faster at 2.4 GB here, and it
 * writes one WAL record instead of the whole database into the instance's WAL (which continuous
 * archiving and replicas would carry). Small templates keep PostgreSQL 15's default (WAL_LOG),
 * which avoids FILE_COPY's two checkpoints on the instance's cluster.
 */
export async function cloneStrategy(admin: odoo.OdooDb, template: string): Promise<"FILE_COPY" | "WAL_LOG"> {
  const bytes = Number(await admin.scalar("SELECT pg_database_size(:'n')", { n: template }));
  return bytes > 256 * 1024 * 1024 ? "FILE_COPY" : "WAL_LOG";
}

/**
 * Renames the template's spare to `target` when it is there, whole and of the template's current
 * refresh. False when there is none (the caller clones). Two creates racing for one spare: the
 * rename is atomic, the loser gets false.
 */
export async function claimSpare(
  admin: odoo.OdooDb,
  tpl: Pick<TemplateRecord, "dbName" | "refreshedAt">,
  target: string,
): Promise<boolean> {
  const name = spareDb(tpl.dbName);
  if (filling.has(name)) return false;
  const comment = await commentOf(admin, name);
  if (comment === null) return false;
  if (comment !== marker(tpl)) {
    await dropDatabase(admin, name);
    return false;
  }
  try {
    await admin.query(`ALTER DATABASE ${ident(name)} RENAME TO ${ident(target)}`);
  } catch {
    return false;
  }
  await admin.query(`COMMENT ON DATABASE ${ident(target)} IS NULL`);
  return true;
}

/** Makes the template's spare in the background (no-op when a current one exists or is being made). */
export function refillSpare(
  admin: odoo.OdooDb,
  tpl: Pick<TemplateRecord, "dbName" | "refreshedAt">,
  onError: (e: Error) => void,
): Promise<void> {
  const name = spareDb(tpl.dbName);
  const running = filling.get(name);
  if (running) return running;
  const p = (async () => {
    const comment = await commentOf(admin, name);
    if (comment === marker(tpl)) return;
    if (comment !== null) await dropDatabase(admin, name);
    const strategy = await cloneStrategy(admin, tpl.dbName);
    try {
      await admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(tpl.dbName)} STRATEGY ${strategy}`);
      // Marked only once whole: an interrupted spare has no comment and is dropped, not claimed.
      await admin.query(`COMMENT ON DATABASE ${ident(name)} IS :'c'`, { c: marker(tpl) });
    } catch (e) {
      await dropDatabase(admin, name).catch(() => {});
      throw e;
    }
  })()
    .catch((e) => onError(e as Error))
    .finally(() => filling.delete(name));
  filling.set(name, p);
  return p;
}

/** Drops the template's spare, after waiting for one being made (a template refresh or removal). */
export async function dropSpare(admin: odoo.OdooDb, templateDb: string): Promise<void> {
  const name = spareDb(templateDb);
  await filling.get(name);
  if (await databaseExists(admin, name)) await dropDatabase(admin, name);
}

/** Resolves once no spare is being made in this process (shutdown, tests). */
export async function sparesSettled(): Promise<void> {
  await Promise.all([...filling.values()]);
}
