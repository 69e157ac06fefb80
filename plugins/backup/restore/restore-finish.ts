/**
 * The last, fail-closed part of every restore and copy: neutralize the temporary copy, prove it
 * with queries, and only then publish it (rename to a new name, or safe swap into an instance).
 * Any failure drops the temporary copy; the live database is never touched before the swap.
 */
import { AppError, odoo, toAppError } from "../../../server/sdk/index.ts";
import type { CatcherLink, NeutralizedKind } from "../neutralize/catcher-link.ts";
import { type NeutralizeOptions, neutralizeDatabase } from "../neutralize/neutralize.ts";
import { formatReport, type NeutralizeLine } from "../neutralize/neutralize-report.ts";
import { checkNeutralization, neutralizeFailed } from "../neutralize/neutralize-verify.ts";
import { discardTemp, type TempCopy } from "./restore.ts";
import { databaseExists, maintenanceDb, renameDatabase } from "./restore-pg.ts";
import { type SwapResult, swapIntoInstance } from "./swap.ts";

export interface FinishOptions {
  /** false: publish as is (production targets); default: neutralize with these options. */
  neutralize?: NeutralizeOptions | false;
  promote: { kind: "new"; dbName: string } | { kind: "swap"; currentDb: string; service?: string | null };
  log?: (line: string) => void;
  progress?: (p: { phase: "neutralize" | "swap" }) => void;
  /** The published database gets its own mailbox in the mail catcher (see catcher-link.ts). */
  mail?: { link: CatcherLink; kind: NeutralizedKind };
}

export interface RestoreResult {
  dbName: string;
  filestore: string | null;
  neutralized: boolean;
  moduleScripts: string[];
  /** What neutralization did, each line "as Odoo" / "stricter than Odoo" / "warning". */
  neutralizeReport: NeutralizeLine[];
  check: TempCopy["check"];
  swap: SwapResult | null;
  restoreSeconds: number;
}

export async function finishRestore(temp: TempCopy, o: FinishOptions): Promise<RestoreResult> {
  const log = o.log ?? (() => {});
  const target = o.promote.kind === "new" ? o.promote.dbName : o.promote.currentDb;
  let moduleScripts: string[] = [];
  let neutralizeReport: NeutralizeLine[] = [];
  const neutralizing = o.neutralize !== false && !!temp.tempDb;
  try {
    if (o.neutralize !== false && temp.tempDb) {
      o.progress?.({ phase: "neutralize" });
      const db = new odoo.OdooDb(temp.conn, { ...temp.pg, database: temp.tempDb });
      const box = o.neutralize?.catcher ?? (await o.mail?.link.open(target)) ?? null;
      const nopts = { ...(o.neutralize ?? {}), catcher: box };
      ({ moduleScripts, report: neutralizeReport } = await neutralizeDatabase(temp.conn, db, nopts));
      const { armed, warnings } = await checkNeutralization(db, nopts);
      if (armed.length) throw neutralizeFailed(armed);
      neutralizeReport.push(...warnings.map((text) => ({ kind: "warning" as const, text })));
      log("Neutralized:");
      for (const line of formatReport(neutralizeReport)) log(`  ${line}`);
    }
    o.progress?.({ phase: "swap" });
    let swap: SwapResult | null = null;
    if (o.promote.kind === "new") {
      const m = maintenanceDb(temp.conn, temp.pg);
      if (temp.tempDb) {
        if (await databaseExists(m, target))
          throw new AppError("E_CONFLICT", `Database ${target} already exists`);
        await renameDatabase(m, temp.tempDb, target);
        temp.tempDb = null; // published: not ours to drop any more
      }
      if (temp.tempFilestore) {
        await temp.conn.rename(temp.tempFilestore, `${temp.filestoreRoot}/${target}`);
        temp.tempFilestore = null;
      }
    } else {
      swap = await swapIntoInstance({
        ...temp,
        currentDb: target,
        service: o.promote.service,
        log,
      });
    }
    if (neutralizing) o.mail?.link.neutralized(target, o.mail.kind);
    return {
      dbName: target,
      filestore:
        temp.archive?.kind === "native" && temp.archive.manifest.scope === "db"
          ? null
          : `${temp.filestoreRoot}/${target}`,
      neutralized: o.neutralize !== false,
      moduleScripts,
      neutralizeReport,
      check: temp.check,
      swap,
      restoreSeconds: temp.seconds,
    };
  } catch (e) {
    await discardTemp(temp);
    // a new database that was never published takes its mailbox along; a swapped-into instance
    // keeps the one its current database already uses
    if (neutralizing && o.promote.kind === "new") o.mail?.link.dropped(target);
    throw toAppError(e);
  }
}
