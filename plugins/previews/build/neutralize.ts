/**
 * Neutralizing a template, once, before any preview is cloned from it. The backup plugin owns
 * neutralization; its service "backup.neutralize" (shape below) is used when provided. Without it
 * Odoo's own `odoo-bin neutralize` (Odoo 16+) runs. Either way the result is checked and a
 * template that is not neutralized is never marked ready (fail closed).
 */
import { AppError, type odoo } from "../../../server/sdk/index.ts";
import type { Side } from "./side.ts";

/** What previews ask of the backup plugin's neutralization (declared here: typed services). */
export interface NeutralizeService {
  neutralize(instanceId: number, dbName: string): Promise<{ report: unknown }>;
}

export interface NeutralizeOutcome {
  via: "backup.neutralize" | "odoo-bin neutralize";
  report: unknown;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export async function neutralizeTemplate(
  side: Side,
  dbName: string,
  service: NeutralizeService | null,
): Promise<NeutralizeOutcome> {
  let via: NeutralizeOutcome["via"];
  let report: unknown = null;
  if (service) {
    via = "backup.neutralize";
    report = (await service.neutralize(side.inst.id, dbName)).report;
  } else {
    via = "odoo-bin neutralize";
    const argv = [...(await side.odooBin()), "neutralize", "-c", side.inst.confPath, "-d", dbName];
    const res = await side.conn.exec(argv, { timeoutMs: 900_000 });
    if (res.code !== 0)
      throw new AppError("E_COMMAND_FAILED", `odoo-bin neutralize failed: ${res.stderr.trim().slice(-400)}`);
    report = res.stderr.split("\n").filter((l) => /neutraliz/i.test(l));
  }
  const checks = await verifyNeutralized(side.db.withDatabase(dbName));
  const bad = checks.filter((c) => !c.ok);
  if (bad.length)
    throw new AppError(
      "E_VALIDATION",
      `The template is not neutralized: ${bad.map((c) => c.detail).join("; ")}`,
      {
        hint: "It was not kept; nothing was cloned from it",
      },
    );
  return { via, report, checks };
}

/** Checked on the database itself, whoever neutralized it. */
async function verifyNeutralized(db: odoo.OdooDb) {
  const one = async (sql: string) => Number((await db.scalar(sql)) ?? 0);
  const flag = await one("SELECT count(*) FROM ir_config_parameter WHERE key = 'database.is_neutralized'");
  const mail = await one(
    "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host NOT IN ('invalid', 'localhost', '127.0.0.1')",
  );
  const fetch =
    (await db.scalar("SELECT to_regclass('public.fetchmail_server') IS NOT NULL")) === "t"
      ? await one("SELECT count(*) FROM fetchmail_server WHERE active")
      : 0;
  return [
    {
      name: "flag",
      ok: flag > 0,
      detail: flag ? "database.is_neutralized set" : "database.is_neutralized missing",
    },
    { name: "mail servers", ok: mail === 0, detail: `${mail} active outgoing mail server(s) to a real host` },
    { name: "fetchmail", ok: fetch === 0, detail: `${fetch} active incoming mail server(s)` },
  ];
}
