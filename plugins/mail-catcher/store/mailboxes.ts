/** Mailboxes: one per neutralized database, each with SMTP credentials of its own. */
import { randomBytes } from "node:crypto";
import type { Kysely, SecretsApi } from "../../../server/sdk/index.ts";

export interface Mailbox {
  id: number;
  label: string;
  instanceId: number | null;
  dbName: string | null;
  smtpUser: string;
  retainCount: number | null;
  retainMb: number | null;
  retainDays: number | null;
  chaosRate: number;
  chaosCode: number;
  createdAt: string;
}

const T = "mail_catcher_mailboxes";

function toMailbox(r: any): Mailbox {
  return {
    id: r.id,
    label: r.label,
    instanceId: r.instance_id,
    dbName: r.db_name,
    smtpUser: r.smtp_user,
    retainCount: r.retain_count,
    retainMb: r.retain_mb,
    retainDays: r.retain_days,
    chaosRate: r.chaos_rate,
    chaosCode: r.chaos_code,
    createdAt: r.created_at,
  };
}

export class Mailboxes {
  /** smtp_user → mailbox, so AUTH and delivery do not query the store per message. */
  #byUser = new Map<string, Mailbox>();

  constructor(
    private readonly db: Kysely<any>,
    private readonly secrets: SecretsApi,
  ) {}

  async load(): Promise<void> {
    this.#byUser.clear();
    for (const r of await this.db.selectFrom(T).selectAll().execute())
      this.#byUser.set(r.smtp_user, toMailbox(r));
  }

  list(): Mailbox[] {
    return [...this.#byUser.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): Mailbox | null {
    return this.list().find((m) => m.id === id) ?? null;
  }

  byUser(user: string): Mailbox | null {
    return this.#byUser.get(user) ?? null;
  }

  find(instanceId: number | null, dbName: string): Mailbox | null {
    return this.list().find((m) => m.instanceId === instanceId && m.dbName === dbName) ?? null;
  }

  password(m: Mailbox): Promise<string> {
    return this.db
      .selectFrom(T)
      .select("password_enc")
      .where("id", "=", m.id)
      .executeTakeFirstOrThrow()
      .then((r) => this.secrets.decrypt(r.password_enc));
  }

  /** Constant-time check of a password against the stored (encrypted) one. */
  async checkPassword(m: Mailbox, given: string): Promise<boolean> {
    const want = this.secrets.keyedHash("mail-catcher-smtp", await this.password(m));
    return want === this.secrets.keyedHash("mail-catcher-smtp", given);
  }

  /** The mailbox of a database, made with fresh random credentials the first time. */
  async ensure(instanceId: number | null, dbName: string, label?: string): Promise<Mailbox> {
    const found = this.find(instanceId, dbName);
    if (found) return found;
    const user = `mb-${randomBytes(6).toString("hex")}`;
    const password = randomBytes(18).toString("base64url");
    const r = await this.db
      .insertInto(T)
      .values({
        label: label ?? dbName,
        instance_id: instanceId,
        db_name: dbName,
        smtp_user: user,
        password_enc: this.secrets.encrypt(password),
        created_at: new Date().toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const m = toMailbox(r);
    this.#byUser.set(user, m);
    return m;
  }

  async update(
    id: number,
    patch: Partial<Pick<Mailbox, "retainCount" | "retainMb" | "retainDays" | "chaosRate" | "chaosCode">>,
  ): Promise<Mailbox> {
    const cols: Record<string, unknown> = {};
    if ("retainCount" in patch) cols.retain_count = patch.retainCount;
    if ("retainMb" in patch) cols.retain_mb = patch.retainMb;
    if ("retainDays" in patch) cols.retain_days = patch.retainDays;
    if ("chaosRate" in patch) cols.chaos_rate = patch.chaosRate;
    if ("chaosCode" in patch) cols.chaos_code = patch.chaosCode;
    const r = await this.db
      .updateTable(T)
      .set(cols)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const m = toMailbox(r);
    this.#byUser.set(m.smtpUser, m);
    return m;
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom(T).where("id", "=", id).execute();
    for (const [u, m] of this.#byUser) if (m.id === id) this.#byUser.delete(u);
  }
}
