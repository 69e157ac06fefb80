/**
 * Crash recovery at start touches only what a stopped process left: a CLI command run beside the
 * server (same data directory) must not mark the server's running operation interrupted, release
 * its instance lock, or start the schedules a second time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import { OWNER, ownerAlive } from "../../server/process-owner.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-recovery-"));

beforeAll(async () => {
  t = await startTestApp({ dataDir });
  await t.addLocalInstance({ name: "acme", confPath: join(dataDir, "absent.conf") });
});
afterAll(async () => {
  await t.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const p = Bun.spawn([process.execPath, "server/main.ts", ...args, "--data", dataDir], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { out, err, code };
}

const row = (id: string) =>
  t.core.db.selectFrom("operations").select(["status", "owner"]).where("id", "=", id).executeTakeFirst();
const lockOf = (instanceId: number) =>
  t.core.db.selectFrom("locks").selectAll().where("instance_id", "=", instanceId).executeTakeFirst();

describe("recovery at start", () => {
  test("an owner is this process while it runs; a pid that is gone, another boot or no owner is not", () => {
    expect(ownerAlive(OWNER)).toBe(true);
    const [boot, , start] = OWNER.split(":");
    expect(ownerAlive(`${boot}:999999:${start}`)).toBe(false);
    expect(ownerAlive(`another-boot:${process.pid}:${start}`)).toBe(false);
    expect(ownerAlive(`${boot}:${process.pid}:1`)).toBe(false); // pid reused by a later process
    expect(ownerAlive(null)).toBe(false);
  });

  test("a CLI command beside the server leaves its running operation and lock alone; a dead process's are recovered", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const live = t.core.operations.start("test", {
      kind: "x",
      title: "Long restore",
      actor: "admin",
      instanceId: 41,
      lock: true,
      steps: ["wait"],
      run: async (o) => o.step("wait", () => gate),
    });
    await live.started;
    // What a process killed mid-operation leaves behind.
    await t.core.db
      .insertInto("operations")
      .values({
        id: "dead-op",
        plugin: "test",
        kind: "x",
        title: "Killed backup",
        instance_id: 42,
        actor: "admin",
        status: "running",
        started_at: new Date().toISOString(),
        snapshot: JSON.stringify({
          id: "dead-op",
          status: "running",
          steps: [{ name: "dump", status: "running" }],
        }),
        owner: `${OWNER.split(":")[0]}:999999:1`,
      })
      .execute();
    await t.core.db
      .insertInto("locks")
      .values({
        instance_id: 42,
        holder: "Killed backup",
        operation_id: "dead-op",
        since: new Date().toISOString(),
        owner: `${OWNER.split(":")[0]}:999999:1`,
      })
      .execute();

    const r = await cli("backup", "list", "acme");
    expect(r.code).toBe(0);
    expect(r.err).toContain("1 operation(s) of stopped processes marked interrupted, 1 lock(s) released");

    expect(await row(live.id)).toMatchObject({ status: "running", owner: OWNER });
    expect(await lockOf(41)).toMatchObject({ holder: "Long restore", operation_id: live.id });
    expect((await row("dead-op"))?.status).toBe("interrupted");
    expect(await lockOf(42)).toBeUndefined();

    release();
    expect((await live.done).status).toBe("ok");
    expect((await row(live.id))?.status).toBe("ok");
    expect(await lockOf(41)).toBeUndefined();
  });

  test("a CLI command does not start the scheduler: even a dead process's job run is left for the server", async () => {
    const dead = `${OWNER.split(":")[0]}:999999:1`;
    for (const [job, owner] of [
      ["test.live", OWNER],
      ["test.dead", dead],
    ])
      await t.core.db
        .insertInto("job_runs")
        .values({ job, trigger: "schedule", status: "running", started_at: new Date().toISOString(), owner })
        .execute();
    const r = await cli("backup", "list", "acme");
    expect(r.code).toBe(0);
    const runs = await t.core.db
      .selectFrom("job_runs")
      .select(["job", "status"])
      .where("job", "like", "test.%")
      .orderBy("job")
      .execute();
    expect(runs).toEqual([
      { job: "test.dead", status: "running" },
      { job: "test.live", status: "running" },
    ]);
    // A server starting on the same data (its scheduler recovers): only the dead run is interrupted.
    const server = await Core.open(loadConfig({ data: dataDir, port: "0", plugins: "false" }, {}));
    await server.startPlugins(builtinPlugins);
    await server.shutdown();
    const after = await t.core.db
      .selectFrom("job_runs")
      .select(["job", "status"])
      .where("job", "like", "test.%")
      .orderBy("job")
      .execute();
    expect(after).toEqual([
      { job: "test.dead", status: "interrupted" },
      { job: "test.live", status: "running" },
    ]);
  });
  test("a lock left by a process that is gone does not refuse the next operation (no restart needed)", async () => {
    await t.core.db
      .insertInto("locks")
      .values({
        instance_id: 43,
        holder: "Killed CLI restore",
        operation_id: "gone",
        since: new Date().toISOString(),
        owner: `${OWNER.split(":")[0]}:999999:1`,
      })
      .execute();
    const op = await t.core.operations.start("test", {
      kind: "x",
      title: "Backup",
      actor: "admin",
      instanceId: 43,
      lock: true,
      steps: ["x"],
      run: async () => {},
    }).done;
    expect(op.status).toBe("ok");
    expect(await lockOf(43)).toBeUndefined();
  });
});
