/** What a preview needs of its instance's server: connection, database access, paths, odoo-bin. */
import { AppError, type InstanceHandle, odoo } from "../../../server/sdk/index.ts";
import type { PreviewSettings } from "../settings.ts";

export type Side = Awaited<ReturnType<typeof instanceSide>>;

export async function instanceSide(inst: InstanceHandle, settings: PreviewSettings) {
  const conn = await inst.connection();
  const { settings: s, db } = await inst.odoo();
  if (!inst.dbName)
    throw new AppError("E_VALIDATION", `${inst.name} has no database on record`, {
      hint: "Set its database on the instance page",
    });
  return {
    inst,
    conn,
    settings: s,
    db,
    /** Connected to the maintenance database: CREATE/DROP DATABASE run from there. */
    admin: db.withDatabase("postgres"),
    workRoot: settings.work_root.replace(/\/+$/, ""),
    async odooBin(): Promise<string[]> {
      const exe = await odoo.resolveOdooExecutable(conn, {
        configured: settings.odoo_bin || null,
        confPath: inst.confPath,
        addonsPaths: s.addonsPaths,
      });
      if (!exe.found)
        throw new AppError("E_VALIDATION", `odoo-bin of ${inst.name} was not found: ${exe.reason}`, {
          hint: "Set odoo-bin in the previews settings",
        });
      return exe.argv;
    },
    /** The conf options a preview's Odoo shares with its instance: the same PostgreSQL. */
    dbOptions(): Record<string, string | number | null> {
      return {
        db_host: s.dbHost,
        db_port: s.dbPort,
        db_user: s.dbUser,
        db_password: s.dbPassword,
        db_sslmode: s.dbSslmode,
      };
    },
  };
}
