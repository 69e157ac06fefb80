/**
 * The "backup.neutralize" service: neutralizes a database the caller made itself (a previews
 * template) exactly as a restore does — modules' scripts, policy, its own mailbox in the mail
 * catcher, proof by queries — and refuses (fail closed) when anything is still armed.
 * @example
 * const n = ctx.services.get<NeutralizeService>("backup.neutralize");
 * const { report } = await n!.neutralize(inst.id, "acme_tpl");
 */
import type { PluginContext } from "../../../server/sdk/index.ts";
import { catcherLink } from "./catcher-link.ts";
import { neutralizeDatabase } from "./neutralize.ts";
import { formatReport } from "./neutralize-report.ts";
import { checkNeutralization, neutralizeFailed } from "./neutralize-verify.ts";
import { targetSide } from "../restore/restore-request.ts";

export const NEUTRALIZE_SERVICE = "backup.neutralize";

export interface NeutralizeService {
  /** Neutralizes `dbName` on the instance's cluster; `report` lists each line (as Odoo / stricter / warning). */
  neutralize(instanceId: number, dbName: string): Promise<{ report: string[] }>;
}

export function createNeutralizeService(ctx: PluginContext<any>): NeutralizeService {
  return {
    async neutralize(instanceId, dbName) {
      const t = await targetSide(await ctx.instances.get(instanceId));
      const { db } = await t.inst.odoo();
      const target = db.withDatabase(dbName);
      const mail = catcherLink(ctx, instanceId);
      const o = {
        addonsPaths: t.addonsPaths,
        dataDir: t.dataDir,
        confSmtpServer: t.confSmtpServer,
        mode: "copy" as const,
        catcher: await mail.open(dbName),
      };
      const { report } = await neutralizeDatabase(t.conn, target, o);
      const { armed, warnings } = await checkNeutralization(target, o);
      if (armed.length) {
        mail.dropped(dbName);
        throw neutralizeFailed(armed);
      }
      mail.neutralized(dbName, "preview");
      return {
        report: formatReport([...report, ...warnings.map((text) => ({ kind: "warning" as const, text }))]),
      };
    },
  };
}
