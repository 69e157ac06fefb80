import { createHash, randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import type { CoreDb } from "../db/schema.ts";

export const SESSION_COOKIE = "odoodeck_session";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * The cookie carries a signed JWT holding a random session id; the store keeps only the id's hash,
 * so a leaked store cannot be replayed as cookies, and deleting the row revokes the session.
 */
export class Sessions {
  constructor(
    private readonly db: CoreDb,
    private readonly key: Uint8Array,
    private readonly ttlHours: number,
  ) {}

  async create(
    userId: number,
    meta: { ip: string | null; userAgent: string | null },
  ): Promise<{ cookie: string; csrf: string; expires: Date }> {
    const sid = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    const now = new Date();
    const expires = new Date(now.getTime() + this.ttlHours * 3600_000);
    await this.db
      .insertInto("sessions")
      .values({
        id: sha256(sid),
        user_id: userId,
        csrf,
        created_at: now.toISOString(),
        expires_at: expires.toISOString(),
        last_seen_at: now.toISOString(),
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 300) ?? null,
      })
      .execute();
    const cookie = await new SignJWT({ sid })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(this.key);
    return { cookie, csrf, expires };
  }

  /** The session row for a cookie, or a reason it is not valid. */
  async resolve(
    cookie: string,
  ): Promise<{ userId: number; csrf: string; id: string } | "expired" | "invalid"> {
    let sid: string;
    try {
      const { payload } = await jwtVerify(cookie, this.key, { algorithms: ["HS256"] });
      sid = String(payload.sid ?? "");
    } catch (e) {
      return (e as { code?: string }).code === "ERR_JWT_EXPIRED" ? "expired" : "invalid";
    }
    const id = sha256(sid);
    const row = await this.db
      .selectFrom("sessions")
      .select(["user_id", "csrf", "expires_at", "last_seen_at"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return "expired";
    if (Date.parse(row.expires_at) < Date.now()) {
      await this.db.deleteFrom("sessions").where("id", "=", id).execute();
      return "expired";
    }
    // Touch at most once a minute: the store is not written on every request.
    if (Date.now() - Date.parse(row.last_seen_at) > 60_000)
      await this.db
        .updateTable("sessions")
        .set({ last_seen_at: new Date().toISOString() })
        .where("id", "=", id)
        .execute();
    return { userId: row.user_id, csrf: row.csrf, id };
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id", "=", id).execute();
  }

  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom("sessions").where("expires_at", "<", new Date().toISOString()).execute();
  }
}
