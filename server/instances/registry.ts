import type { Connection, SshConnectionConfig } from "../connections/types.ts";
import { AppError } from "../errors.ts";
import { MAX_CONF_BYTES, parseOdooConf, tooBig } from "../odoo/conf.ts";
import { deriveInstanceSettings } from "../odoo/instance-settings.ts";
import { OdooDb } from "../odoo/pg.ts";
import type { InstanceHandle, InstancesApi, SecretsApi } from "../sdk/types.ts";
import type { CoreDb } from "../db/schema.ts";

export interface ServerRow {
  id: number;
  name: string;
  kind: "local" | "ssh";
  host: string | null;
  port: number | null;
  username: string | null;
  auth: "key" | "password" | null;
  secret: string | null;
  host_key: string | null;
  pending_host_key: string | null;
  jump_server_id: number | null;
  group_name: string | null;
  created_at: string;
}

export interface InstanceRow {
  id: number;
  name: string;
  server_id: number;
  conf_path: string;
  db_name: string | null;
  service: string | null;
  container: string | null;
  public_url: string | null;
  production: number;
  group_name: string | null;
  tags: string;
  created_at: string;
}

interface SealedSecret {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

/**
 * Servers and instances, and the pooled connection of each server. Secrets are decrypted only
 * here, at the moment a connection is made.
 */
export class Registry implements InstancesApi {
  #pool = new Map<number, Connection>();
  /** Host-key pins still being written, so a caller can wait for them (Test connection shows the key). */
  #pinning = new Map<number, Promise<unknown>>();

  constructor(
    private readonly db: CoreDb,
    private readonly secrets: SecretsApi,
  ) {}

  async server(id: number): Promise<ServerRow> {
    const row = await this.db.selectFrom("servers").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new AppError("E_NOT_FOUND", `No server with id ${id}`);
    return row;
  }

  async servers(): Promise<ServerRow[]> {
    return await this.db.selectFrom("servers").selectAll().orderBy("name").execute();
  }

  async instanceRows(): Promise<InstanceRow[]> {
    return await this.db.selectFrom("instances").selectAll().orderBy("name").execute();
  }

  async instanceRow(id: number): Promise<InstanceRow> {
    const row = await this.db.selectFrom("instances").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row)
      throw new AppError("E_NOT_FOUND", `No instance with id ${id}`, {
        hint: "It may have been removed; see the Instances page",
      });
    return row;
  }

  sshConfig(row: ServerRow, jump?: ServerRow): SshConnectionConfig {
    const secret: SealedSecret = row.secret ? JSON.parse(this.secrets.decrypt(row.secret)) : {};
    return {
      host: row.host!,
      port: row.port ?? 22,
      username: row.username!,
      privateKey: secret.privateKey,
      passphrase: secret.passphrase,
      password: secret.password,
      hostKeyFingerprint: row.host_key ?? undefined,
      onHostKeyPinned: (fp) => {
        const write = this.db
          .updateTable("servers")
          .set({ host_key: fp, pending_host_key: null })
          .where("id", "=", row.id)
          .where("host_key", "is", null)
          .execute()
          .catch(() => {});
        this.#pinning.set(row.id, write);
      },
      jump: jump ? this.sshConfig(jump) : undefined,
    };
  }

  /** The pooled connection of a server (created on first use, reconnecting by itself after drops). */
  async connection(serverId: number): Promise<Connection> {
    const pooled = this.#pool.get(serverId);
    if (pooled) return pooled;
    const row = await this.server(serverId);
    // Loaded on first use: ssh2 is only needed once a server is actually contacted.
    const { createConnection } = await import("../connections/index.ts");
    let conn: Connection;
    if (row.kind === "local") conn = createConnection({ kind: "local" });
    else {
      const jump = row.jump_server_id ? await this.server(row.jump_server_id) : undefined;
      conn = createConnection({ kind: "ssh", ...this.sshConfig(row, jump) });
    }
    this.#pool.set(serverId, conn);
    return conn;
  }

  /** Resolves once a first-use host-key pin of this server is stored. */
  async pinned(serverId: number): Promise<void> {
    await this.#pinning.get(serverId);
    this.#pinning.delete(serverId);
  }

  /** Remembers the key a server presented on a mismatch, for an admin to accept (or not). */
  async noteFailure(serverId: number, err: unknown): Promise<void> {
    const e = err as { code?: string; details?: { presented?: string } };
    if (e?.code !== "E_HOSTKEY_MISMATCH" || !e.details?.presented) return;
    await this.db
      .updateTable("servers")
      .set({ pending_host_key: e.details.presented })
      .where("id", "=", serverId)
      .execute();
    await this.forget(serverId);
  }

  /** Drops a pooled connection (after its settings or pinned key changed). */
  async forget(serverId: number): Promise<void> {
    const c = this.#pool.get(serverId);
    this.#pool.delete(serverId);
    await c?.close().catch(() => {});
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.#pool.keys()]) await this.forget(id);
  }

  handle(row: InstanceRow, server: ServerRow): InstanceHandle {
    return {
      id: row.id,
      name: row.name,
      production: !!row.production,
      serverId: row.server_id,
      serverName: server.name,
      serverKind: server.kind,
      serverHost: server.kind === "ssh" ? server.host : null,
      confPath: row.conf_path,
      service: row.service,
      container: row.container,
      publicUrl: row.public_url,
      dbName: row.db_name,
      connection: () => this.connection(row.server_id),
      odoo: () => this.odoo(row),
    };
  }

  async odoo(row: InstanceRow) {
    return openOdooConf(await this.connection(row.server_id), row.conf_path, row.db_name);
  }

  async list(): Promise<InstanceHandle[]> {
    const servers = new Map((await this.servers()).map((s) => [s.id, s]));
    return (await this.instanceRows()).map((r) => this.handle(r, servers.get(r.server_id)!));
  }

  async get(id: number): Promise<InstanceHandle> {
    const row = await this.instanceRow(id);
    return this.handle(row, await this.server(row.server_id));
  }
}

/** Reads a stream but stops (and says so) past `max` bytes: a wrong path to a huge file is not loaded. */
/** Reads an odoo.conf through a connection: its settings and a handle on `dbName` (else db_name). */
export async function openOdooConf(conn: Connection, confPath: string, dbName: string | null) {
  const conf = parseOdooConf(await readBounded(conn.readFile(confPath), MAX_CONF_BYTES));
  const settings = deriveInstanceSettings(conf);
  const name = dbName ?? settings.dbNames[0] ?? null;
  return { conf, settings, db: OdooDb.fromSettings(conn, settings, name ?? undefined) };
}

async function readBounded(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > max) throw tooBig(size); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
