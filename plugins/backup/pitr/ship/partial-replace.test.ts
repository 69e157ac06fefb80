/**
 * The shipped `.partial` is rewritten in place while the receiver runs (partial.ts), so a recovery
 * from the destination may read it while it is replaced: it asked the file's size, and by the time
 * it reads, a newer copy (another size) is there. That is not a corrupt archive: the recovery asks
 * again and gets a whole copy. The interleaving is forced: the destination ships the newer copy
 * (the real shipper, over SSH, encrypted) between the recovery's size and its read.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { privatePg } from "../../../../server/sdk/testing.ts";
import type { Destination } from "../../destinations/types.ts";
import { recoverDatabase } from "../recover.ts";
import {
  pitrWorkspace,
  restoredTicks,
  sshServerDestination,
  streamedArchive,
  waitForArchive,
} from "../test-helpers.ts";
import { fetchForRecovery, remoteArchives } from "./fetch-remote.ts";
import { shipOnce } from "./shipper.ts";

setDefaultTimeout(420_000);

const ws = pitrWorkspace("odoodeck-walreplace-");
afterAll(() => ws.dispose(), 60_000);

test("a .partial replaced between the recovery's size and its read is read again, not called corrupt", async () => {
  const pg = await privatePg();
  const a = await streamedArchive(pg, ws, "walreplace");
  const { dest } = await sshServerDestination(ws, "server:4");
  const instanceId = 4;
  const ship = () =>
    shipOnce({ instanceId, archiveDir: a.archiveDir, walDir: a.walDir, dest, partialEveryMs: 0 });
  await a.tick(1, 1, 0);
  await waitForArchive(pg, a.slot, 20_000, { switchWal: false });
  const first = await ship();
  expect(first.partial).toMatch(/^[0-9A-F]{24}$/);

  // the first read of the .partial meets the shipper: new rows are committed and shipped before it
  let replaced = 0;
  const racing: Destination = Object.create(dest, {
    read: {
      value: (rel: string) => {
        if (!rel.endsWith(".partial") || replaced++) return dest.read(rel);
        return new ReadableStream<Uint8Array>({
          async start(c) {
            // enough rows for the written part to grow by pages: the newer copy has another size
            await pg.psql(a.db, "INSERT INTO ticks (id) SELECT g FROM generate_series(2, 500) g");
            await waitForArchive(pg, a.slot, 20_000, { switchWal: false });
            expect((await ship()).partial).toBe(first.partial!);
            const r = dest.read(rel).getReader();
            for (let x = await r.read(); !x.done; x = await r.read()) c.enqueue(x.value);
            c.close();
          },
        });
      },
    },
  });
  const [r] = await remoteArchives([racing], instanceId);
  const got = await fetchForRecovery({
    remote: r!,
    instanceId,
    base: r!.marker.bases.at(-1)!,
    into: join(ws.root, "fetched"),
  });
  ws.cleanups.push(got.cleanup);
  expect(replaced).toBeGreaterThan(1); // it was read again
  const out = join(ws.root, "replace.dump");
  try {
    await recoverDatabase({
      base: got.base,
      walDir: got.walDir,
      target: "latest",
      dbName: a.db,
      user: pg.user,
      outFile: out,
    });
  } finally {
    await got.cleanup();
  }
  expect(await restoredTicks(pg, ws, out, "walreplace")).toBe("500|500"); // the newer copy, whole
});
