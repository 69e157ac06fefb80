/**
 * A throwaway PostgreSQL 15 cluster shared by the whole `bun test` run: started on first use,
 * stopped through registerCleanup. Local socket connections are trusted; TCP needs a password
 * (scram), so tests exercise credentials the way a real server does.
 */
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCleanup } from "./cleanup.ts";
import { FIXTURES, type FixtureDbName } from "./fixtures.ts";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface TestPg {
  host: string;
  port: number;
  /** Superuser (password auth over TCP). */
  user: string;
  password: string;
  /** The non-superuser role Odoo runs as (LOGIN, CREATEDB). */
  odooUser: string;
  odooPassword: string;
  socketDir: string;
  binDir: string;
  /** Runs SQL as the superuser over TCP; returns psql's unaligned, tuples-only output. */
  psql(db: string, sql: string): Promise<string>;
  createDb(name: string, opts?: { owner?: string; template?: string }): Promise<void>;
  dropDb(name: string): Promise<void>;
  url(db: string, as?: "superuser" | "odoo"): string;
}

const asPostgres = (cmd: string[]) =>
  process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;

async function run(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0)
    throw new Error(`${cmd.slice(0, 3).join(" ")}… exited ${code}: ${err.trim() || out.trim()}`);
  return out;
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

let started: Promise<TestPg> | null = null;

export function getPg(): Promise<TestPg> {
  started ??= startCluster();
  return started;
}

/**
 * A cluster of its own, for tests whose cost grows with the whole cluster (a base backup copies
 * every database the run has restored so far into the shared one). Stopped with the run.
 */
export function privatePg(): Promise<TestPg> {
  return startCluster();
}

async function startCluster(): Promise<TestPg> {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-pg-"));
  const data = join(dir, "data");
  const password = `su-${crypto.randomUUID()}`;
  const odooPassword = `odoo-${crypto.randomUUID()}`;
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`);
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresIds();
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  chmodSync(dir, 0o700);
  await run(
    asPostgres([
      `${PG_BIN}/initdb`,
      "-D",
      data,
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      `--pwfile=${pwfile}`,
    ]),
  );
  const port = freePort();
  const settings = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    "fsync = off",
    "full_page_writes = off",
    "synchronous_commit = off",
    "max_connections = 200",
  ];
  writeFileSync(join(data, "postgresql.auto.conf"), `${settings.join("\n")}\n`, { flag: "a" });
  await run(
    asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "30", "start"]),
  );
  registerCleanup(async () => {
    await run(asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"])).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  const host = "127.0.0.1";
  const psql = (db: string, sql: string) =>
    run(
      [
        "psql",
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        host,
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        db,
        "-c",
        sql,
      ],
      { PGPASSWORD: password },
    );
  const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
  await psql("postgres", `CREATE ROLE odoo LOGIN CREATEDB PASSWORD '${odooPassword}'`);
  return {
    host,
    port,
    user: "postgres",
    password,
    odooUser: "odoo",
    odooPassword,
    socketDir: dir,
    binDir: PG_BIN,
    psql,
    async createDb(name, opts = {}) {
      const owner = opts.owner ? ` OWNER ${ident(opts.owner)}` : "";
      const tpl = opts.template ? ` TEMPLATE ${ident(opts.template)}` : "";
      await psql("postgres", `CREATE DATABASE ${ident(name)}${tpl}${owner}`);
    },
    async dropDb(name) {
      await psql("postgres", `DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
    },
    url: (db, as = "superuser") =>
      as === "odoo"
        ? `postgres://odoo:${encodeURIComponent(odooPassword)}@${host}:${port}/${db}`
        : `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}/${db}`,
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run(["id", "-u", "postgres"]), run(["id", "-g", "postgres"])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

const templates = new Map<FixtureDbName, Promise<string>>();
let seq = 0;

/**
 * A fresh copy of a fixture database, owned by the `odoo` role, under a unique name. The dump is
 * restored once per run into a template (as the odoo role, like a real non-superuser restore),
 * then each call copies the template, which takes a fraction of a second.
 */
export async function fixtureDb(name: FixtureDbName): Promise<string> {
  const pg = await getPg();
  let tpl = templates.get(name);
  if (!tpl) {
    tpl = restoreTemplate(pg, name);
    templates.set(name, tpl);
  }
  const template = await tpl;
  const db = `${name}_t${process.pid}_${++seq}`;
  await pg.createDb(db, { template, owner: pg.odooUser });
  return db;
}

async function restoreTemplate(pg: TestPg, name: FixtureDbName): Promise<string> {
  const tpl = `tpl_${name}`;
  await pg.createDb(tpl, { owner: pg.odooUser });
  // COMMENT ON EXTENSION needs the extension's owner: a non-superuser restore must skip it.
  const toc = (await run(["pg_restore", "-l", FIXTURES.dump(name)]))
    .split("\n")
    .filter((l) => !/ COMMENT - EXTENSION /.test(l));
  const listFile = join(pg.socketDir, `${tpl}.toc`);
  writeFileSync(listFile, toc.join("\n"));
  await run(
    [
      "pg_restore",
      "--no-owner",
      "--no-acl",
      "-j2",
      "-L",
      listFile,
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      pg.odooUser,
      "-d",
      tpl,
      FIXTURES.dump(name),
    ],
    { PGPASSWORD: pg.odooPassword },
  );
  return tpl;
}
