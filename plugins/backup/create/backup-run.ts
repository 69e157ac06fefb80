/**
 * The state one backup run shares between its steps: the instance's connection, one abort for
 * every producer, each destination's status (saved with the record), and the two ways a part
 * reaches the destinations.
 */
import type { BackupEnv, BackupRequest } from "./backup.ts";
import type { Connection, InstanceHandle, StepApi, odoo } from "../../../server/sdk/index.ts";
import { toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { type Copied, fanOut } from "../archive/fanout.ts";
import { produce, produceToFile } from "../archive/pipeline.ts";
import type { BackupRecord, DestinationState } from "../store.ts";

/** What claimBackup settles before the operation starts: the database, the name and the record. */
export interface BackupClaim {
  dbName: string;
  db: odoo.OdooDb;
  filestoreDir: string;
  createdAt: Date;
  name: string;
  backupId: number;
  /** Each destination's status, saved with the record as the run goes. */
  dests: DestinationState[];
}

export class BackupRun {
  /** Destination id → why it failed; a failed destination gets no more bytes. */
  readonly failures = new Map<string, string>();
  /** libpq settings for pg_dump: the password goes in the environment, never in argv. */
  readonly pgEnv: Record<string, string> = { PGCONNECT_TIMEOUT: "10", PGAPPNAME: "odoodeck-backup" };
  readonly dumpArgv: string[];
  readonly wantDb: boolean;
  readonly wantFiles: boolean;
  /**
   * "<destination id>:<path>" of parts the producing script hashed by reading the destination's
   * own file back: publishing checks their size, and does not read them a third time.
   */
  readonly hashedInPlace = new Set<string>();

  private constructor(
    readonly env: BackupEnv,
    readonly inst: InstanceHandle,
    readonly req: BackupRequest,
    readonly claim: BackupClaim,
    readonly conn: Connection,
    /** Aborted with the operation, and by the run itself when one producer fails. */
    readonly ac: AbortController,
  ) {
    const t = claim.db.target;
    if (t.password) this.pgEnv.PGPASSWORD = t.password;
    if (t.sslmode) this.pgEnv.PGSSLMODE = t.sslmode;
    this.dumpArgv = [
      "pg_dump",
      "-p",
      String(t.port),
      "-d",
      claim.dbName,
      ...(t.host ? ["-h", t.host] : []),
      ...(t.user ? ["-U", t.user] : []),
    ];
    this.wantDb = req.scope !== "files";
    this.wantFiles = req.scope !== "db";
  }

  /** Links the run's abort to the operation's signal, then connects to the instance's server. */
  static async open(
    env: BackupEnv,
    inst: InstanceHandle,
    req: BackupRequest,
    claim: BackupClaim,
    signal: AbortSignal,
  ): Promise<BackupRun> {
    const ac = new AbortController();
    signal.addEventListener("abort", () => ac.abort(), { once: true });
    return new BackupRun(env, inst, req, claim, await inst.connection(), ac);
  }

  get name(): string {
    return this.claim.name;
  }

  /** The destinations that have not failed yet. */
  live(): Destination[] {
    return this.req.destinations.filter((d) => !this.failures.has(d.id));
  }

  fail(d: Destination, e: unknown): void {
    this.failures.set(d.id, toAppError(e).message);
  }

  /** Saves the record with every destination's status (failed ones with their reason). */
  async save(patch: Partial<BackupRecord> = {}): Promise<void> {
    for (const s of this.claim.dests) {
      const why = this.failures.get(s.id);
      if (why) Object.assign(s, { status: "failed", error: why });
    }
    await this.env.store.update(this.claim.backupId, { ...patch, destinations: this.claim.dests });
  }

  /** One producer → every live destination; a destination that fails is recorded, the others go on. */
  async stream(
    s: StepApi,
    rel: (d: Destination) => string,
    src: { stdout: ReadableStream<Uint8Array>; finished: Promise<unknown> },
  ): Promise<Copied> {
    const targets = this.live();
    try {
      const r = await fanOut(
        src.stdout,
        targets.map((d) => (data) => d.write(rel(d), data, this.ac.signal)),
        (bytesDone) => s.progress({ bytesDone }),
      );
      r.errors.forEach((e, i) => {
        if (e) this.fail(targets[i], e);
      });
      await src.finished;
      return r;
    } catch (e) {
      this.ac.abort();
      await src.finished.catch(() => {});
      throw e;
    }
  }

  /**
   * A producer's output (a native part, or the whole zip): straight into the file when the only
   * destination is a folder on this machine and the instance is local too (nothing passes through
   * odoodeck's memory); otherwise streamed from the server to every destination at once.
   */
  async writePart(
    s: StepApi,
    rel: (d: Destination) => string,
    argv: string[],
    o: { what: string; compress: boolean; env?: Record<string, string> },
  ): Promise<{ bytes: number; sha256: string }> {
    const targets = this.live();
    const d = targets.length === 1 && this.conn.kind === "local" ? targets[0] : null;
    if (d?.localPath) {
      try {
        const r = await produceToFile(this.conn, argv, d.localPath(rel(d)), {
          ...o,
          signal: this.ac.signal,
          onBytes: (bytesDone) => s.progress({ bytesDone }),
        });
        this.hashedInPlace.add(`${d.id}:${rel(d)}`);
        return r;
      } catch (e) {
        this.ac.abort();
        throw e;
      }
    }
    return this.stream(s, rel, produce(this.conn, argv, { ...o, signal: this.ac.signal }));
  }
}
