import { AppError, type SecretsApi } from "odoodeck/sdk";
import type { NotificationsStore } from "./tables.ts";

export type ChannelKind = "email" | "webhook" | "slack";
export const CHANNEL_KINDS: ChannelKind[] = ["webhook", "slack", "email"];

/** Everything a channel needs to deliver; sealed at rest because URLs and SMTP logins are secrets. */
export interface ChannelConfig {
  url?: string;
  /** HMAC-SHA256 key of a generic webhook. */
  secret?: string;
  smtpHost?: string;
  smtpPort?: number;
  smtpSecure?: boolean;
  smtpUser?: string;
  smtpPassword?: string;
  from?: string;
  to?: string;
}

export interface Channel {
  id: number;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  config: ChannelConfig;
}

/** What a page shows of a channel: where it goes, never the credentials. */
export function describeChannel(ch: Channel): string {
  if (ch.kind === "email") return `${ch.config.to} via ${ch.config.smtpHost}:${ch.config.smtpPort}`;
  try {
    return `${new URL(ch.config.url ?? "").host}${ch.kind === "webhook" && ch.config.secret ? " (signed)" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

const s = (v: unknown) => (v == null ? "" : String(v).trim());

export function validateChannel(kind: string, f: Record<string, unknown>): ChannelConfig {
  if (kind === "webhook" || kind === "slack") {
    const url = s(f.url);
    if (!/^https?:\/\/\S+$/.test(url))
      throw new AppError("E_VALIDATION", "The webhook URL must start with http:// or https://");
    return { url, secret: kind === "webhook" ? s(f.secret) || undefined : undefined };
  }
  if (kind === "email") {
    const port = Number(s(f.smtpPort) || 587);
    const cfg: ChannelConfig = {
      smtpHost: s(f.smtpHost),
      smtpPort: port,
      smtpSecure: s(f.smtpSecure) === "on" || s(f.smtpSecure) === "true" || port === 465,
      smtpUser: s(f.smtpUser) || undefined,
      smtpPassword: s(f.smtpPassword) || undefined,
      from: s(f.from),
      to: s(f.to),
    };
    if (!cfg.smtpHost) throw new AppError("E_VALIDATION", "An email channel needs an SMTP host");
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new AppError("E_VALIDATION", "The SMTP port is not valid");
    if (!/@/.test(cfg.from ?? "") || !/@/.test(cfg.to ?? ""))
      throw new AppError("E_VALIDATION", "An email channel needs a sender and recipient address");
    return cfg;
  }
  throw new AppError("E_VALIDATION", `Unknown channel kind "${kind}"`, { hint: CHANNEL_KINDS.join(", ") });
}

export async function createChannel(
  db: NotificationsStore,
  secrets: SecretsApi,
  f: Record<string, unknown>,
): Promise<number> {
  const name = s(f.name);
  if (!/^[\w .@-]{1,80}$/.test(name)) throw new AppError("E_VALIDATION", "A channel needs a name");
  const kind = s(f.kind) as ChannelKind; // validateChannel refuses any other
  const config = validateChannel(kind, f);
  try {
    const row = await db
      .insertInto("notifications_channels")
      .values({
        name,
        kind,
        config: secrets.encrypt(JSON.stringify(config)),
        enabled: 1,
        created_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  } catch (e) {
    if (/UNIQUE/.test(String(e)))
      throw new AppError("E_CONFLICT", `A channel named "${name}" already exists`);
    throw e;
  }
}

export async function listChannels(db: NotificationsStore, secrets: SecretsApi): Promise<Channel[]> {
  const rows = await db.selectFrom("notifications_channels").selectAll().orderBy("name").execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    enabled: !!r.enabled,
    config: JSON.parse(secrets.decrypt(r.config)),
  }));
}

export async function deleteChannel(db: NotificationsStore, id: number): Promise<void> {
  await db.deleteFrom("notifications_rules").where("channel_id", "=", id).execute();
  await db.deleteFrom("notifications_channels").where("id", "=", id).execute();
}

export interface Rule {
  id: number;
  event: string;
  status: string | null;
  channel_id: number;
}

export async function createRule(db: NotificationsStore, f: Record<string, unknown>): Promise<void> {
  const event = s(f.event);
  if (!/^[a-z][\w-]*(\.[\w-]+)+$/.test(event))
    throw new AppError("E_VALIDATION", "The event name looks like operation.finished or backup.overdue");
  const channel = Number(f.channelId);
  if (
    !(await db.selectFrom("notifications_channels").select("id").where("id", "=", channel).executeTakeFirst())
  )
    throw new AppError("E_VALIDATION", "Pick a channel");
  await db
    .insertInto("notifications_rules")
    .values({ event, status: s(f.status) || null, channel_id: channel, created_at: new Date().toISOString() })
    .execute();
}

export async function listRules(db: NotificationsStore): Promise<Rule[]> {
  return (await db.selectFrom("notifications_rules").selectAll().orderBy("event").execute()) as Rule[];
}
