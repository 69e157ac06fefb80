/** The previews' and templates' records (tables previews_*). */
import type { Kysely } from "../../server/sdk/index.ts";

export type PreviewStatus = "creating" | "running" | "stopped" | "failed" | "destroying";

export interface TemplateRecord {
  id: number;
  instanceId: number;
  name: string;
  dbName: string;
  filestore: string;
  /** The addons repository (a git checkout on the server) its previews check branches out of. */
  repo: string | null;
  status: "creating" | "ready" | "failed";
  report: unknown;
  error: string | null;
  seconds: number | null;
  refreshedAt: string | null;
}

export interface SmokeResult {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export interface PreviewRecord {
  id: number;
  instanceId: number;
  templateId: number;
  name: string;
  owner: string;
  repo: string;
  branch: string;
  commitSha: string | null;
  dbName: string;
  workDir: string;
  status: PreviewStatus;
  port: number | null;
  smoke: SmokeResult | null;
  /** Module → git tree hash installed: "update" upgrades only those whose hash changed. */
  modules: Record<string, string> | null;
  /** Promoted to staging: no expiry, never stopped to make room. */
  promoted: boolean;
  failedStep: string | null;
  error: string | null;
  operationId: string | null;
  /** Where a webhook created it: { provider, repo, number, sha } for the status call. */
  source: Record<string, unknown> | null;
  expiresAt: string;
  lastUsedAt: string;
  createdAt: string;
}

const json = (v: string | null) => (v ? JSON.parse(v) : null);

function toTemplate(r: any): TemplateRecord {
  return {
    id: Number(r.id),
    instanceId: Number(r.instance_id),
    name: r.name,
    dbName: r.db_name,
    filestore: r.filestore,
    repo: r.repo,
    status: r.status,
    report: json(r.report),
    error: r.error,
    seconds: r.seconds,
    refreshedAt: r.refreshed_at,
  };
}

function toPreview(r: any): PreviewRecord {
  return {
    id: Number(r.id),
    instanceId: Number(r.instance_id),
    templateId: Number(r.template_id),
    name: r.name,
    owner: r.owner,
    repo: r.repo,
    branch: r.branch,
    commitSha: r.commit_sha,
    dbName: r.db_name,
    workDir: r.work_dir,
    status: r.status,
    port: r.port,
    smoke: json(r.smoke),
    modules: json(r.modules),
    promoted: !!r.promoted,
    failedStep: r.failed_step,
    error: r.error,
    operationId: r.operation_id,
    source: json(r.source),
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    createdAt: r.created_at,
  };
}

const COLUMNS: Record<string, string> = {
  status: "status",
  report: "report",
  error: "error",
  seconds: "seconds",
  refreshedAt: "refreshed_at",
  commitSha: "commit_sha",
  port: "port",
  smoke: "smoke",
  failedStep: "failed_step",
  operationId: "operation_id",
  expiresAt: "expires_at",
  lastUsedAt: "last_used_at",
};

function columns(patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch))
    out[COLUMNS[k] ?? k] =
      typeof v === "boolean" ? Number(v) : v !== null && typeof v === "object" ? JSON.stringify(v) : v;
  return out;
}

export class PreviewStore {
  constructor(private readonly db: Kysely<any>) {}

  async templates(instanceId?: number): Promise<TemplateRecord[]> {
    let q = this.db.selectFrom("previews_templates").selectAll().orderBy("name");
    if (instanceId != null) q = q.where("instance_id", "=", instanceId);
    return (await q.execute()).map(toTemplate);
  }

  async template(name: string): Promise<TemplateRecord | null> {
    const r = await this.db
      .selectFrom("previews_templates")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return r ? toTemplate(r) : null;
  }

  async templateById(id: number): Promise<TemplateRecord | null> {
    const r = await this.db
      .selectFrom("previews_templates")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return r ? toTemplate(r) : null;
  }

  async upsertTemplate(t: {
    instanceId: number;
    name: string;
    dbName: string;
    filestore: string;
    repo: string | null;
  }) {
    const now = new Date().toISOString();
    await this.db
      .insertInto("previews_templates")
      .values({
        instance_id: t.instanceId,
        name: t.name,
        db_name: t.dbName,
        filestore: t.filestore,
        repo: t.repo,
        status: "creating",
        created_at: now,
      })
      .onConflict((oc) => oc.column("name").doUpdateSet({ status: "creating", error: null, repo: t.repo }))
      .execute();
    return (await this.template(t.name))!;
  }

  async updateTemplate(id: number, patch: Partial<TemplateRecord>): Promise<void> {
    await this.db.updateTable("previews_templates").set(columns(patch)).where("id", "=", id).execute();
  }

  async list(): Promise<PreviewRecord[]> {
    return (
      await this.db.selectFrom("previews_previews").selectAll().orderBy("created_at", "desc").execute()
    ).map(toPreview);
  }

  async get(name: string): Promise<PreviewRecord | null> {
    const r = await this.db
      .selectFrom("previews_previews")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    return r ? toPreview(r) : null;
  }

  async insert(
    p: Omit<
      PreviewRecord,
      | "id"
      | "createdAt"
      | "port"
      | "smoke"
      | "modules"
      | "promoted"
      | "failedStep"
      | "error"
      | "operationId"
      | "commitSha"
      | "status"
    >,
  ) {
    await this.db
      .insertInto("previews_previews")
      .values({
        instance_id: p.instanceId,
        template_id: p.templateId,
        name: p.name,
        owner: p.owner,
        repo: p.repo,
        branch: p.branch,
        db_name: p.dbName,
        work_dir: p.workDir,
        status: "creating",
        source: p.source ? JSON.stringify(p.source) : null,
        expires_at: p.expiresAt,
        last_used_at: p.lastUsedAt,
        created_at: new Date().toISOString(),
      })
      .execute();
    return (await this.get(p.name))!;
  }

  async update(name: string, patch: Partial<PreviewRecord>): Promise<void> {
    await this.db.updateTable("previews_previews").set(columns(patch)).where("name", "=", name).execute();
  }

  async remove(name: string): Promise<void> {
    await this.db.deleteFrom("previews_previews").where("name", "=", name).execute();
  }
}
