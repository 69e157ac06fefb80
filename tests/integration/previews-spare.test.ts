/**
 * The warm spare: a template keeps one database already cloned, so a preview's database step is a
 * rename. Asserted as a user would see it: the operation's database step says where the database
 * came from, the preview holds the template's data, the spare is refilled for the next one, and a
 * refreshed template never hands out a spare of its old data.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import { spareDb, sparesSettled } from "../../plugins/previews/build/spare.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { dropPreviews, previewsWithTemplate, previewTestSettings } from "../helpers/previews.ts";

let t: TestApp;
let svc: PreviewsService;
let repo: string;
let instanceId: number;
const dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-spare-"));
const SPARE = spareDb("acme_tpl");

async function dbComment(name: string): Promise<string | null> {
  const pg = await getPg();
  const out = (
    await pg.psql(
      "postgres",
      `SELECT coalesce(shobj_description(oid, 'pg_database'), '<none>') FROM pg_database WHERE datname = '${name}'`,
    )
  ).trim();
  return out === "" ? null : out;
}

async function create(name: string) {
  const op = await svc.create({ name, template: "acme", branch: "feature", owner: "admin" }, "admin");
  const snap = await op.done;
  if (snap.status !== "ok") throw new Error(JSON.stringify(snap.error ?? snap.steps));
  return snap.steps.find((s) => s.name === "database")!;
}

beforeAll(async () => {
  ({ t, svc, repo, instanceId } = await previewsWithTemplate(dir));
  await sparesSettled();
}, 240_000);

afterAll(async () => {
  await dropPreviews(svc);
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

test("a ready template has a spare marked with its refresh; a preview takes it and a new one is made", async () => {
  const tpl = (await svc.store.template("acme"))!;
  expect(await dbComment(SPARE)).toBe(`odoodeck warm spare of acme_tpl refreshed ${tpl.refreshedAt}`);
  const step = await create("s1");
  expect((step.result as any).method).toBe("warm spare");
  // The preview is the template's data under its own name, unmarked.
  const pg = await getPg();
  expect((await pg.psql("p_s1", "SELECT count(*) FROM res_partner")).trim()).toBe("101");
  expect(await dbComment("p_s1")).toBe("<none>");
  await sparesSettled();
  expect(await dbComment(SPARE)).toBe(`odoodeck warm spare of acme_tpl refreshed ${tpl.refreshedAt}`);
  // The next preview takes the refilled spare.
  expect(((await create("s2")).result as any).method).toBe("warm spare");
  await sparesSettled();
}, 180_000);

test("a spare of the template's previous refresh is dropped, never handed out", async () => {
  // The spare claims to be of an older refresh of the template.
  const pg = await getPg();
  await pg.psql(
    "postgres",
    `COMMENT ON DATABASE ${SPARE} IS 'odoodeck warm spare of acme_tpl refreshed 2000-01-01T00:00:00.000Z'`,
  );
  const step = await create("s3");
  expect((step.result as any).method).not.toBe("warm spare");
  await sparesSettled();
  const tpl = (await svc.store.template("acme"))!;
  expect(await dbComment(SPARE)).toBe(`odoodeck warm spare of acme_tpl refreshed ${tpl.refreshedAt}`);
}, 180_000);

test("an interrupted spare (no mark yet) is not handed out", async () => {
  const pg = await getPg();
  await pg.psql("postgres", `COMMENT ON DATABASE ${SPARE} IS NULL`);
  expect(((await create("s4")).result as any).method).not.toBe("warm spare");
  await sparesSettled();
}, 180_000);

test("refreshing the template replaces the spare with one of the new refresh", async () => {
  const before = (await svc.store.template("acme"))!.refreshedAt;
  const op = svc.refreshTemplate(await t.core.registry.get(instanceId), { name: "acme", repo }, "admin");
  expect((await op.done).status).toBe("ok");
  await sparesSettled();
  const after = (await svc.store.template("acme"))!.refreshedAt;
  expect(after).not.toBe(before);
  expect(await dbComment(SPARE)).toBe(`odoodeck warm spare of acme_tpl refreshed ${after}`);
  expect(((await create("s5")).result as any).method).toBe("warm spare");
  await sparesSettled();
}, 240_000);

test("with warm_spare off, previews are cloned and no spare is made", async () => {
  await previewTestSettings(t, dir, { warm_spare: false });
  await getPg().then((pg) => pg.dropDb(SPARE));
  expect(((await create("s6")).result as any).method).toMatch(/^(WAL_LOG|FILE_COPY)$/);
  await sparesSettled();
  expect(await dbComment(SPARE)).toBeNull();
  await previewTestSettings(t, dir, {});
}, 180_000);
