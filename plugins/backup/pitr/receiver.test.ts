/**
 * pg_receivewal dies with odoodeck: a process holding a receiver is SIGKILLed (nothing gets to
 * clean up) and the receiver's whole process group is gone moments later — no orphan keeps the
 * replication slot busy or writes to the archive.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../server/sdk/testing.ts";

// Its own cluster: a base backup of the shared one would copy every database the run restored.
let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());
import { clusterDir } from "./tools.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-pitr-rx-"));
chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

const alive = (group: number) => {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
};

test("kill -9 of odoodeck leaves no pg_receivewal behind", async () => {
  const pg = await getPg();
  const slot = `odoodeck_rx_${process.pid}`;
  const walDir = join(root, "wal");
  await clusterDir(walDir);
  cleanups.push(() => pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`));
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "receiver-crash-child.ts"),
      JSON.stringify({
        pg: { host: pg.host, port: pg.port, user: pg.user, password: pg.password },
        walDir,
        slot,
      }),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  cleanups.push(async () => child.kill("SIGKILL"));
  const reader = child.stdout.getReader();
  let head = "";
  while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
  const group = Number(/group:(\d+)/.exec(head)?.[1]);
  // streaming: the slot is in use by the receiver
  let active = "";
  for (let i = 0; i < 50 && active !== "t"; i++, await Bun.sleep(100))
    active = (
      await pg.psql("postgres", `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`)
    ).trim();
  expect(active).toBe("t");
  expect(alive(group)).toBe(true);
  child.kill("SIGKILL");
  await child.exited;
  for (let i = 0; i < 50 && alive(group); i++) await Bun.sleep(100);
  expect(alive(group)).toBe(false);
  for (let i = 0; i < 50 && active === "t"; i++, await Bun.sleep(100))
    active = (
      await pg.psql("postgres", `SELECT active FROM pg_replication_slots WHERE slot_name = '${slot}'`)
    ).trim();
  expect(active).toBe("f");
}, 30_000);
