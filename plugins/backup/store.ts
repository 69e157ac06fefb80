/** Backup records (`backup_backups`): one row per attempt, with each destination's own status. */
import type { Kysely } from "../../server/sdk/index.ts";
import { processOwner } from "../../server/sdk/index.ts";
import type { BackupFormat, BackupManifest, BackupScope } from "./archive/format.ts";

/** `interrupted`: odoodeck stopped while it was running (set at the next start). */
export type BackupStatus = "running" | "ok" | "failed" | "cancelled" | "interrupted";

export interface DestinationState {
  id: string;
  label: string;
  status: "pending" | "writing" | "ok" | "failed";
  /** Where the backup lives there (path or s3:// URL). */
  path: string;
  error?: string;
  verifiedAt?: string;
  verify?: "verified" | "corrupt" | "missing";
  verifyError?: string;
}

export interface BackupRecord {
  id: number;
  instanceId: number;
  name: string;
  scope: BackupScope;
  format: BackupFormat;
  createdAt: string;
  finishedAt: string | null;
  bytes: number;
  status: BackupStatus;
  error: string | null;
  operationId: string | null;
  manifest: BackupManifest | null;
  destinations: DestinationState[];
  /** The process taking it (server/process-owner.ts): a dead one's `running` backup was interrupted. */
  owner?: string | null;
}

const TABLE = "backup_backups";

function fromRow(r: any): BackupRecord {
  return {
    id: Number(r.id),
    instanceId: Number(r.instance_id),
    name: r.name,
    scope: r.scope,
    format: r.format,
    createdAt: r.created_at,
    finishedAt: r.finished_at ?? null,
    bytes: Number(r.bytes),
    status: r.status,
    error: r.error ?? null,
    operationId: r.operation_id ?? null,
    manifest: r.manifest ? JSON.parse(r.manifest) : null,
    destinations: JSON.parse(r.destinations || "[]"),
    owner: r.owner ?? null,
  };
}

/** A backup is verified when every destination's copy was re-read and matched. */
export function isVerified(b: BackupRecord): boolean {
  return (
    b.status === "ok" && b.destinations.length > 0 && b.destinations.every((d) => d.verify === "verified")
  );
}

export class BackupStore {
  constructor(readonly db: Kysely<any>) {}

  async insert(r: Omit<BackupRecord, "id">): Promise<number> {
    const row = await this.db
      .insertInto(TABLE)
      .values({
        instance_id: r.instanceId,
        name: r.name,
        scope: r.scope,
        format: r.format,
        created_at: r.createdAt,
        finished_at: r.finishedAt,
        bytes: r.bytes,
        status: r.status,
        error: r.error,
        operation_id: r.operationId,
        manifest: r.manifest ? JSON.stringify(r.manifest) : null,
        destinations: JSON.stringify(r.destinations),
        owner: processOwner, // the process that records a backup is the one that takes it
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async update(id: number, patch: Partial<Omit<BackupRecord, "id">>): Promise<void> {
    const set: Record<string, unknown> = {};
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    if (patch.bytes !== undefined) set.bytes = patch.bytes;
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.operationId !== undefined) set.operation_id = patch.operationId;
    if (patch.manifest !== undefined) set.manifest = patch.manifest ? JSON.stringify(patch.manifest) : null;
    if (patch.destinations !== undefined) set.destinations = JSON.stringify(patch.destinations);
    if (Object.keys(set).length) await this.db.updateTable(TABLE).set(set).where("id", "=", id).execute();
  }

  /** Records what a re-read of one copy found (a verify, or a restore's fetch that proved it bad). */
  async markCopy(
    id: number,
    destination: string,
    verify: NonNullable<DestinationState["verify"]>,
    error?: string,
  ): Promise<void> {
    const b = await this.get(id);
    if (!b) return;
    const verifiedAt = new Date().toISOString();
    const destinations = b.destinations.map((d) =>
      d.id === destination ? { ...d, verify, verifyError: error, verifiedAt } : d,
    );
    await this.update(id, { destinations });
  }

  async get(id: number): Promise<BackupRecord | null> {
    const r = await this.db.selectFrom(TABLE).selectAll().where("id", "=", id).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** The newest record of that name (names carry a timestamp: one per backup in practice). */
  async byName(name: string): Promise<BackupRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("name", "=", name)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async list(instanceId: number, limit = 200): Promise<BackupRecord[]> {
    const rows = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** Every backup still marked running, whichever process runs it. */
  async running(): Promise<BackupRecord[]> {
    const rows = await this.db.selectFrom(TABLE).selectAll().where("status", "=", "running").execute();
    return rows.map(fromRow);
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom(TABLE).where("id", "=", id).execute();
  }
}
