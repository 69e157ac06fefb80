/**
 * Wires continuous WAL into the backup plugin: operations (enable, base backup, status,
 * point-in-time restore — one declaration each, served on REST, CLI and MCP), the scheduled base
 * backup and archive health check (event `backup.wal_lag` when the archive trails or has gaps),
 * and a card line with the recoverable window.
 */
import { AppError, defineOperation, type PluginContext, ui, z } from "../../../server/sdk/index.ts";
import { checkNewDbName, neutralizeChoice, targetSide } from "../restore/restore-request.ts";
import { checkReplication } from "./preflight.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";
import type { ArchiveHealth } from "./health.ts";
import { startPitrRestore } from "./restore-op.ts";
import { startClusterRewind } from "./rewind-op.ts";
import { shippingProblems } from "./ship/ship-health.ts";
import { createPitrService, type PitrService } from "./service.ts";
import { windowInWords } from "./window-words.ts";

declare module "../../../server/sdk/types.ts" {
  interface EventMap {
    /** A WAL archive trails its server, has gaps, lacks a base backup or its receiver stopped. */
    "backup.wal_lag": { instanceId: number; instanceName: string; problems: string[] };
  }
}

/** Archive lag (seconds) over which the health check raises `backup.wal_lag`. */
const LAG_ALERT_SECONDS = 300;

export function walProblems(h: ArchiveHealth, receiverRunning: boolean): string[] {
  const p: string[] = [];
  if (!receiverRunning) p.push("pg_receivewal is not running");
  if (h.lagSeconds !== null && h.lagSeconds > LAG_ALERT_SECONDS) p.push(`archive ${h.lagSeconds} s behind`);
  if (h.gaps.count) p.push(`${h.gaps.count} WAL segment(s) missing, first ${h.gaps.missing[0]}`);
  if (!h.bases.length) p.push("no base backup");
  p.push(...shippingProblems(h.shipping ?? [], LAG_ALERT_SECONDS));
  return p;
}

export function registerPitr(ctx: PluginContext<BackupSettings>, svc: BackupService): PitrService {
  const pitr = createPitrService(ctx);
  const op = (d: Parameters<typeof defineOperation>[0]) => ctx.operations.declare(defineOperation(d as any));
  op({
    id: "backup.pitr-enable",
    title: "Enable continuous WAL",
    description:
      "Checks the instance's role may stream WAL (E_WAL_REPLICATION with the fix otherwise), starts pg_receivewal through a replication slot and takes a first base backup.",
    input: z.object({}),
    role: "admin",
    scope: "instance",
    lock: "instance",
    danger: "mutating",
    longRunning: true,
    tags: ["backup", "pitr"],
    async run(o: any) {
      const inst = o.instance;
      // Refused at once (E_WAL_REPLICATION with the fix), not on the operation's page minutes later
      await checkReplication((await targetSide(inst)).pg);
      const op = ctx.operations.start({
        kind: "pitr-enable",
        title: `Enable continuous WAL for ${inst.name}`,
        instanceId: inst.id,
        actor: o.actor,
        lock: true,
        steps: ["stream WAL and take the first base backup"],
        run: (op) =>
          op.step("stream WAL and take the first base backup", async () => {
            const base = await pitr.enable(inst);
            return { baseBackup: base.name, window: { from: base.finishedAt } };
          }),
      });
      await op.started;
      o.audit({ target: inst.name, operationId: op.id });
      return { operationId: op.id, done: op.done };
    },
  });
  op({
    id: "backup.pitr-status",
    title: "Continuous WAL status",
    description: "Last WAL received, lag, WAL the slot keeps on the server, gaps and the recoverable window.",
    input: z.object({}),
    role: "viewer",
    scope: "instance",
    danger: "safe",
    tags: ["backup", "pitr"],
    async run(o: any) {
      const h = await pitr.health(o.instance);
      return h ? { ...h, receiver: pitr.receiver(o.instance.id)?.status() ?? null } : { enabled: false };
    },
  });
  op({
    id: "backup.pitr-restore",
    title: "Restore to a point in time",
    description:
      "Recovers the instance's database to `at` in a scratch cluster, then restores it safely (temporary database, checks, neutralization) as a new database or in place of the current one; the filestore comes from the newest filestore backup not after `at`.",
    input: z.object({
      at: z.string().datetime({ offset: true }).describe("The instant to recover to (ISO 8601)"),
      newDb: z.string().optional().describe("Publish as this new database (default: replace the instance's)"),
      neutralize: z.enum(["on", "off"]).optional(),
      mode: z
        .enum(["database", "cluster"])
        .optional()
        .describe(
          "database (default): the one database through a temporary copy. cluster: rewind the whole PostgreSQL cluster in place (physical: the fastest; only when it holds no other database and runs on this machine)",
        ),
    }),
    // backup.restore's rule: an operator of the instance may restore into a new database beside
    // it; replacing its database is the production rule (admin, the name typed back in `confirm`,
    // applied by the executor) and is refused to tokens that may not destroy.
    role: "operator",
    scope: "instance",
    lock: "instance",
    danger: "mutating",
    guardProduction: (input: any) => !input.newDb,
    longRunning: true,
    tags: ["backup", "restore", "pitr"],
    async run(o: any, input: { at: string; newDb?: string; neutralize?: string; mode?: string }) {
      const inst = o.instance;
      if (!input.newDb && o.principal.allowDestructive === false)
        throw new AppError("E_FORBIDDEN", "This API token may not replace a database", {
          hint: "Restore into a new database (newDb), or use a token allowed destructive operations",
        });
      const t = await targetSide(inst);
      if (input.mode === "cluster") {
        if (input.newDb)
          throw new AppError(
            "E_VALIDATION",
            "A cluster rewind replaces the cluster in place: it takes no newDb",
            {
              hint: "Leave mode unset to restore the database alone under a new name",
            },
          );
        if (input.neutralize === "on")
          throw new AppError(
            "E_VALIDATION",
            "A cluster rewind puts the cluster back as it was: it is not neutralized",
            {
              hint: "Restore the database alone (mode unset) to get a neutralized copy",
            },
          );
        const r = await startClusterRewind(ctx, pitr, {
          t,
          at: new Date(input.at),
          actor: o.actor,
          backups: await svc.store.list(inst.id),
        });
        await r.op.started;
        o.audit({ target: r.dbName, operationId: r.op.id, details: { at: input.at, mode: "cluster" } });
        return { operationId: r.op.id, dbName: r.dbName, done: r.op.done };
      }
      const newDb = input.newDb ? checkNewDbName(input.newDb) : null;
      const r = await startPitrRestore(ctx, pitr, {
        t,
        at: new Date(input.at),
        newDb,
        neutralize: neutralizeChoice({ neutralize: input.neutralize }, t, !newDb),
        actor: o.actor,
        backups: await svc.store.list(inst.id),
      });
      await r.op.started; // a restore already running on the instance answers E_BUSY here
      o.audit({ target: r.dbName, operationId: r.op.id, details: { at: input.at } });
      return { operationId: r.op.id, dbName: r.dbName, done: r.op.done };
    },
  });
  ctx.jobs.define("backup.pitr-base", {
    title: "Base backup (continuous WAL)",
    description: "pg_basebackup of the instance's cluster, the starting point of point-in-time restores",
    scope: "instance",
    defaultCron: "0 1 * * *",
    async handler({ instanceId, signal }) {
      const b = await pitr.baseBackup(await ctx.instances.get(instanceId!), signal);
      return `base backup ${b.name} (${b.bytes} bytes)`;
    },
  });
  ctx.jobs.define("backup.pitr-health", {
    title: "WAL archive check",
    description:
      "Alert (event backup.wal_lag) when an archive trails its server, has gaps or its receiver stopped",
    scope: "global",
    defaultCron: "*/5 * * * *",
    async handler() {
      const bad: string[] = [];
      for (const inst of await ctx.instances.list()) {
        const h = await pitr.health(inst).catch(() => null);
        if (!h) continue;
        const problems = walProblems(h, pitr.receiver(inst.id)?.status().state === "running");
        if (!problems.length) continue;
        ctx.events.emit("backup.wal_lag", { instanceId: inst.id, instanceName: inst.name, problems });
        bad.push(`${inst.name}: ${problems.join(", ")}`);
      }
      return bad.length ? bad.join("; ") : "every archive is current";
    },
  });
  ctx.views.card({ order: 21, render: (inst) => WalCard({ pitr, id: inst.id, inst }) });
  return pitr;
}

async function WalCard(props: { pitr: PitrService; id: number; inst: any }) {
  if (!props.pitr.enabled(props.id)) return null;
  const h = await props.pitr.health(props.inst).catch(() => null);
  if (!h) return null;
  const problems = walProblems(h, props.pitr.receiver(props.id)?.status().state === "running");
  const mb = (n: number | null) => (n === null ? "?" : `${(n / 1048576).toFixed(1)} MB`);
  return (
    <p class="wal-card">
      Continuous WAL:{" "}
      {problems.length ? (
        <ui.Badge kind="warn">{problems.join("; ")}</ui.Badge>
      ) : (
        <ui.Badge kind="ok">streaming</ui.Badge>
      )}{" "}
      last WAL {h.lastWalAt ? <ui.Time at={h.lastWalAt} /> : "none"}, lag {h.lagSeconds ?? "?"} s, slot keeps{" "}
      {mb(h.retainedBytes)} on the server
      {h.window ? ` · restorable ${windowInWords(h.window)}` : ""}
      {(h.shipping ?? []).map((s) => (
        <>
          {" "}
          · shipped to {s.dest} up to{" "}
          {s.partial && (!s.upToAt || s.partial.at > s.upToAt) ? (
            <ui.Time at={s.partial.at} />
          ) : s.upToAt ? (
            <ui.Time at={s.upToAt} />
          ) : (
            "nothing yet"
          )}
          {s.backlogSegments ? ` (${s.backlogSegments} segment(s) waiting)` : ""}
        </>
      ))}
    </p>
  );
}
