import { isRole } from "../auth/roles.ts";
import { AppError } from "../errors.ts";
import type { Role } from "../sdk/types.ts";
import type { InstanceRow } from "./registry.ts";
import type { CoreDb } from "../db/schema.ts";

export interface InstanceInput {
  name?: string;
  serverId?: string | number;
  confPath?: string;
  dbName?: string | null;
  service?: string | null;
  container?: string | null;
  publicUrl?: string | null;
  production?: boolean | string | null;
  group?: string | null;
  tags?: string | string[] | null;
}

export interface PublicInstance {
  id: number;
  name: string;
  serverId: number;
  confPath: string;
  dbName: string | null;
  service: string | null;
  container: string | null;
  publicUrl: string | null;
  production: boolean;
  group: string | null;
  tags: string[];
  createdAt: string;
}

export function publicInstance(r: InstanceRow): PublicInstance {
  return {
    id: r.id,
    name: r.name,
    serverId: r.server_id,
    confPath: r.conf_path,
    dbName: r.db_name,
    service: r.service,
    container: r.container,
    publicUrl: r.public_url,
    production: !!r.production,
    group: r.group_name,
    tags: JSON.parse(r.tags || "[]"),
    createdAt: r.created_at,
  };
}

const str = (v: unknown) => (v == null ? "" : String(v).trim());
const opt = (v: unknown) => str(v) || null;

function toColumns(input: InstanceInput, prev?: InstanceRow) {
  const get = <K extends keyof InstanceInput>(k: K, col: keyof InstanceRow) =>
    input[k] !== undefined ? input[k] : prev?.[col];
  const name = str(get("name", "name"));
  if (!/^[\w.@ -]{1,80}$/.test(name))
    throw new AppError(
      "E_VALIDATION",
      "An instance needs a name (letters, digits, spaces, . _ - @; 80 at most)",
    );
  const serverId = Number(get("serverId", "server_id"));
  if (!Number.isInteger(serverId) || serverId <= 0)
    throw new AppError("E_VALIDATION", "Pick the server the instance runs on");
  const confPath = str(get("confPath", "conf_path"));
  if (!confPath.startsWith("/"))
    throw new AppError("E_VALIDATION", "The odoo.conf path must be absolute", {
      hint: "e.g. /etc/odoo/odoo.conf",
    });
  const dbName = opt(get("dbName", "db_name"));
  if (dbName && !/^[\w.-]{1,63}$/.test(dbName))
    throw new AppError("E_VALIDATION", `"${dbName}" is not a valid database name`);
  const service = opt(get("service", "service"));
  if (service && !/^[\w@.:-]+$/.test(service))
    throw new AppError("E_VALIDATION", "The systemd service name is not valid");
  const container = opt(get("container", "container"));
  if (container && !/^[\w.-]+$/.test(container))
    throw new AppError("E_VALIDATION", "The container name is not valid");
  const publicUrl = opt(get("publicUrl", "public_url"));
  if (publicUrl && !/^https?:\/\/[^\s]+$/.test(publicUrl))
    throw new AppError("E_VALIDATION", "The public URL must start with http:// or https://");
  const prodRaw = input.production !== undefined ? input.production : !!prev?.production;
  const production = prodRaw === true || prodRaw === "1" || prodRaw === "on" || prodRaw === "true";
  const rawTags = input.tags !== undefined ? input.tags : prev ? JSON.parse(prev.tags) : [];
  const tags = (Array.isArray(rawTags) ? rawTags : String(rawTags ?? "").split(","))
    .map((t: string) => t.trim())
    .filter(Boolean);
  return {
    name,
    server_id: serverId,
    conf_path: confPath,
    db_name: dbName,
    service,
    container,
    public_url: publicUrl,
    production: production ? 1 : 0,
    group_name: opt(get("group", "group_name")),
    tags: JSON.stringify([...new Set(tags)]),
  };
}

async function checkServer(db: CoreDb, id: number) {
  if (!(await db.selectFrom("servers").select("id").where("id", "=", id).executeTakeFirst()))
    throw new AppError("E_VALIDATION", `No server with id ${id}`, {
      hint: "Add the server first on the Servers page",
    });
}

const unique = (e: unknown, name: string) =>
  /UNIQUE/i.test(String((e as Error)?.message))
    ? new AppError("E_CONFLICT", `An instance named "${name}" already exists`, { hint: "Pick another name" })
    : e;

export async function createInstance(db: CoreDb, input: InstanceInput): Promise<InstanceRow> {
  const cols = toColumns(input);
  await checkServer(db, cols.server_id);
  try {
    return await db
      .insertInto("instances")
      .values({ ...cols, created_at: new Date().toISOString() })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (e) {
    throw unique(e, cols.name);
  }
}

export async function updateInstance(
  db: CoreDb,
  prev: InstanceRow,
  input: InstanceInput,
): Promise<InstanceRow> {
  const cols = toColumns(input, prev);
  await checkServer(db, cols.server_id);
  try {
    return await db
      .updateTable("instances")
      .set(cols)
      .where("id", "=", prev.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (e) {
    throw unique(e, cols.name);
  }
}

/**
 * Forgets an instance (nothing on the server is touched). A production instance needs its name
 * typed back, so a slip of the mouse cannot remove it.
 */
export async function removeInstance(
  db: CoreDb,
  row: InstanceRow,
  confirm: string | undefined,
): Promise<void> {
  if (row.production && (confirm ?? "").trim() !== row.name)
    throw new AppError(
      "E_CONFIRMATION",
      `Type the instance name “${row.name}” to remove this production instance`,
      {
        hint: "Production instances need their name typed back before removal",
      },
    );
  await db.deleteFrom("grants").where("instance_id", "=", row.id).execute();
  await db.deleteFrom("instances").where("id", "=", row.id).execute();
}

export interface GrantRow {
  userId: number;
  username: string;
  role: Role;
}

export async function listGrants(db: CoreDb, instanceId: number): Promise<GrantRow[]> {
  const rows = await db
    .selectFrom("grants")
    .innerJoin("users", "users.id", "grants.user_id")
    .select(["grants.user_id as userId", "users.username as username", "grants.role as role"])
    .where("grants.instance_id", "=", instanceId)
    .orderBy("users.username")
    .execute();
  return rows;
}

/** Sets (or with role "none", removes) a user's role on one instance. */
export async function setGrant(
  db: CoreDb,
  instanceId: number,
  username: string,
  role: string,
): Promise<void> {
  const user = await db
    .selectFrom("users")
    .select("id")
    .where("username", "=", username.trim())
    .executeTakeFirst();
  if (!user)
    throw new AppError("E_VALIDATION", `No user named "${username}"`, {
      hint: "Add the user on the Users page first",
    });
  await db
    .deleteFrom("grants")
    .where("instance_id", "=", instanceId)
    .where("user_id", "=", user.id)
    .execute();
  if (role === "none") return;
  if (!isRole(role))
    throw new AppError("E_VALIDATION", `Unknown role "${role}"`, { hint: "viewer, operator or admin" });
  await db.insertInto("grants").values({ user_id: user.id, instance_id: instanceId, role }).execute();
}
