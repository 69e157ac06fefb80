/**
 * An odoodeck SIGKILLed in the middle of a backup. A second odoodeck process on the same data dir
 * starts a backup, and its whole process group is killed (as systemd does, or a power loss). The
 * tools it started on the instance's server (pg_dump | zstd, into the file or to odoodeck, locally or behind
 * sshd) must die with it, and the next start lists the backup as interrupted and removes its
 * `.partial` folder. So that "the tools die" cannot be mistaken for "the dump happened to finish",
 * pg_dump is parked: another session holds an exclusive lock on a table until the test is over.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { BackupStore } from "../../plugins/backup/store.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, moveToSshServer, setBackupSettings, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(240_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
let backupsDir: string;

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 90_000) {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(50)) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

interface Proc {
  pid: number;
  pgid: number;
  cmd: string;
}

/** The program's name: pg_dump runs as /usr/lib/postgresql/<major>/bin/pg_dump behind Debian's wrapper. */
const program = (p: Proc) => p.cmd.split(" ")[0].split("/").pop();

/** Every process of this machine, with its process group and command line. */
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue; // a zombie has ended; its parent has only not reaped it
      out.push({ pid: Number(name), pgid: Number(fields[2]), cmd });
    } catch {} // ended while we looked
  }
  return out;
}

/** The backup's pipeline: the process groups of every process naming the db or the .partial path. */
function pipeline(marks: string[]): Proc[] {
  const all = processes();
  const groups = new Set(
    all.filter((p) => marks.some((m) => p.cmd.includes(m)) && p.pid !== process.pid).map((p) => p.pgid),
  );
  return all.filter((p) => groups.has(p.pgid));
}

/** A session holding an exclusive lock on one table of `db` (pg_dump waits for it) until released. */
async function holdLock(db: string, table: string) {
  const pg = await getPg();
  const psql = Bun.spawn(
    [join(pg.binDir, "psql"), "-X", "-q", "-h", pg.host, "-p", String(pg.port), "-U", pg.user],
    // The database by env: a command line naming it would look like part of the backup's pipeline.
    {
      env: { ...process.env, PGPASSWORD: pg.password, PGDATABASE: db },
      stdin: "pipe",
      stdout: "ignore",
      stderr: "ignore",
    },
  );
  psql.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT 1;\n`);
  await psql.stdin.flush();
  await waitFor(
    "the lock",
    async () =>
      (
        await pg.psql(db, `SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted`)
      ).trim() !== "0",
  );
  return async () => {
    psql.stdin.write("ROLLBACK;\n");
    await psql.stdin.end();
    await psql.exited;
  };
}

/** Runs a backup in a second odoodeck, SIGKILLs it while pg_dump runs; returns the tools it had started. */
async function crashMidBackup(instanceId: number, db: string): Promise<Proc[]> {
  const child = Bun.spawn(
    [
      "setsid",
      process.execPath,
      join(import.meta.dir, "../helpers/crash-child.ts"),
      t.dataDir,
      JSON.stringify({ backup: { instanceId, destinations: ["local"] } }),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  let tools: Proc[] = [];
  try {
    await waitFor("pg_dump started into the .partial folder", async () => {
      if (child.exitCode !== null)
        throw new Error(`crash-child exited early: ${await new Response(child.stderr).text()}`);
      const partial = existsSync(backupsDir) && readdirSync(backupsDir).find((n) => n.endsWith(".partial"));
      if (!partial) return false;
      const dump = join(backupsDir, partial, "db.dump.zst");
      tools = pipeline([`-d ${db}`]).filter((p) => p.pgid !== child.pid);
      return existsSync(dump) && tools.some((p) => program(p) === "pg_dump");
    });
  } finally {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL"); // not yet its own group leader
    }
    await child.exited;
  }
  return tools;
}

/** A core on the same data dir, started and stopped again: what the next start of odoodeck does. */
async function restart() {
  const core = await Core.open(loadConfig({ data: t.dataDir, port: "0", plugins: "false" }, {}));
  try {
    await core.startPlugins([backupPlugin]);
  } finally {
    await core.shutdown();
  }
}

beforeAll(async () => {
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  backupsDir = join(t.dir, "backups");
  await setBackupSettings(t, { localDir: backupsDir });
  // Enough incompressible rows that pg_dump runs for seconds, even on a fast machine.
}, 240_000);
afterAll(() => t?.stop());

async function backups() {
  return (await t.admin.getJson(`/api/v1/backup/instances/${acme.id}/backups`)).body.data.backups as any[];
}

describe("a backup whose odoodeck is SIGKILLed", () => {
  for (const kind of ["local", "ssh"] as const)
    test(`${kind}: every tool of the pipeline dies with it; the next start marks it interrupted and removes the .partial folder`, async () => {
      if (kind === "ssh") await moveToSshServer(t, acme.id);
      const release = await holdLock(acme.db, "res_country");
      let tools: Proc[];
      try {
        tools = await crashMidBackup(acme.id, acme.db);
        const names = tools.map(program);
        expect(names).toContain("pg_dump");
        expect(names).toContain("zstd");
        // Straight into the file (local: hashed once written), or streamed to odoodeck through sshd.
        // pg_dump still waits for the lock: only odoodeck's death can have ended the tools.
        await waitFor("the pipeline to end", () => pipeline([`-d ${acme.db}`]).length === 0, 10_000).catch(
          () => {},
        );
        expect(pipeline([`-d ${acme.db}`]).map((p) => p.cmd)).toEqual([]);
        const alive = new Set(processes().map((p) => p.pid));
        expect(tools.filter((p) => alive.has(p.pid)).map((p) => p.cmd)).toEqual([]);
      } finally {
        await release();
      }

      const before = (await backups())[0];
      expect(before.status).toBe("running");
      const partial = join(backupsDir, `.${before.name}.partial`);
      expect(existsSync(partial)).toBe(true);

      await restart();
      const after = (await backups())[0];
      expect(after).toMatchObject({ id: before.id, status: "interrupted" });
      expect(existsSync(partial)).toBe(false);
      expect(readdirSync(backupsDir).filter((n) => n.endsWith(".partial"))).toEqual([]);
      const page = (await t.admin.page(`/p/backup/i/${acme.id}/backups`)).html;
      expect(page).toContain("interrupted");
      expect(page).not.toMatch(/>running</);
      const audit = await t.core.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "backup.interrupted")
        .where("target", "=", before.name)
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0].details as string).removed).toEqual([partial]);
    });

  test("a backup a live odoodeck is taking (the server beside a CLI command) is left alone at start", async () => {
    // As the server records one it is taking: its owner is this (live) process.
    const name = "acme_live_20990101T000000Z_full.odoodeck";
    const id = await new BackupStore(t.core.db).insert({
      instanceId: acme.id,
      name,
      scope: "full",
      format: "native",
      createdAt: new Date().toISOString(),
      finishedAt: null,
      bytes: 0,
      status: "running",
      error: null,
      operationId: null,
      manifest: null,
      destinations: [{ id: "local", label: "local", status: "writing", path: join(backupsDir, name) }],
    });
    const partial = join(backupsDir, `.${name}.partial`);
    mkdirSync(partial, { recursive: true });
    try {
      await restart();
      expect((await backups()).find((b) => b.id === id)?.status).toBe("running");
      expect(existsSync(partial)).toBe(true);
    } finally {
      rmSync(partial, { recursive: true, force: true });
      await new BackupStore(t.core.db).remove(id);
    }
  });
});
