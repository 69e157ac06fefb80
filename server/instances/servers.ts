import { AppError } from "../errors.ts";
import type { SecretsApi } from "../sdk/types.ts";
import type { ServerRow } from "./registry.ts";
import type { CoreDb } from "../db/schema.ts";
import type { ServerInput } from "./server-fields.ts";

export type { ServerInput };

/** A server as pages and API answers show it: never a secret, only whether one is set. */
export interface PublicServer {
  id: number;
  name: string;
  kind: "local" | "ssh";
  host: string | null;
  port: number | null;
  username: string | null;
  auth: "key" | "password" | null;
  hasSecret: boolean;
  hostKey: string | null;
  pendingHostKey: string | null;
  jumpServerId: number | null;
  group: string | null;
  createdAt: string;
}

export function publicServer(r: ServerRow): PublicServer {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    host: r.host,
    port: r.port,
    username: r.username,
    auth: r.auth,
    hasSecret: !!r.secret,
    hostKey: r.host_key,
    pendingHostKey: r.pending_host_key,
    jumpServerId: r.jump_server_id,
    group: r.group_name,
    createdAt: r.created_at,
  };
}

const str = (v: unknown) => (typeof v === "string" ? v.trim() : v == null ? "" : String(v).trim());
const NAME_RE = /^[\w.@ -]{1,80}$/;

interface Sealed {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

/** The columns a server form sets (the id, creation time and pinned keys are the store's). */
type ServerColumns = Omit<ServerRow, "id" | "created_at" | "host_key" | "pending_host_key">;

/** Validates input into column values; `prev` is the stored row when editing. */
function toColumns(input: ServerInput, secrets: SecretsApi, prev?: ServerRow): ServerColumns {
  const name = str(input.name ?? prev?.name);
  if (!NAME_RE.test(name))
    throw new AppError(
      "E_VALIDATION",
      "A server needs a name (letters, digits, spaces, . _ - @; 80 at most)",
    );
  const kind = str(input.kind ?? prev?.kind ?? "ssh");
  if (kind !== "local" && kind !== "ssh")
    throw new AppError("E_VALIDATION", `Unknown server kind "${kind}"`, { hint: "Use local or ssh" });
  const group = str(input.group ?? prev?.group_name) || null;
  if (kind === "local")
    return {
      name,
      kind,
      host: null,
      port: null,
      username: null,
      auth: null,
      secret: null,
      jump_server_id: null,
      group_name: group,
    };
  const host = str(input.host ?? prev?.host);
  if (!host || /\s/.test(host) || host.startsWith("-"))
    throw new AppError("E_VALIDATION", "An SSH server needs a host name or address", {
      hint: "e.g. erp.example.com or 10.0.0.5",
    });
  const port = Number(str(input.port ?? prev?.port) || 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new AppError("E_VALIDATION", "The SSH port must be a number between 1 and 65535");
  const username = str(input.username ?? prev?.username);
  if (!username || !/^[\w.-]+$/.test(username))
    throw new AppError("E_VALIDATION", "An SSH server needs a user name (letters, digits, . _ -)");
  const old: Sealed = prev?.secret ? JSON.parse(secrets.decrypt(prev.secret)) : {};
  // Blank fields keep what is stored: the form never shows secrets back, so it cannot resend them.
  const pick = (v: string | undefined, o: string | undefined) => (v?.trim() ? v : o);
  const privateKey = pick(input.privateKey?.replace(/\r\n/g, "\n"), old.privateKey);
  const sealed: Sealed = {
    privateKey: privateKey ? `${privateKey.trim()}\n` : undefined,
    passphrase: pick(input.passphrase, old.passphrase),
    password: pick(input.password, old.password),
  };
  if (!sealed.privateKey && !sealed.password)
    throw new AppError("E_VALIDATION", "An SSH server needs a private key or a password", {
      hint: "Paste the private key (with its BEGIN/END lines) or type the password",
    });
  // Left out keeps the stored jump server; null or blank (the form's "none (direct)") clears it.
  const jumpRaw = str(input.jumpServerId === undefined ? prev?.jump_server_id : input.jumpServerId);
  const jump = jumpRaw ? Number(jumpRaw) : null;
  if (jump != null && (!Number.isInteger(jump) || jump === prev?.id))
    throw new AppError("E_VALIDATION", "The jump server must be another SSH server");
  return {
    name,
    kind,
    host,
    port,
    username,
    auth: sealed.privateKey ? "key" : "password",
    secret: secrets.encrypt(JSON.stringify(sealed)),
    jump_server_id: jump,
    group_name: group,
  };
}

async function checkJump(db: CoreDb, jumpId: number | null): Promise<void> {
  if (jumpId == null) return;
  const j = await db
    .selectFrom("servers")
    .select(["kind", "jump_server_id"])
    .where("id", "=", jumpId)
    .executeTakeFirst();
  if (j?.kind !== "ssh" || j.jump_server_id != null)
    throw new AppError("E_VALIDATION", "The jump server must be an SSH server that is reached directly");
}

const unique = (e: unknown, name: string) =>
  /UNIQUE/i.test(String((e as Error)?.message))
    ? new AppError("E_CONFLICT", `A server named "${name}" already exists`, { hint: "Pick another name" })
    : e;

export async function createServer(db: CoreDb, secrets: SecretsApi, input: ServerInput): Promise<ServerRow> {
  const cols = toColumns(input, secrets);
  await checkJump(db, cols.jump_server_id);
  try {
    return await db
      .insertInto("servers")
      .values({ ...cols, created_at: new Date().toISOString() })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (e) {
    throw unique(e, cols.name);
  }
}

/** Saves changes; a new host, port or user forgets the pinned key (it belongs to the old endpoint). */
export async function updateServer(
  db: CoreDb,
  secrets: SecretsApi,
  prev: ServerRow,
  input: ServerInput,
): Promise<ServerRow> {
  const cols = toColumns(input, secrets, prev);
  await checkJump(db, cols.jump_server_id);
  const moved = cols.host !== prev.host || cols.port !== prev.port || cols.kind !== prev.kind;
  try {
    return await db
      .updateTable("servers")
      .set({ ...cols, ...(moved ? { host_key: null, pending_host_key: null } : {}) })
      .where("id", "=", prev.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (e) {
    throw unique(e, cols.name);
  }
}

export async function deleteServer(db: CoreDb, id: number): Promise<void> {
  const used = await db.selectFrom("instances").select("name").where("server_id", "=", id).execute();
  if (used.length)
    throw new AppError(
      "E_CONFLICT",
      `The server still has ${used.length} instance(s): ${used.map((u) => u.name).join(", ")}`,
      {
        hint: "Remove its instances first",
      },
    );
  const jumpers = await db.selectFrom("servers").select("name").where("jump_server_id", "=", id).execute();
  if (jumpers.length)
    throw new AppError(
      "E_CONFLICT",
      `Other servers use it as their jump host: ${jumpers.map((j) => j.name).join(", ")}`,
    );
  await db.deleteFrom("servers").where("id", "=", id).execute();
}

/** Trusts the key a server presented after a mismatch: pending_host_key becomes host_key. */
export async function acceptHostKey(db: CoreDb, row: ServerRow): Promise<string> {
  if (!row.pending_host_key)
    throw new AppError("E_VALIDATION", "There is no new host key waiting to be accepted", {
      hint: "Run “Test connection” first: a changed key is recorded then",
    });
  await db
    .updateTable("servers")
    .set({ host_key: row.pending_host_key, pending_host_key: null })
    .where("id", "=", row.id)
    .execute();
  return row.pending_host_key;
}
