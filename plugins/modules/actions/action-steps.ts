/**
 * The steps of one install/upgrade/uninstall, in order: back up first, stop the server (or warn
 * that it keeps running), run odoo-bin, start the server, smoke check, record checksums, and roll
 * back to the backup when the restarted server is not healthy. Each is a named step of the action's
 * operation, so the page shows where it stands and where it stopped.
 */
import {
  AppError,
  type Connection,
  type InstanceHandle,
  smokeCheck,
  toAppError,
} from "../../../server/sdk/index.ts";
import { readDbModules } from "../report/db-modules.ts";
import { currentChecksums, type ModulesReport } from "../report/load-report.ts";
import type { ActionStore } from "../store/action-store.ts";
import type { ChecksumStore } from "../store/checksum-store.ts";
import type { ModulesCtx } from "../settings.ts";
import { backUpFirst, type BackupPlan } from "./backup-first.ts";
import type { OdooCommand, ModuleAction } from "./odoo-command.ts";
import { rollBackNow } from "./roll-back-now.ts";
import { runLogged } from "./run-command.ts";
import { type ServerPlan, startServer, stopServer, warnServerKeepsRunning } from "./server-control.ts";

export type OpApi = Parameters<Parameters<ModulesCtx["operations"]["start"]>[0]["run"]>[0];
type Modules = NonNullable<ModulesReport["modules"]>;

export interface ActionRun {
  ctx: ModulesCtx;
  inst: InstanceHandle;
  conn: Connection;
  action: ModuleAction;
  modules: string[];
  actor: string;
  dbName: string;
  cmd: OdooCommand;
  exeNote: string;
  backup: BackupPlan;
  server: ServerPlan;
  before: Map<string, Modules[number]>;
  actions: ActionStore;
  checksums: ChecksumStore;
  skipStatic: boolean;
  /** Where a failed action offers its rollback. */
  actionUrl: string;
}

/** The step names shown before the action starts. */
export function stepNames(r: Pick<ActionRun, "backup" | "server" | "action">): string[] {
  const rt = r.server.runtime;
  return [
    ...(r.backup.api ? ["back up first"] : []),
    rt ? "stop server" : "warning: server keeps running",
    "run odoo",
    ...(rt ? ["start server", "smoke check"] : []),
    ...(r.action === "uninstall" ? [] : ["record checksums"]),
    ...(r.backup.api && rt ? ["roll back"] : []),
  ];
}

export async function runAction(op: OpApi, r: ActionRun) {
  const { ctx, inst } = r;
  if (r.backup.skipped) op.log(`No backup first: ${r.backup.skipped}`);
  ctx.runtimes.mark(inst.id, "upgrading", `${r.action} ${r.modules.join(", ")}`);
  try {
    const api = r.backup.api;
    const backup = api
      ? await op.step("back up first", (s) =>
          backUpFirst(api, r.actions, s, { inst, parentId: op.id, actor: r.actor, action: r.action }),
        )
      : null;
    const run = await runAroundServer(op, r, backup);
    if (r.action === "uninstall") return { ...run, modules: r.modules, backup };
    const recorded = await op.step("record checksums", (s) => recordChecksums(r, s));
    return { ...run, modules: r.modules, backup, recorded };
  } finally {
    ctx.runtimes.mark(inst.id, null);
  }
}

/** Stop (or warn), run odoo-bin, start again and check; a server found stopped is left stopped. */
async function runAroundServer(op: OpApi, r: ActionRun, backup: { name: string; backupId: number } | null) {
  const plan = r.server;
  if (!plan.runtime) {
    const why = plan.why;
    await op.step("warning: server keeps running", (s) => warnServerKeepsRunning(s, why));
    return runOdoo(op, r, backup);
  }
  const rt = plan.runtime;
  const { stopped } = await op.step("stop server", (s) => stopServer(s, rt, plan.wasRunning));
  let run: { exitCode: number };
  try {
    run = await runOdoo(op, r, backup);
  } catch (e) {
    // The instance was serving before: it serves again (old or half-done, the user decides on the rollback).
    if (stopped) await op.step("start server", (s) => startServer(s, rt)).catch(() => {});
    throw e;
  }
  if (!stopped) {
    op.log(`${rt.label} was stopped before the ${r.action}: left stopped, no smoke check`);
    return run;
  }
  try {
    await op.step("start server", (s) => startServer(s, rt));
    await op.step("smoke check", (s) => smokeCheck(s, r.inst, rt, { dbName: r.dbName }));
  } catch (e) {
    if (!backup) throw withHint(e, "No backup was taken before: restore one from the Backups page if needed");
    const out = await op.step("roll back", (s) => rollBackNow(r, s, rt, { ...backup, parentId: op.id }));
    const err = toAppError(e);
    throw new AppError(err.code, `${err.message}; rolled back to ${backup.name}`, {
      hint: `The database before the ${r.action} is back; the failed one is kept as ${out.rollbackDb}`,
    });
  }
  return run;
}

async function runOdoo(op: OpApi, r: ActionRun, backup: { name: string } | null) {
  try {
    return await op.step("run odoo", (s) => {
      s.log(`Odoo: ${r.exeNote}`);
      return runLogged(r.conn, r.cmd.argv, s, r.cmd.stdin);
    });
  } catch (e) {
    if (!backup) throw e;
    throw withHint(e, `A backup was taken just before: roll back to ${backup.name} at ${r.actionUrl}`);
  }
}

function withHint(e: unknown, hint: string): AppError {
  const err = toAppError(e);
  return new AppError(err.code, err.message, { hint });
}

/**
 * What was just deployed becomes the reference for "changed since last recorded": the modules
 * asked for and every module whose state or version odoo changed (dependencies).
 */
async function recordChecksums(r: ActionRun, s: { log(line: string): void }): Promise<number> {
  const after = await readDbModules((await r.inst.odoo()).db);
  const changed = after.filter((m) => {
    const before = r.before.get(m.name);
    const live = m.state === "installed" || m.state === "to upgrade";
    return (
      live &&
      (r.modules.includes(m.name) ||
        before?.state !== m.state ||
        (before?.installedVersion ?? null) !== (m.version ?? null))
    );
  });
  const sums = await currentChecksums(
    r.inst,
    changed.map((m) => r.before.get(m.name) ?? { name: m.name, installedVersion: m.version }),
    { skipStatic: r.skipStatic },
  );
  await r.checksums.record(r.inst.id, sums, r.actor);
  s.log(`recorded ${sums.length} checksum(s)`);
  return sums.length;
}
