/**
 * The last, fail-closed part of every restore and copy: neutralize the temporary copy, prove it
 * with queries, and only then publish it (rename to a new name, or safe swap into an instance).
 * Any failure drops the temporary copy; the live database is never touched before the swap.
 */
import { AppError, odoo, toAppError } from "../../server/sdk/index.ts";
import { type NeutralizeOptions, neutralizeDatabase } from "./neutralize.ts";
import { neutralizeFailed, verifyNeutralization } from "./neutralize-verify.ts";
import { discardTemp, type TempCopy } from "./restore.ts";
import { databaseExists, maintenanceDb, renameDatabase } from "./restore-pg.ts";
import { type SwapResult, swapIntoInstance } from "./swap.ts";

export interface FinishOptions {
  /** false: publish as is (production targets); default: neutralize with these options. */
  neutralize?: NeutralizeOptions | false;
  promote: { kind: "new"; dbName: string } | { kind: "swap"; currentDb: string; service?: string | null };
  log?: (line: string) => void;
  progress?: (p: { phase: "neutralize" | "swap" }) => void;
}

export interface RestoreResult {
  dbName: string;
  filestore: string | null;
  neutralized: boolean;
  moduleScripts: string[];
  check: TempCopy["check"];
  swap: SwapResult | null;
  restoreSeconds: number;
}

export async function finishRestore(temp: TempCopy, o: FinishOptions): Promise<RestoreResult> {
  const log = o.log ?? (() => {});
  const target = o.promote.kind === "new" ? o.promote.dbName : o.promote.currentDb;
  let moduleScripts: string[] = [];
  try {
    if (o.neutralize !== false && temp.tempDb) {
      o.progress?.({ phase: "neutralize" });
      const db = new odoo.OdooDb(temp.conn, { ...temp.pg, database: temp.tempDb });
      const nopts = o.neutralize ?? {};
      ({ moduleScripts } = await neutralizeDatabase(temp.conn, db, nopts));
      log(
        `Neutralized (module scripts: ${moduleScripts.join(", ") || "none reachable"}; built-in policy applied)`,
      );
      const armed = await verifyNeutralization(db, nopts);
      if (armed.length) throw neutralizeFailed(armed);
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
    return {
      dbName: target,
      filestore:
        temp.archive?.kind === "native" && temp.archive.manifest.scope === "db"
          ? null
          : `${temp.filestoreRoot}/${target}`,
      neutralized: o.neutralize !== false,
      moduleScripts,
      check: temp.check,
      swap,
      restoreSeconds: temp.seconds,
    };
  } catch (e) {
    await discardTemp(temp);
    throw toAppError(e);
  }
}
