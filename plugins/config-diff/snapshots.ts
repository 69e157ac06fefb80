import type { PluginContext } from "odoodeck/sdk";
import { type DiffEntry, diffMaps } from "./diff.ts";
import type { InstanceConfig } from "./read-instance.ts";
import { isSecret, secretDigest } from "./secrets.ts";

/** What a snapshot stores: plain values, except secrets, which are salted SHA-256 digests. */
export interface SnapshotData {
  conf: Record<string, string | null>;
  params: Record<string, string | null> | null;
  /** "conf:<key>" / "params:<key>" of the values stored as digests. */
  secrets: string[];
}

export interface SnapshotChange {
  scope: "conf" | "params";
  entry: DiffEntry;
}

export interface TimelineItem {
  id: number;
  takenAt: string;
  lastSeenAt: string;
  source: string;
  /** Against the previous snapshot; empty for the first one. */
  changes: SnapshotChange[];
  first: boolean;
}

async function salt(ctx: PluginContext): Promise<string> {
  const row = await ctx.db
    .selectFrom("config_diff_meta")
    .select("value")
    .where("key", "=", "salt")
    .executeTakeFirst();
  if (row) return row.value as string;
  const value = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
  await ctx.db
    .insertInto("config_diff_meta")
    .values({ key: "salt", value })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  return (await salt(ctx)) as string;
}

function protect(
  values: Record<string, string | null>,
  scope: "conf" | "params",
  s: string,
  secrets: string[],
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v != null && isSecret(k, v)) {
      out[k] = secretDigest(s, v);
      secrets.push(`${scope}:${k}`);
    } else out[k] = v;
  }
  return out;
}

export function changesBetween(prev: SnapshotData, next: SnapshotData): SnapshotChange[] {
  const secretSet = (scope: string) =>
    new Set(
      [...prev.secrets, ...next.secrets]
        .filter((s) => s.startsWith(`${scope}:`))
        .map((s) => s.slice(scope.length + 1)),
    );
  const conf = diffMaps(prev.conf, next.conf, { secretKeys: secretSet("conf") });
  const params =
    prev.params && next.params ? diffMaps(prev.params, next.params, { secretKeys: secretSet("params") }) : [];
  return [
    ...conf.map((entry) => ({ scope: "conf" as const, entry })),
    ...params.map((entry) => ({ scope: "params" as const, entry })),
  ];
}

/**
 * Records what was just read. A new row only when something changed (then `config.changed` is
 * emitted); otherwise the latest row's last_seen_at moves on. Unreadable confs are not recorded.
 */
export async function recordSnapshot(
  ctx: PluginContext,
  cfg: InstanceConfig,
  source: string,
): Promise<{ changed: boolean; changes: SnapshotChange[]; id: number | null }> {
  if (!cfg.conf) return { changed: false, changes: [], id: null };
  const s = await salt(ctx);
  const secrets: string[] = [];
  const latest = await ctx.db
    .selectFrom("config_diff_snapshots")
    .selectAll()
    .where("instance_id", "=", cfg.instance.id)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  const prev: SnapshotData | null = latest ? JSON.parse(latest.data as string) : null;
  const data: SnapshotData = {
    conf: protect(cfg.conf.options, "conf", s, secrets),
    // Parameters that could not be read are unknown, not removed: keep the last known ones.
    params: cfg.params ? protect(cfg.params, "params", s, secrets) : (prev?.params ?? null),
    secrets,
  };
  if (!cfg.params && prev) data.secrets.push(...prev.secrets.filter((k) => k.startsWith("params:")));
  const json = JSON.stringify(data);
  const digest = new Bun.CryptoHasher("sha256").update(json).digest("hex");
  const now = new Date().toISOString();
  if (latest && latest.digest === digest) {
    await ctx.db
      .updateTable("config_diff_snapshots")
      .set({ last_seen_at: now })
      .where("id", "=", latest.id)
      .execute();
    return { changed: false, changes: [], id: Number(latest.id) };
  }
  const row = await ctx.db
    .insertInto("config_diff_snapshots")
    .values({ instance_id: cfg.instance.id, taken_at: now, last_seen_at: now, source, digest, data: json })
    .returning("id")
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  if (!prev) return { changed: false, changes: [], id };
  const changes = changesBetween(prev, data);
  ctx.events.emit("config.changed", {
    instanceId: cfg.instance.id,
    snapshotId: id,
    changes: changes.map((c) => ({ scope: c.scope, key: c.entry.key, status: c.entry.status })),
  });
  return { changed: true, changes, id };
}

/** Newest first: what changed at each recorded state. */
export async function timeline(ctx: PluginContext, instanceId: number, limit = 50): Promise<TimelineItem[]> {
  const rows = await ctx.db
    .selectFrom("config_diff_snapshots")
    .selectAll()
    .where("instance_id", "=", instanceId)
    .orderBy("id", "desc")
    .limit(limit + 1)
    .execute();
  return rows.slice(0, limit).map((r, i) => {
    const older = rows[i + 1];
    const data = JSON.parse(r.data as string) as SnapshotData;
    return {
      id: Number(r.id),
      takenAt: r.taken_at as string,
      lastSeenAt: r.last_seen_at as string,
      source: r.source as string,
      changes: older ? changesBetween(JSON.parse(older.data as string), data) : [],
      first: !older,
    };
  });
}
