/**
 * Point-in-time restore as a user meets it: an Odoo database on its own PostgreSQL (the odoo role
 * may stream WAL), continuous WAL enabled through the operation, partners committed one after
 * another, then a restore to a moment between two of them — from the Restore tab's form (CSRF,
 * the UTC picker's value) and from REST with an API token. The restored database holds the
 * partner committed before the moment and not the one after. A moment outside the window is
 * E_PITR_WINDOW naming the window; an operator of another instance is answered E_NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backup from "../../plugins/backup/index.ts";
import { slotName } from "../../plugins/backup/pitr/receiver.ts";
import { waitForArchive } from "../../plugins/backup/pitr/test-helpers.ts";
import { createToken } from "../../server/auth/tokens.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { privatePg, type TestPg } from "../helpers/pg.ts";
import { setBackupSettings } from "./backup-helpers.ts";
import {
  addOdooFile,
  addPartner,
  filestoreFiles,
  loadOdooFixture,
  partnersLike,
  waitOp,
} from "./pitr-helpers.ts";

let pg: TestPg;
let t: TestApp;
let shop: number;
let other: number;
let prod: number;
let outsider: TestClient;
const DB = "acme_pitr";
const work = mkdtempSync(join(tmpdir(), "odoodeck-pitr-it-"));
/** Commit instants (PostgreSQL's clock) of the partners pitr-1, pitr-2, pitr-3. */
const committed: Date[] = [];
/** Moments to restore to: T1 (a whole second, for the page's picker) between 1 and 2, T2 between 2 and 3. */
let T1: Date;
let T2: Date;
/** Filestore files: f1 in a tar backup before T1, f2 in a content-addressed one before T2, f3 in none. */
const files: Record<"f1" | "f2" | "f3", string> = { f1: "", f2: "", f3: "" };
let casBackupDir = "";
let filestoreRoot = "";

const addFile = (text: string) => addOdooFile(join(filestoreRoot, DB), text);
const filestoreOf = (db: string) => filestoreFiles(join(filestoreRoot, db));

/** A files-only backup of shop at the local destination, its filestore as a tar or in the object store. */
async function filesBackup(store: "tar" | "cas") {
  await setBackupSettings(t, { filestoreStore: store });
  const r = await t.admin.postJson(`/api/v1/backup/instances/${shop}/backups`, {
    wait: true,
    scope: "files",
    destinations: "local",
  });
  expect({ status: r.status, backup: r.body.data?.backup?.status }).toEqual({ status: 200, backup: "ok" });
  return r.body.data.backup;
}

async function clientOf(username: string, role: "none" | "operator", grantOn?: number) {
  const c = await t.client(role, username);
  if (grantOn) {
    const u = await t.core.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", username)
      .executeTakeFirstOrThrow();
    await t.core.db
      .insertInto("grants")
      .values({ user_id: u.id, instance_id: grantOn, role: "operator" })
      .execute();
  }
  return c;
}

async function tokenOf(username: string, role: "operator" | "admin", instances?: number[]) {
  const u = await t.core.db
    .selectFrom("users")
    .select(["id", "role"])
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return (
    await createToken(
      t.core.db,
      { id: Number(u.id), role: u.role as any },
      { name: `pitr-${username}`, role, instances },
    )
  ).token;
}

const rest = (token: string, input: Record<string, unknown>) =>
  fetch(`${t.url}/api/v1/ops/backup.pitr-restore`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      Accept: "application/json",
    },
    body: JSON.stringify(input),
  });

const partnersOf = (db: string) => partnersLike(pg, db, "pitr-");

beforeAll(async () => {
  pg = await privatePg();
  await pg.psql("postgres", "ALTER ROLE odoo REPLICATION"); // what E_WAL_REPLICATION's hint asks for
  await loadOdooFixture(pg, DB, work);
  const dataDir = join(work, "odoo-data");
  mkdirSync(join(dataDir, "filestore", DB), { recursive: true });
  const conf = (name: string, db: string) => {
    const p = join(work, `${name}.conf`);
    writeFileSync(
      p,
      `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\n` +
        `db_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${dataDir}\n`,
    );
    return p;
  };
  t = await startTestApp({ plugins: [backup] });
  shop = await t.addLocalInstance({ name: "shop", confPath: conf("shop", DB), dbName: DB });
  other = await t.addLocalInstance({
    name: "other",
    confPath: conf("other", "postgres"),
    dbName: "postgres",
  });
  prod = await t.addLocalInstance({ name: "prod", confPath: conf("prod", DB), dbName: DB, production: true });
  outsider = await clientOf("olivia", "none", other);

  const { status, body } = await t.admin.postJson("/api/v1/ops/backup.pitr-enable", { instance: shop });
  expect({ status, error: body.error ?? null }).toEqual({ status: 202, error: null });
  const enabled = await waitOp(t, body.data.operationId);
  expect({ status: enabled.status, error: enabled.error ?? null }).toEqual({ status: "ok", error: null });

  filestoreRoot = join(dataDir, "filestore");
  files.f1 = addFile("in the tar backup taken before T1");
  await filesBackup("tar");
  committed.push(await addPartner(pg, DB, "pitr-1"));
  // T1 on a whole second (the picker's precision), strictly after pitr-1's commit
  T1 = new Date(Math.ceil((committed[0]!.getTime() + 1) / 1000) * 1000);
  await Bun.sleep(T1.getTime() - Date.now() + 1200);
  files.f2 = addFile("in the content-addressed backup taken after T1, before T2");
  const cas = await filesBackup("cas");
  casBackupDir = cas.destinations.find((d: { id: string }) => d.id === "local").path;
  committed.push(await addPartner(pg, DB, "pitr-2"));
  await Bun.sleep(1200);
  committed.push(await addPartner(pg, DB, "pitr-3"));
  files.f3 = addFile("in no backup");
  T2 = new Date((committed[1]!.getTime() + committed[2]!.getTime()) / 2);
  await waitForArchive(pg, slotName(shop));
}, 240_000);

afterAll(async () => {
  await t?.stop(); // stops pg_receivewal; the private cluster (and its slot) goes with the run
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe("point-in-time restore", () => {
  test("the Restore tab shows the window in words and restores to a moment between two commits", async () => {
    const tab = await t.admin.page(`/p/backup/i/${shop}/restore`);
    expect(tab.html).toContain(`hx-get="/p/backup/i/${shop}/pitr"`);
    const { html } = await t.admin.page(`/p/backup/i/${shop}/pitr`);
    expect(html).toMatch(/can be brought back to any moment <strong>from \d+ \w+ \d{4}, [\d:]+ UTC to /);
    expect(html).toContain('type="datetime-local" name="at"');
    const picked = T1.toISOString().slice(0, 19); // what the picker posts: UTC, no zone
    const res = await t.admin.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: picked,
      target: "new",
      dbName: "acme_pitr_page",
      neutralize: "on",
      confirm: "shop",
    });
    expect(res.status).toBe(303);
    const opId = /\/operations\/([^/?]+)$/.exec(res.headers.get("location") ?? "")?.[1];
    expect(opId).toBeTruthy();
    const op = await waitOp(t, opId!);
    expect({ status: op.status, error: op.error ?? null }).toEqual({ status: "ok", error: null });
    expect(await partnersOf("acme_pitr_page")).toEqual(["pitr-1"]);
    expect(await partnersOf(DB)).toEqual(["pitr-1", "pitr-2", "pitr-3"]); // the live database untouched
  }, 300_000);

  test("a form post without the CSRF token is refused", async () => {
    const res = await t.admin.request("POST", `/p/backup/i/${shop}/pitr-restore`, {
      body: new URLSearchParams({
        at: T1.toISOString().slice(0, 19),
        target: "new",
        dbName: "x",
        confirm: "shop",
      }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      noCsrf: true,
    });
    expect(res.status).toBe(403);
  }, 60_000);

  test("REST with an API token restores to a moment between two commits, with no dump file on the way", async () => {
    const token = await tokenOf("admin", "operator");
    // the database streams from the scratch cluster into pg_restore: no `.pitr-*.dump` under
    // odoodeck's data directory at any moment (no free disk needed for a 100 GB dump)
    const dumps = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          for (const f of readdirSync(t.dataDir, { recursive: true }) as string[])
            if (/(^|\/)\.pitr-[^/]*\.dump$/.test(f)) dumps.add(f);
        } catch {} // a WAL file renamed during the walk: look again
        await Bun.sleep(20);
      }
    })();
    try {
      const res = await rest(token, {
        instance: shop,
        at: T2.toISOString(),
        newDb: "acme_pitr_rest",
        confirm: "shop",
      });
      const body = (await res.json()) as any;
      expect({ status: res.status, error: body.error ?? null }).toEqual({ status: 202, error: null });
      const op = await waitOp(t, body.data.operationId);
      expect({ status: op.status, error: op.error ?? null }).toEqual({ status: "ok", error: null });
      expect(await partnersOf("acme_pitr_rest")).toEqual(["pitr-1", "pitr-2"]);
      // the filestore as of the newest filestore backup before T2: the content-addressed one
      expect(filestoreOf("acme_pitr_rest")).toEqual({
        [files.f1]: "in the tar backup taken before T1",
        [files.f2]: "in the content-addressed backup taken after T1, before T2",
      });
      expect(op.result.filestore).toContain(casBackupDir.split("/").at(-1));
    } finally {
      watching = false;
      await watcher;
    }
    expect([...dumps]).toEqual([]);
  }, 300_000);

  test("a damaged object in the filestore's store fails the restore with E_BACKUP_CORRUPT, leaving nothing", async () => {
    const index = JSON.parse(readFileSync(join(casBackupDir, "filestore.index.json"), "utf8"));
    const sha = index.files.find((f: { path: string }) => f.path === files.f2).sha256;
    const obj = join(casBackupDir, "..", "objects", sha.slice(0, 2), sha);
    const good = readFileSync(obj);
    writeFileSync(obj, "damaged");
    try {
      const res = await rest(await tokenOf("admin", "operator"), {
        instance: shop,
        at: T2.toISOString(),
        newDb: "acme_pitr_badfs",
        confirm: "shop",
      });
      const body = (await res.json()) as any;
      expect(res.status).toBe(202);
      const op = await waitOp(t, body.data.operationId);
      expect({ status: op.status, code: op.error?.code }).toEqual({
        status: "error",
        code: "E_BACKUP_CORRUPT",
      });
    } finally {
      writeFileSync(obj, good);
    }
    const dbs = await pg.psql(
      "postgres",
      "SELECT datname FROM pg_database WHERE datname LIKE 'acme_pitr_badfs%'",
    );
    expect(dbs.trim()).toBe("");
    expect(readdirSync(filestoreRoot).filter((n) => n.includes("acme_pitr_badfs"))).toEqual([]);
  }, 300_000);

  test("a moment outside the window is E_PITR_WINDOW with the window in the message", async () => {
    const token = await tokenOf("admin", "operator");
    const before = new Date(committed[0]!.getTime() - 3600_000).toISOString();
    const res = await rest(token, { instance: shop, at: before, newDb: "acme_pitr_never", confirm: "shop" });
    const body = (await res.json()) as any;
    expect(res.status).toBe(422);
    expect(body.error.code).toBe("E_PITR_WINDOW");
    expect(body.error.message).toMatch(
      /is outside the recoverable window: from \d+ \w+ \d{4}, [\d:]+ UTC to /,
    );
    // the page says the same
    await t.admin.page(`/p/backup/i/${shop}/pitr`);
    const page = await t.admin.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: before.slice(0, 19),
      target: "new",
      dbName: "acme_pitr_never",
      confirm: "shop",
    });
    expect(page.status).toBe(422);
    const html = await page.text();
    expect(html).toContain("E_PITR_WINDOW");
    expect(html).toContain("outside the recoverable window: from ");
    expect(
      (
        await pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'acme_pitr_never'")
      ).trim(),
    ).toBe("0");
  }, 60_000);

  test("one rule with backup.restore: an operator of the instance restores into a new database without typing its name", async () => {
    const pia = await clientOf("pia", "none", shop);
    await pia.page(`/p/backup/i/${shop}/pitr`);
    const res = await pia.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: T1.toISOString().slice(0, 19),
      target: "new",
      dbName: "acme_pitr_operator",
      neutralize: "on",
      confirm: "",
    });
    expect(res.status).toBe(303);
    const op = await waitOp(t, /\/operations\/([^/?]+)$/.exec(res.headers.get("location") ?? "")![1]!);
    expect({ status: op.status, error: op.error ?? null }).toEqual({ status: "ok", error: null });
    expect(await partnersOf("acme_pitr_operator")).toEqual(["pitr-1"]);
    // the filestore as of the newest filestore backup before T1: the tar one
    expect(filestoreOf("acme_pitr_operator")).toEqual({ [files.f1]: "in the tar backup taken before T1" });
    expect(await partnersOf(DB)).toEqual(["pitr-1", "pitr-2", "pitr-3"]);
    // a new database beside production is not production's data: an operator of prod gets past the
    // guard (to the next question, as backup.restore would), with no name typed
    const pete = await clientOf("pete", "none", prod);
    await pete.page(`/p/backup/i/${prod}/pitr`);
    const beside = await pete.post(`/p/backup/i/${prod}/pitr-restore`, {
      at: T1.toISOString().slice(0, 19),
      target: "new",
      dbName: "acme_pitr_beside",
      confirm: "",
    });
    expect(await beside.text()).toContain("Continuous WAL is not enabled for prod");
  }, 300_000);

  test("replacing production without its name is refused exactly as backup.restore refuses it", async () => {
    const token = await tokenOf("admin", "operator");
    const call = async (id: string, input: Record<string, unknown>) => {
      const res = await fetch(`${t.url}/api/v1/ops/${id}`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(input),
      });
      const body = (await res.json()) as any;
      return { status: res.status, code: body.error?.code ?? null };
    };
    const pitr = await call("backup.pitr-restore", { instance: prod, at: T1.toISOString() });
    const plain = await call("backup.restore", { instance: prod, backup: 999_999 });
    expect(pitr.code).not.toBeNull();
    expect(pitr).toEqual(plain);
    expect(await partnersOf(DB)).toEqual(["pitr-1", "pitr-2", "pitr-3"]);
  }, 60_000);

  test("replacing production: an operator is refused, an admin must type its name (productionGuard)", async () => {
    const form = { at: T1.toISOString().slice(0, 19), target: "instance", confirm: "" };
    const operator = await t.client("operator", "opal");
    await operator.page(`/p/backup/i/${prod}/pitr`);
    const refused = await operator.post(`/p/backup/i/${prod}/pitr-restore`, { ...form, confirm: "prod" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("only an admin may");
    await t.admin.page(`/p/backup/i/${prod}/pitr`);
    const unconfirmed = await t.admin.post(`/p/backup/i/${prod}/pitr-restore`, form);
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain("E_CONFIRMATION");
    // with the name typed, the guard lets it through to the next question: no WAL for prod
    const typed = await t.admin.post(`/p/backup/i/${prod}/pitr-restore`, { ...form, confirm: "prod" });
    expect(await typed.text()).toContain("Continuous WAL is not enabled for prod");
    expect(await partnersOf(DB)).toEqual(["pitr-1", "pitr-2", "pitr-3"]);
  }, 60_000);

  test("an operator of another instance cannot restore this one: E_NOT_FOUND on the page and REST", async () => {
    const at = T2.toISOString();
    await outsider.page(`/p/backup/i/${other}/pitr`);
    const page = await outsider.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: at.slice(0, 19),
      target: "new",
      dbName: "acme_pitr_stolen",
      confirm: "shop",
    });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain("E_NOT_FOUND");
    expect((await outsider.get(`/p/backup/i/${shop}/pitr`)).status).toBe(404);
    // A token is held to its owner's role: an operator's token limited to the other instance
    await t.client("operator", "oscar");
    const token = await tokenOf("oscar", "operator", [other]);
    const res = await rest(token, { instance: shop, at, newDb: "acme_pitr_stolen", confirm: "shop" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("E_NOT_FOUND");
    expect(
      (
        await pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'acme_pitr_stolen'")
      ).trim(),
    ).toBe("0");
  }, 60_000);

  // Last: it swaps the live database
  test("replacing the instance's own database: swapped in after the checks, the old one kept for rollback", async () => {
    await t.admin.page(`/p/backup/i/${shop}/pitr`);
    const res = await t.admin.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: T1.toISOString().slice(0, 19),
      target: "instance",
      neutralize: "on",
      confirm: "shop",
    });
    expect(res.status).toBe(303);
    const op = await waitOp(t, /\/operations\/([^/?]+)$/.exec(res.headers.get("location") ?? "")![1]!);
    expect({ status: op.status, error: op.error ?? null }).toEqual({ status: "ok", error: null });
    expect(await partnersOf(DB)).toEqual(["pitr-1"]);
    // the live filestore is the one as of T1 (the tar backup's), f2 and f3 kept with the rollback
    expect(filestoreOf(DB)).toEqual({ [files.f1]: "in the tar backup taken before T1" });
    const { body } = await t.admin.getJson(`/api/v1/backup/i/${shop}/rollbacks`);
    const kept = body.data.find((r: { name: string; database: boolean }) => r.database);
    expect(kept?.name).toStartWith(`${DB}__rollback_`);
    expect(await partnersOf(kept.name)).toEqual(["pitr-1", "pitr-2", "pitr-3"]);
  }, 300_000);
});
