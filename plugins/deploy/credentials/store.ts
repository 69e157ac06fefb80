/** deploy_credentials: one per instance repository; the private half sealed, never read back out. */
import type { Kysely, SecretsApi } from "../../../server/sdk/index.ts";

export type CredentialKind = "ssh-key" | "token";

/** What pages and operations may show: no secret in it. */
export interface Credential {
  id: number;
  instanceId: number;
  repo: string;
  kind: CredentialKind;
  /** The SSH public key to paste into GitHub / GitLab / Gitea as a deploy key. */
  publicKey: string | null;
  /** The HTTPS user name sent with a token. */
  username: string | null;
  createdBy: string;
  createdAt: string;
}

/** For the fetch only: the unsealed private key or token, and the pinned host keys. */
export interface CredentialSecret extends Credential {
  secret: string;
  knownHosts: string | null;
}

export class CredentialStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly secrets: SecretsApi,
  ) {}

  /** Replaces the repository's credential (a new key or token supersedes the old one). */
  async put(c: Omit<Credential, "id" | "createdAt">, secret: string): Promise<Credential> {
    const createdAt = new Date().toISOString();
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom("deploy_credentials")
        .where("instance_id", "=", c.instanceId)
        .where("repo", "=", c.repo)
        .execute();
      await tx
        .insertInto("deploy_credentials")
        .values({
          instance_id: c.instanceId,
          repo: c.repo,
          kind: c.kind,
          public_key: c.publicKey,
          username: c.username,
          secret_sealed: this.secrets.encrypt(secret),
          created_by: c.createdBy,
          created_at: createdAt,
        })
        .execute();
    });
    return (await this.get(c.instanceId, c.repo))!;
  }

  async get(instanceId: number, repo: string): Promise<Credential | null> {
    const r = await this.row(instanceId, repo);
    return r ? toCredential(r) : null;
  }

  async unsealed(instanceId: number, repo: string): Promise<CredentialSecret | null> {
    const r = await this.row(instanceId, repo);
    return r
      ? { ...toCredential(r), secret: this.secrets.decrypt(r.secret_sealed), knownHosts: r.known_hosts }
      : null;
  }

  async list(instanceId: number): Promise<Credential[]> {
    const rows = await this.db
      .selectFrom("deploy_credentials")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("repo")
      .execute();
    return rows.map(toCredential);
  }

  async pinHosts(id: number, knownHosts: string): Promise<void> {
    await this.db
      .updateTable("deploy_credentials")
      .set({ known_hosts: knownHosts })
      .where("id", "=", id)
      .execute();
  }

  async remove(instanceId: number, repo: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom("deploy_credentials")
      .where("instance_id", "=", instanceId)
      .where("repo", "=", repo)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private row(instanceId: number, repo: string) {
    return this.db
      .selectFrom("deploy_credentials")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("repo", "=", repo)
      .executeTakeFirst();
  }
}

const toCredential = (r: any): Credential => ({
  id: r.id,
  instanceId: r.instance_id,
  repo: r.repo,
  kind: r.kind,
  publicKey: r.public_key,
  username: r.username,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
