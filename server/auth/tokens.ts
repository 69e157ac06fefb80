import { createHash, randomBytes } from "node:crypto";
import { AppError } from "../errors.ts";
import type { Role } from "../sdk/types.ts";
import { isRole, roleAtLeast } from "./roles.ts";
import type { CoreDb } from "../db/schema.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Creates an API token. The plain value is returned once and never stored. */
export async function createToken(
  db: CoreDb,
  owner: { id: number; role: Role | "none" },
  input: {
    name: string;
    role: Role;
    /** Only these instances (ids); absent or empty: every instance the owner's role reaches. */
    instances?: number[] | null;
    /** MCP tool presets (tags), e.g. ["read", "backup"]; absent: all tools. */
    tools?: string[] | null;
    /** False: destructive operations are refused on every surface. Default true. */
    allowDestructive?: boolean;
  },
): Promise<{ id: number; token: string }> {
  const name = String(input.name ?? "").trim();
  if (!name || name.length > 80)
    throw new AppError("E_VALIDATION", "The token needs a name (80 characters at most)");
  if (!isRole(input.role)) throw new AppError("E_VALIDATION", `Unknown role "${input.role}"`);
  if (!roleAtLeast(owner.role, input.role))
    throw new AppError("E_FORBIDDEN", "A token cannot have more rights than its owner", {
      hint: `Your role is ${owner.role}`,
    });
  const scope = tokenScope(input);
  const prefix = randomBytes(4).toString("hex");
  const token = `odk_${prefix}_${randomBytes(24).toString("base64url")}`;
  const row = await db
    .insertInto("api_tokens")
    .values({
      user_id: owner.id,
      name,
      prefix,
      token_hash: sha256(token),
      role: input.role,
      created_at: new Date().toISOString(),
      ...scope,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

export async function resolveToken(db: CoreDb, token: string) {
  const row = await db
    .selectFrom("api_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select([
      "t.id",
      "t.role",
      "t.revoked_at",
      "t.last_used_at",
      "t.instances",
      "t.tools",
      "t.allow_destructive",
      "u.id as user_id",
      "u.username",
      "u.role as user_role",
      "u.disabled",
    ])
    .where("t.token_hash", "=", sha256(token))
    .executeTakeFirst();
  if (!row || row.revoked_at || row.disabled) return null;
  if (!row.last_used_at || Date.now() - Date.parse(row.last_used_at) > 60_000)
    await db
      .updateTable("api_tokens")
      .set({ last_used_at: new Date().toISOString() })
      .where("id", "=", row.id)
      .execute();
  // A token never exceeds its owner's current role, even if the owner was demoted later.
  const role: Role | "none" = roleAtLeast(row.user_role, row.role) ? row.role : row.user_role;
  return {
    tokenId: row.id as number,
    userId: row.user_id as number,
    username: row.username as string,
    role,
    instances: row.instances ? (JSON.parse(row.instances) as number[]) : null,
    tools: row.tools ? (JSON.parse(row.tools) as string[]) : null,
    allowDestructive: row.allow_destructive !== 0,
  };
}

/** The stored form of a token's limits; bad values are E_VALIDATION, not a token wider than asked. */
function tokenScope(input: { instances?: unknown; tools?: unknown; allowDestructive?: unknown }) {
  const list = (v: unknown, ok: (x: unknown) => boolean, what: string) => {
    if (v == null || (Array.isArray(v) && v.length === 0)) return null;
    if (!Array.isArray(v) || !v.every(ok)) throw new AppError("E_VALIDATION", `${what} must be a list`);
    return JSON.stringify(v);
  };
  if (input.allowDestructive != null && typeof input.allowDestructive !== "boolean")
    throw new AppError("E_VALIDATION", "allowDestructive must be true or false");
  return {
    instances: list(input.instances, (x) => Number.isInteger(x) && (x as number) > 0, "instances (ids)"),
    tools: list(input.tools, (x) => typeof x === "string" && /^[a-z0-9-]+$/.test(x), "tools (tags)"),
    allow_destructive: input.allowDestructive === false ? 0 : 1,
  };
}

export async function listTokens(db: CoreDb, userId?: number) {
  let q = db
    .selectFrom("api_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select([
      "t.id",
      "t.name",
      "t.prefix",
      "t.role",
      "t.created_at",
      "t.last_used_at",
      "t.revoked_at",
      "t.instances",
      "t.tools",
      "t.allow_destructive",
      "u.username",
    ])
    .orderBy("t.id", "desc");
  if (userId !== undefined) q = q.where("t.user_id", "=", userId);
  return q.execute();
}

export async function revokeToken(
  db: CoreDb,
  id: number,
  byUser: { id: number; role: Role | "none" },
): Promise<void> {
  const row = await db
    .selectFrom("api_tokens")
    .select(["user_id", "revoked_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new AppError("E_NOT_FOUND", `No token with id ${id}`);
  if (row.user_id !== byUser.id && byUser.role !== "admin")
    throw new AppError("E_FORBIDDEN", "Only an admin can revoke another user's token");
  if (!row.revoked_at)
    await db
      .updateTable("api_tokens")
      .set({ revoked_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
}
