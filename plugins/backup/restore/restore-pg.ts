/**
 * PostgreSQL plumbing shared by restore, swap and copy: the tool environment, database-level DDL
 * (create, drop, rename, terminate) and running pg tools on the target server through its
 * Connection. Names go through psql variables (`:"name"`), never pasted into SQL.
 */
import { readdirSync, readFileSync } from "node:fs";
import { AppError, type Connection, odoo } from "../../../server/sdk/index.ts";

export type PgTarget = odoo.OdooDb["target"];

/** libpq environment for pg tools; the password travels in PGPASSWORD, never in argv. */
export function pgEnv(t: PgTarget): Record<string, string> {
  const env: Record<string, string> = { LC_MESSAGES: "C", PGCONNECT_TIMEOUT: "10", PGAPPNAME: "odoodeck" };
  if (t.password) env.PGPASSWORD = t.password;
  if (t.sslmode) env.PGSSLMODE = t.sslmode;
  return env;
}

/** -h/-p/-U for pg_restore, pg_dump, psql. */
export function pgArgs(t: PgTarget): string[] {
  const a = ["-p", String(t.port)];
  if (t.host) a.push("-h", t.host);
  if (t.user) a.push("-U", t.user);
  return a;
}

/** The maintenance database handle: where CREATE/DROP/ALTER DATABASE run. */
export function maintenanceDb(conn: Connection, t: PgTarget): odoo.OdooDb {
  return new odoo.OdooDb(conn, { ...t, database: "postgres" }, { timeoutMs: 600_000 });
}

/** Runs a pg tool (or any command) on the target; a non-zero exit is E_COMMAND_FAILED with stderr's gist. */
export async function runTool(
  conn: Connection,
  argv: string[],
  opts: {
    env?: Record<string, string>;
    stdin?: ReadableStream<Uint8Array> | Blob | string;
    onStdinProgress?: (bytes: number) => void;
    signal?: AbortSignal;
    what: string;
    maxOutputBytes?: number;
  },
): Promise<string> {
  const res = await conn.exec(argv, {
    env: opts.env,
    stdin: opts.stdin,
    onStdinProgress: opts.onStdinProgress,
    signal: opts.signal,
    maxOutputBytes: opts.maxOutputBytes,
  });
  if (res.code !== 0) throw toolFailed(opts.what, res.stderr, res.code);
  return res.stdout;
}

/** Errors a non-superuser restore may ignore: only the extension owner may comment on it. */
export function onlyExtensionComments(stderr: string): boolean {
  const errors = stderr.split("\n").filter((l) => /error:/i.test(l) && !/errors ignored on restore/.test(l));
  return errors.every((l) => /COMMENT ON EXTENSION|must be owner of extension/.test(l));
}

/**
 * Odoo's `dump` backup (a pg_dump custom-format file) into an existing empty database, the file
 * streamed as pg_restore's stdin (so it works on a remote target too), as Odoo restores it.
 */
export async function pgRestoreFile(
  conn: Connection,
  path: string,
  o: { pg: PgTarget; dbName: string; signal?: AbortSignal; onBytes?: (n: number) => void },
): Promise<void> {
  let sent = 0;
  const res = await conn.exec(["pg_restore", "--no-owner", "--no-acl", ...pgArgs(o.pg), "-d", o.dbName], {
    env: pgEnv(o.pg),
    stdin: Bun.file(path),
    signal: o.signal,
    onStdinProgress: (n) => {
      o.onBytes?.(n - sent);
      sent = n;
    },
  });
  if (res.code !== 0 && !onlyExtensionComments(res.stderr))
    throw toolFailed("pg_restore", res.stderr, res.code);
}

/**
 * A pg_dump custom-format archive as the stdout of a command on the odoodeck machine (a
 * point-in-time restore's scratch cluster): restored straight from the pipe, never written to
 * disk, so dump and restore run at the same time and no free space is needed for a dump file.
 */
export interface DumpProducer {
  argv: string[];
  env?: Record<string, string>;
}

export interface StreamRestoreOptions {
  pg: PgTarget;
  dbName: string;
  signal?: AbortSignal;
  /** Bytes of the archive handed to pg_restore so far (over SSH; a local pipe is not counted). */
  onBytes?: (n: number) => void;
  /** Session settings for pg_restore's connection (PGOPTIONS), e.g. "synchronous_commit=off". */
  settings?: string[];
}

/** pg_restore's words for an archive that ended early (its producer stopped mid-stream). */
const TRUNCATED = /end of file|too short|did not find magic string|could not read input|unexpected EOF/i;

/** Stops a process group started detached (runuser and the pg_dump under it), ignoring one gone. */
function killTree(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}

/** The archive's bytes as they pass, for progress. */
function counted(stream: ReadableStream<Uint8Array>, onBytes?: (n: number) => void) {
  if (!onBytes) return stream;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        onBytes(chunk.byteLength);
        c.enqueue(chunk);
      },
    }),
  );
}

/**
 * Bytes a local process and its children (pg_dump under `runuser`) have written so far, from
 * /proc/<pid>/io (wchar), every `everyMs`: the progress of a pipe JavaScript does not touch.
 * What they wrote after the last look before they exited is not counted (the files go with the
 * processes). Linux; elsewhere it says nothing.
 */
export function watchWritten(pid: number, onBytes: (n: number) => void, everyMs = 1000): () => void {
  const seen = new Map<number, number>();
  const tree = (p: number): number[] => {
    let kids: number[] = [];
    try {
      for (const t of readdirSync(`/proc/${p}/task`))
        kids = kids.concat(
          readFileSync(`/proc/${p}/task/${t}/children`, "utf8").split(" ").filter(Boolean).map(Number),
        );
    } catch {} // gone
    return [p, ...kids.flatMap(tree)];
  };
  const look = () => {
    let grew = 0;
    for (const p of tree(pid)) {
      try {
        const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${p}/io`, "utf8"));
        const now = m ? Number(m[1]) : 0;
        const before = seen.get(p) ?? 0;
        if (now > before) grew += now - before;
        seen.set(p, Math.max(before, now));
      } catch {} // gone, or no /proc
    }
    if (grew) onBytes(grew);
  };
  const timer = setInterval(look, everyMs);
  return () => {
    look();
    clearInterval(timer);
  };
}

/** pg_restore on this machine reading the producer's stdout (Bun relays the pipe natively, no JS in between). */
async function localRestore(
  argv: string[],
  env: Record<string, string>,
  input: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<{ code: number; stderr: string }> {
  const p = Bun.spawn(argv, {
    env: { ...process.env, ...env },
    stdin: input,
    stdout: "ignore",
    stderr: "pipe",
    detached: true,
  });
  const onAbort = () => killTree(p.pid);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    return { code, stderr };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Streams `producer`'s archive into pg_restore on the target, into an existing empty database: a
 * pipe between two processes on a local target, the producer's stdout as the remote command's
 * stdin over SSH. One pg_restore job (-j needs a seekable file). Whichever side fails, the other
 * is stopped and the failure is E_COMMAND_FAILED naming it: a producer that died mid-stream
 * (killed, its cluster stopped) is named first, since pg_restore's "end of file" is only its echo.
 */
export async function pgRestoreStream(
  conn: Connection,
  producer: DumpProducer,
  o: StreamRestoreOptions,
): Promise<void> {
  if (o.signal?.aborted) throw new AppError("E_CANCELLED", "The restore was cancelled");
  const dump = Bun.spawn(producer.argv, {
    env: { ...process.env, ...producer.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  const dumpErr = new Response(dump.stderr).text().catch(() => "");
  let dumpEnded = false;
  void dump.exited.then(() => {
    dumpEnded = true;
  });
  let stoppedByUs = false;
  const stopDump = () => {
    stoppedByUs = true;
    killTree(dump.pid);
  };
  o.signal?.addEventListener("abort", stopDump, { once: true });
  const argv = ["pg_restore", "--no-owner", "--no-acl", ...pgArgs(o.pg), "-d", o.dbName];
  const env = { ...pgEnv(o.pg) };
  if (o.settings?.length) env.PGOPTIONS = o.settings.map((s) => `-c ${s}`).join(" ");
  let res: { code: number; stderr: string };
  // Local: the pipe between the two tools is not ours to count; pg_dump's writes say how far it is.
  const unwatch = conn.kind === "local" && o.onBytes ? watchWritten(dump.pid, o.onBytes) : () => {};
  try {
    res =
      conn.kind === "local"
        ? await localRestore(argv, env, dump.stdout, o.signal)
        : await conn.exec(argv, { env, stdin: counted(dump.stdout, o.onBytes), signal: o.signal });
  } catch (e) {
    stopDump();
    await dump.exited;
    throw e;
  } finally {
    unwatch();
    o.signal?.removeEventListener("abort", stopDump);
  }
  const restored = res.code === 0 || onlyExtensionComments(res.stderr);
  if (!restored && !dumpEnded) {
    // Input cut short: pg_dump closed the pipe, so it has died or is dying; let it say why.
    // Else pg_restore failed on its own and nothing reads pg_dump any more: stop it.
    if (TRUNCATED.test(res.stderr)) await Promise.race([dump.exited, Bun.sleep(5000)]);
    if (!dumpEnded) stopDump();
  } else if (restored && !dumpEnded) {
    // pg_restore has all it needs; pg_dump is only exiting (never wait forever on it)
    await Promise.race([dump.exited, Bun.sleep(60_000)]);
    if (!dumpEnded) stopDump();
  }
  const code = await dump.exited;
  if (o.signal?.aborted) throw new AppError("E_CANCELLED", "The restore was cancelled");
  if (code !== 0 && !stoppedByUs) {
    const err = await dumpErr;
    const how = dump.signalCode ? `stopped by ${dump.signalCode}` : `exit code ${code}`;
    const e = toolFailed("pg_dump", err || how, code);
    throw new AppError(e.code, `${e.message}${err ? ` (${how})` : ""}`, {
      hint: "The source of the stream stopped before the end; nothing was put live",
      details: { stderr: err.slice(-4000), code, restoreStderr: res.stderr.slice(-4000) },
    });
  }
  if (!restored) throw toolFailed("pg_restore", res.stderr, res.code);
}

/** E_COMMAND_FAILED carrying the gist of a tool's stderr (the line saying error/fatal, else the first). */
export function toolFailed(what: string, stderr: string, code: number): AppError {
  const lines = stderr.trim().split("\n");
  const gist = (lines.find((l) => /error|fatal/i.test(l)) ?? lines[0] ?? `exit code ${code}`).trim();
  return new AppError("E_COMMAND_FAILED", `${what} failed: ${gist || `exit code ${code}`}`, {
    details: { stderr: stderr.slice(-4000), code },
  });
}

export async function databaseExists(m: odoo.OdooDb, name: string): Promise<boolean> {
  return (await m.scalar("SELECT count(*) FROM pg_database WHERE datname = :'name'", { name })) === "1";
}

/** Like Odoo's own create: template0, UTF8, owned by the connecting role. */
export async function createDatabase(m: odoo.OdooDb, name: string): Promise<void> {
  await m.query(`CREATE DATABASE :"name" TEMPLATE template0 ENCODING 'UTF8'`, { name });
}

/**
 * Drops a database after ending its client sessions. Not `WITH (FORCE)`: that also terminates
 * autovacuum workers, which belong to the superuser, so a non-superuser role gets "must be a
 * member of the role whose process is being terminated" whenever autovacuum is busy on a freshly
 * restored copy. A plain DROP signals autovacuum itself and waits for it; a client that
 * reconnects in between is ended again.
 */
export async function dropDatabase(m: odoo.OdooDb, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await terminateConnections(m, name);
    try {
      await m.query(`DROP DATABASE IF EXISTS :"name"`, { name });
      return;
    } catch (e) {
      const busy = /being accessed by other users/.test(JSON.stringify((e as AppError).details ?? ""));
      if (!busy || attempt >= 5) throw e;
      await Bun.sleep(200 * attempt);
    }
  }
}

/** Ends every other session on `name` (Odoo workers, crons) so it can be renamed or dropped. */
export async function terminateConnections(m: odoo.OdooDb, name: string): Promise<void> {
  await m.query(
    // Client sessions only: an autovacuum worker on a freshly restored copy belongs to the
    // superuser (terminating it fails for a non-superuser role) and gives way to a rename itself.
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = :'name' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    { name },
  );
}

/**
 * Renames a database. PostgreSQL refuses while anyone is connected, and a running Odoo may
 * reconnect between terminate and rename: retry a few times before giving up.
 */
export async function renameDatabase(m: odoo.OdooDb, from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await terminateConnections(m, from);
    try {
      await m.query(`ALTER DATABASE :"from" RENAME TO :"to"`, { from, to });
      return;
    } catch (e) {
      const busy = /being accessed by other users/.test(JSON.stringify((e as AppError).details ?? ""));
      if (!busy || attempt >= 5) throw e;
      await Bun.sleep(200 * attempt);
    }
  }
}

/** True when the role can create any extension (superuser); else only trusted ones. */
export async function isSuperuser(m: odoo.OdooDb): Promise<boolean> {
  return (await m.scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) === "t";
}

/**
 * Which of `names` this role cannot create on the target: not installed on the server, or
 * untrusted while we are not superuser. Checked before anything is created.
 */
export async function uncreatableExtensions(m: odoo.OdooDb, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const su = await isSuperuser(m);
  const rows = await m.query<{ name: string; trusted: string | null }>(
    `SELECT e.name, v.trusted FROM pg_available_extensions e
       LEFT JOIN pg_available_extension_versions v ON v.name = e.name AND v.version = e.default_version`,
  );
  const avail = new Map(rows.map((r) => [r.name, r.trusted === "t"]));
  return names.filter((n) => !avail.has(n) || (!su && !avail.get(n)));
}

/** Postgres identifiers are 63 bytes at most: shorten the base so `<base><suffix>` fits. */
export function fitName(base: string, suffix: string): string {
  const max = 63 - Buffer.byteLength(suffix);
  let b = base;
  while (Buffer.byteLength(b) > max) b = b.slice(0, -1);
  return `${b}${suffix}`;
}

/** "20240501101500" (UTC): readable, sortable, short enough for identifiers. */
export function compactStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "");
}
