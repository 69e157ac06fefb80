import { AppError } from "../errors.ts";
import type { Role } from "../sdk/types.ts";
import { checkPasswordPolicy, hashPassword } from "./passwords.ts";
import { isRole } from "./roles.ts";
import type { CoreDb } from "../db/schema.ts";

export interface UserRow {
  id: number;
  username: string;
  role: Role | "none";
  created_at: string;
  password_changed_at: string;
  disabled: number;
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/i;

export async function createUser(
  db: CoreDb,
  input: { username: string; password: string; role: Role },
): Promise<UserRow> {
  const username = String(input.username ?? "").trim();
  if (!USERNAME.test(username))
    throw new AppError("E_VALIDATION", "The username must be 2-64 letters, digits or . _ @ -", {
      hint: "e.g. alice or alice@example.com",
    });
  if (!isRole(input.role))
    throw new AppError("E_VALIDATION", `Unknown role "${input.role}"`, {
      hint: "Use admin, operator or viewer",
    });
  checkPasswordPolicy(input.password, username);
  const existing = await db
    .selectFrom("users")
    .select("id")
    .where("username", "=", username)
    .executeTakeFirst();
  if (existing) throw new AppError("E_CONFLICT", `A user named "${username}" already exists`);
  const now = new Date().toISOString();
  const row = await db
    .insertInto("users")
    .values({
      username,
      password_hash: await hashPassword(input.password),
      role: input.role,
      created_at: now,
      password_changed_at: now,
    })
    .returning(["id", "username", "role", "created_at", "password_changed_at", "disabled"])
    .executeTakeFirstOrThrow();
  return row;
}

export async function setPassword(db: CoreDb, userId: number, password: string): Promise<void> {
  const user = await getUser(db, userId);
  checkPasswordPolicy(password, user.username);
  await db
    .updateTable("users")
    .set({ password_hash: await hashPassword(password), password_changed_at: new Date().toISOString() })
    .where("id", "=", userId)
    .execute();
  // A password change signs the user out everywhere else.
  await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
}

export async function getUser(db: CoreDb, id: number): Promise<UserRow> {
  const row = await db
    .selectFrom("users")
    .select(["id", "username", "role", "created_at", "password_changed_at", "disabled"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new AppError("E_NOT_FOUND", `No user with id ${id}`);
  return row;
}

export async function findUserByName(
  db: CoreDb,
  username: string,
): Promise<(UserRow & { password_hash: string }) | undefined> {
  return await db.selectFrom("users").selectAll().where("username", "=", username.trim()).executeTakeFirst();
}

export async function listUsers(db: CoreDb): Promise<UserRow[]> {
  return await db
    .selectFrom("users")
    .select(["id", "username", "role", "created_at", "password_changed_at", "disabled"])
    .orderBy("username")
    .execute();
}

export async function countAdmins(db: CoreDb): Promise<number> {
  const r = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", "admin")
    .where("disabled", "=", 0)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateUser(
  db: CoreDb,
  id: number,
  patch: { role?: Role; disabled?: boolean },
): Promise<void> {
  const user = await getUser(db, id);
  if (patch.role !== undefined && !isRole(patch.role))
    throw new AppError("E_VALIDATION", `Unknown role "${patch.role}"`);
  const losesAdmin =
    user.role === "admin" && !user.disabled && ((patch.role && patch.role !== "admin") || patch.disabled);
  if (losesAdmin && (await countAdmins(db)) <= 1)
    throw new AppError("E_CONFLICT", "This is the last active admin", {
      hint: "Make another user admin first",
    });
  await db
    .updateTable("users")
    .set({
      ...(patch.role ? { role: patch.role } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
    })
    .where("id", "=", id)
    .execute();
  if (patch.disabled) await db.deleteFrom("sessions").where("user_id", "=", id).execute();
}
