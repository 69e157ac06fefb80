/**
 * Rewinding the whole cluster to a point in time (the physical path), as a user meets it: an Odoo
 * database alone in its PostgreSQL cluster on this machine, continuous WAL enabled, a partner
 * committed before the moment and one after. Refusals come first and leave nothing: a role that
 * may not read data_directory (the hint says the GRANT), another database in the cluster. Then
 * the rewind: the live database loses the later partner, the cluster as it was is kept beside,
 * the filestore keeps every file, and continuous WAL goes on on the new timeline — a partner
 * committed after the rewind comes back in a point-in-time restore of the new archive.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import backup from "../../plugins/backup/index.ts";
import { inspectLiveCluster, type RewindJournal } from "../../plugins/backup/pitr/cluster-rewind.ts";
import { slotName } from "../../plugins/backup/pitr/receiver.ts";
import { waitForArchive } from "../../plugins/backup/pitr/test-helpers.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
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
let dataDir = ""; // the cluster's
const DB = "acme_rewind";
const work = mkdtempSync(join(tmpdir(), "odoodeck-rewind-it-"));
/** odoodeck's data directory, kept across a restart of the app */
const appData = join(work, "odoodeck-data");
let T: Date;
let filestoreRoot = "";
const files: Record<"before" | "after", string> = { before: "", after: "" };

const addFile = (text: string) => addOdooFile(join(filestoreRoot, DB), text);
const filestoreOf = (dir: string) => filestoreFiles(dir);

const rewind = (at: Date) =>
  t.admin.postJson("/api/v1/ops/backup.pitr-restore", {
    instance: shop,
    at: at.toISOString(),
    mode: "cluster",
    confirm: "shop",
  });

/** What appeared beside the data directory since the start: the kept cluster, any scratch left behind. */
let before = new Set<string>();
const besideData = () =>
  readdirSync(dirname(dataDir)).filter((n) => !before.has(n) && !/^odoodeck-rewind-\d+\.log$/.test(n));

const partnersOf = (db: string) => partnersLike(pg, db, "rw-");

beforeAll(async () => {
  pg = await privatePg();
  await pg.psql("postgres", "ALTER ROLE odoo REPLICATION");
  await loadOdooFixture(pg, DB, work);
  dataDir = (await pg.psql("postgres", "SHOW data_directory")).trim();
  before = new Set(readdirSync(dirname(dataDir)));
  const odooData = join(work, "odoo-data");
  filestoreRoot = join(odooData, "filestore");
  mkdirSync(join(filestoreRoot, DB), { recursive: true });
  const conf = join(work, "shop.conf");
  writeFileSync(
    conf,
    `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${pg.odooPassword}\ndb_name = ${DB}\ndata_dir = ${odooData}\n`,
  );
  chmodSync(work, 0o711); // the cluster user reaches the WAL archive under odoodeck's data directory
  mkdirSync(appData);
  t = await startTestApp({ plugins: [backup], dataDir: appData });
  shop = await t.addLocalInstance({ name: "shop", confPath: conf, dbName: DB });
  const { status, body } = await t.admin.postJson("/api/v1/ops/backup.pitr-enable", { instance: shop });
  expect({ status, error: body.error ?? null }).toEqual({ status: 202, error: null });
  const enabled = await waitOp(t, body.data.operationId);
  expect({ status: enabled.status, error: enabled.error ?? null }).toEqual({ status: "ok", error: null });

  files.before = addFile("in the files backup taken before T");
  await setBackupSettings(t, { filestoreStore: "tar" });
  const b = await t.admin.postJson(`/api/v1/backup/instances/${shop}/backups`, {
    wait: true,
    scope: "files",
    destinations: "local",
  });
  expect(b.body.data?.backup?.status).toBe("ok");
  const first = await addPartner(pg, DB, "rw-1");
  // T on a whole second (the page's picker), strictly after rw-1's commit
  T = new Date(Math.ceil((first.getTime() + 1) / 1000) * 1000);
  await Bun.sleep(T.getTime() - Date.now() + 1200);
  await addPartner(pg, DB, "rw-2");
  files.after = addFile("added after T, in no backup");
  await waitForArchive(pg, slotName(shop));
}, 240_000);

afterAll(async () => {
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe("rewinding the whole cluster to a point in time", () => {
  test("a role that may not read data_directory is refused with the GRANT to run, nothing made", async () => {
    const r = await rewind(T);
    expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 422, code: "E_PITR_CLUSTER" });
    expect(r.body.error.message).toContain("data_directory");
    expect(r.body.error.hint).toContain('GRANT pg_read_all_settings TO "odoo"');
    expect(besideData()).toEqual([]);
    // the Restore tab says the same, without the choice
    const { html } = await t.admin.page(`/p/backup/i/${shop}/pitr`);
    expect(html).toContain(
      "Rewinding the whole PostgreSQL cluster (the fast, physical path) is not possible here",
    );
    expect(html).toContain("GRANT pg_read_all_settings TO &quot;odoo&quot;");
    expect(html).not.toContain('value="cluster"');
    await pg.psql("postgres", "GRANT pg_read_all_settings TO odoo");
  }, 60_000);

  test("a cluster holding another database is refused, naming it, nothing made", async () => {
    await pg.createDb("someone_elses");
    try {
      const r = await rewind(T);
      expect({ status: r.status, code: r.body.error?.code }).toEqual({ status: 422, code: "E_PITR_CLUSTER" });
      expect(r.body.error.message).toContain("someone_elses");
      expect(besideData()).toEqual([]);
      expect(await partnersOf(DB)).toEqual(["rw-1", "rw-2"]);
    } finally {
      await pg.dropDb("someone_elses");
    }
  }, 60_000);

  test("rewound from the Restore tab: the later commit gone, the old cluster kept, WAL goes on", async () => {
    const { html } = await t.admin.page(`/p/backup/i/${shop}/pitr`);
    expect(html).toContain('<input type="radio" name="target" value="cluster"/>');
    expect(html).toContain(`kept at ${dataDir}.before-rewind-`);
    const res = await t.admin.post(`/p/backup/i/${shop}/pitr-restore`, {
      at: T.toISOString().slice(0, 19), // what the picker posts: UTC, no zone
      target: "cluster",
      neutralize: "on", // the checkbox is checked for a non-production instance: not for a rewind
      confirm: "shop",
    });
    expect(res.status).toBe(303);
    const opId = /\/operations\/([^/?]+)$/.exec(res.headers.get("location") ?? "")?.[1];
    const op = await waitOp(t, opId!);
    expect({ status: op.status, error: op.error ?? null }).toEqual({ status: "ok", error: null });
    expect(await partnersOf(DB)).toEqual(["rw-1"]);
    // the cluster as it was, beside: nothing lost
    const kept = op.result.keptDataDir as string;
    expect(kept).toStartWith(`${dataDir}.before-rewind-`);
    expect(besideData()).toEqual([kept.split("/").at(-1)!]);
    expect(existsSync(join(kept, "PG_VERSION"))).toBe(true);
    expect(op.result.downtimeSeconds).toBeGreaterThan(0);
    // the live configuration runs (the scratch's own socket-only settings would refuse TCP)
    expect((await pg.psql("postgres", "SHOW listen_addresses")).trim()).toBe("127.0.0.1");
    // every file: the backup's and those added since; the live folder kept as a rollback copy
    const want = {
      [files.before]: "in the files backup taken before T",
      [files.after]: "added after T, in no backup",
    };
    expect(filestoreOf(join(filestoreRoot, DB))).toEqual(want);
    expect(filestoreOf(op.result.rollbackFilestore)).toEqual(want);

    // a new archive on the rewound cluster's timeline: streaming, a base backup, no gap
    expect(op.result.newArchiveBase).toBeTruthy();
    expect(existsSync(join(t.dataDir, "pitr", String(shop), "rewind.json"))).toBe(false); // nothing to repair
    expect(existsSync(join(op.result.previousArchive, "wal"))).toBe(true);
    const status = await t.admin.postJson("/api/v1/ops/backup.pitr-status", { instance: shop });
    expect(status.body.data).toMatchObject({ slotActive: true, gaps: { count: 0 } });
    expect(status.body.data.receiver.state).toBe("running");
    // a commit after the rewind is in the new archive: a restore to now brings rw-1 and rw-3
    await addPartner(pg, DB, "rw-3");
    await waitForArchive(pg, slotName(shop));
    const again = await t.admin.postJson("/api/v1/ops/backup.pitr-restore", {
      instance: shop,
      at: new Date().toISOString(),
      newDb: "acme_after_rewind",
    });
    expect({ status: again.status, error: again.body.error ?? null }).toEqual({ status: 202, error: null });
    const op2 = await waitOp(t, again.body.data.operationId);
    expect({ status: op2.status, error: op2.error ?? null }).toEqual({ status: "ok", error: null });
    expect(await partnersOf("acme_after_rewind")).toEqual(["rw-1", "rw-3"]);
  }, 400_000);

  test("odoodeck restarted after a swap, before the new archive: its start makes the new archive", async () => {
    const archive = join(appData, "pitr", String(shop));
    await pg.dropDb("acme_after_rewind"); // the previous test's copy: alone in its cluster again
    const live = await inspectLiveCluster({
      // as the superuser: the GRANT of the first test was made after T, so the rewind took it back
      pg: { host: pg.host, port: pg.port, user: pg.user, password: pg.password },
      dbName: DB,
      systemId: null,
    });
    await t.stop();
    const journal: RewindJournal = { stage: "swapped", stamp: "20261207000009", at: T.toISOString(), live };
    writeFileSync(join(archive, "rewind.json"), JSON.stringify(journal));
    t = await startTestApp({ plugins: [backup], dataDir: appData });
    const kept = join(archive, "before-rewind-20261207000009");
    for (let i = 0; i < 600 && (existsSync(join(archive, "rewind.json")) || !existsSync(kept)); i++)
      await Bun.sleep(100);
    expect(existsSync(join(kept, "wal"))).toBe(true);
    expect(existsSync(join(archive, "rewind.json"))).toBe(false);
    // streaming again into the new archive, and its base backup made
    let status: any = null;
    for (let i = 0; i < 600; i++, await Bun.sleep(100)) {
      status = (await t.admin.postJson("/api/v1/ops/backup.pitr-status", { instance: shop })).body.data;
      if (status.receiver?.state === "running" && status.bases?.length) break;
    }
    expect({ receiver: status.receiver?.state, bases: status.bases?.length }).toEqual({
      receiver: "running",
      bases: 1,
    });
    expect(await partnersOf(DB)).toEqual(["rw-1", "rw-3"]); // the cluster was left as it was
  }, 180_000);
});
