/**
 * Continuous WAL against the real test cluster: pg_receivewal through a slot, a base backup, a
 * writer committing a row every 200 ms, then recovery to an instant between two commits in a
 * scratch cluster. The recovered database holds exactly the rows committed up to that instant.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../server/sdk/testing.ts";
import { recoverDatabase } from "./recover.ts";
import { pitrWorkspace, restoredTicks, streamedArchive, waitForArchive } from "./test-helpers.ts";

// Its own cluster: a base backup of the shared one would copy every database the run restored.
let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());

const ws = pitrWorkspace("odoodeck-pitr-test-");
afterAll(() => ws.dispose(), 60_000);

test("recovering to T between two commits gives exactly the rows committed up to T", async () => {
  const pg = await getPg();
  const a = await streamedArchive(pg, ws, "pitr");
  await a.tick(1, 20, 200);
  await waitForArchive(pg, a.slot);
  // Halfway between the commits of rows 12 and 13: row 12 is in, row 13 is not.
  const T = new Date(((await a.atOf(12)).getTime() + (await a.atOf(13)).getTime()) / 2);
  const out = join(ws.root, "db.dump");
  await recoverDatabase({
    base: a.base,
    walDir: a.walDir,
    target: T,
    dbName: a.db,
    user: pg.user,
    outFile: out,
  });
  expect(await restoredTicks(pg, ws, out, "pitr")).toBe("12|12");
  expect(a.rx.status().state).toBe("running");
}, 120_000);
