/** deploy_hooks: the URL token kept as a keyed hash, the HMAC secret sealed; neither shown again. */
import { randomBytes } from "node:crypto";
import type { Kysely, SecretsApi } from "../../../server/sdk/index.ts";

export interface Hook {
  id: number;
  instanceId: number;
  repo: string;
  branch: string;
  createdBy: string;
  createdAt: string;
}

const PURPOSE = "deploy-hook-token";

export class HookStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly secrets: SecretsApi,
  ) {}

  /** Returns the token for the URL: shown once, then only its hash is kept. */
  async create(h: Omit<Hook, "id" | "createdAt">, secret: string): Promise<{ id: number; token: string }> {
    const token = randomBytes(24).toString("base64url");
    const row = await this.db
      .insertInto("deploy_hooks")
      .values({
        instance_id: h.instanceId,
        repo: h.repo,
        branch: h.branch,
        token_hash: this.secrets.keyedHash(PURPOSE, token),
        secret_sealed: this.secrets.encrypt(secret),
        created_by: h.createdBy,
        created_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { id: row.id, token };
  }

  /** The hook a URL token opens, with its secret (for the HMAC check only). */
  async byToken(token: string): Promise<(Hook & { secret: string }) | null> {
    const r = await this.db
      .selectFrom("deploy_hooks")
      .selectAll()
      .where("token_hash", "=", this.secrets.keyedHash(PURPOSE, token))
      .executeTakeFirst();
    return r ? { ...toHook(r), secret: this.secrets.decrypt(r.secret_sealed) } : null;
  }

  async list(instanceId: number): Promise<Hook[]> {
    const rows = await this.db
      .selectFrom("deploy_hooks")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("id")
      .execute();
    return rows.map(toHook);
  }

  async remove(instanceId: number, id: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom("deploy_hooks")
      .where("id", "=", id)
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

const toHook = (r: any): Hook => ({
  id: r.id,
  instanceId: r.instance_id,
  repo: r.repo,
  branch: r.branch,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
