import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { copyDatabase } from "../../plugins/backup/restore/copy.ts";
import { liveFixture, type RestoreEnv, restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { listFiles } from "../../plugins/backup/restore/restore-verify.ts";
import { localConnection } from "../helpers/local-connection.ts";

let env: RestoreEnv;
let src: string;

beforeAll(async () => {
  env = await restoreEnv("copy");
  src = await liveFixture(env, "acme_prod");
}, 120_000);

const from = () => ({ conn: env.conn, pg: env.pg, filestoreRoot: env.filestoreRoot, dbName: src });

describe("copy an instance's database into a new one", () => {
  test("same cluster, nobody connected: template copy, neutralized, source untouched", async () => {
    const res = await copyDatabase({ from: from(), to: env, promote: { kind: "new", dbName: "copy_tpl" } });
    expect(res.method).toContain("TEMPLATE");
    expect(await env.db("copy_tpl").odooInfo()).toMatchObject({ partners: 101, installedModules: 39 });
    expect(await env.db("copy_tpl").scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("1");
    expect(await env.db(src).scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("15");
    expect((await listFiles(env.conn, join(env.filestoreRoot, "copy_tpl"))).size).toBe(91);
  }, 120_000);

  test("another connection: streamed pg_dump | pg_restore and tar | tar, no intermediate file", async () => {
    const other = { ...env, conn: await localConnection() };
    const res = await copyDatabase({
      from: from(),
      to: other,
      promote: { kind: "new", dbName: "copy_stream" },
    });
    expect(res.method).toBe("pg_dump | pg_restore");
    expect(await env.db("copy_stream").odooInfo()).toMatchObject({
      partners: 101,
      installedModules: 39,
      storedAttachments: 228,
    });
    // Odoo 17's base/data/neutralize.sql stores the boolean true, which PostgreSQL writes as 'true'
    expect(
      await env
        .db("copy_stream")
        .scalar("SELECT value FROM ir_config_parameter WHERE key='database.is_neutralized'"),
    ).toBe("true");
    expect((await listFiles(env.conn, join(env.filestoreRoot, "copy_stream"))).size).toBe(91);
  }, 120_000);
});
