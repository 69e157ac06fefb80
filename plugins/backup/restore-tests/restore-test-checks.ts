/**
 * The checks of a restore test, each turned into one report line (CheckOutcome): row counts and
 * installed modules against what the backup recorded, every attachment file present with its
 * SHA-1, neutralization proven by queries, and Odoo itself loading the copy when odoo-bin is there.
 */
import { type Connection, type odoo, toAppError } from "../../../server/sdk/index.ts";
import type { BackupManifest } from "../archive/format.ts";
import { type NeutralizeOptions, neutralizeDatabase } from "../neutralize/neutralize.ts";
import { formatReport } from "../neutralize/neutralize-report.ts";
import { checkNeutralization } from "../neutralize/neutralize-verify.ts";
import { checkAttachments, describeAttachmentCheck } from "./restore-test-attachments.ts";
import type { CheckOutcome } from "./restore-test-store.ts";

const since = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

/** Runs `fn`, timing it; an exception becomes a failed line instead of ending the test. */
export async function timed(
  name: string,
  fn: () => Promise<Omit<CheckOutcome, "name" | "seconds">>,
): Promise<CheckOutcome> {
  const t0 = performance.now();
  try {
    return { name, ...(await fn()), seconds: since(t0) };
  } catch (e) {
    const err = toAppError(e);
    if (err.code === "E_CANCELLED") throw err;
    return { name, status: "failed", message: `${err.code}: ${err.message}`, seconds: since(t0) };
  }
}

/**
 * Neutralizes the scratch copy exactly as a restore would (same options, same verification), so a
 * passing restore test means the restore itself would pass.
 */
export function neutralizeCheck(conn: Connection, db: odoo.OdooDb, o: NeutralizeOptions) {
  return timed("neutralize", async () => {
    const { report } = await neutralizeDatabase(conn, db, { ...o, mode: "copy" });
    const { armed, warnings } = await checkNeutralization(db, o);
    const lines = formatReport([...report, ...warnings.map((text) => ({ kind: "warning" as const, text }))]);
    if (armed.length)
      return { status: "failed", message: `still armed: ${armed.join("; ")}`, details: { report: lines } };
    const scripts = report.filter((l) => l.text.startsWith("ran ")).length;
    return {
      status: "ok",
      message: `neutralized and verified (${scripts} module script(s) as Odoo${warnings.length ? `; warning: ${warnings.join("; ")}` : ""})`,
      details: { report: lines },
    };
  });
}

export function countsCheck(db: odoo.OdooDb, expected: BackupManifest["counts"] | null | undefined) {
  return timed("counts", async () => {
    const [c] = await db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM res_users) AS res_users,
              (SELECT count(*) FROM res_partner) AS res_partner,
              (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL) AS ir_attachment_stored`,
    );
    const got = {
      res_users: Number(c.res_users),
      res_partner: Number(c.res_partner),
      ir_attachment_stored: Number(c.ir_attachment_stored),
    };
    const line = `users ${got.res_users}, partners ${got.res_partner}, stored attachments ${got.ir_attachment_stored}`;
    if (!expected) return { status: "skipped", message: `the backup recorded no counts (${line})` };
    const diff = (Object.keys(got) as (keyof typeof got)[])
      .filter((k) => got[k] !== expected[k])
      .map((k) => `${k} ${got[k]} restored, ${expected[k]} recorded`);
    if (diff.length) return { status: "failed", message: diff.join("; "), details: { got, expected } };
    return { status: "ok", message: `${line}: as recorded` };
  });
}

export function modulesCheck(db: odoo.OdooDb, expected: string[] | null | undefined) {
  return timed("modules", async () => {
    const installed = (
      await db.query<{ name: string }>(
        "SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name",
      )
    ).map((r) => r.name);
    if (!expected?.length)
      return {
        status: "skipped",
        message: `the backup recorded no module list (${installed.length} installed)`,
      };
    const have = new Set(installed);
    const want = new Set(expected);
    const missing = expected.filter((m) => !have.has(m));
    const extra = installed.filter((m) => !want.has(m));
    if (missing.length || extra.length)
      return {
        status: "failed",
        message: [
          missing.length ? `not installed after restore: ${missing.join(", ")}` : "",
          extra.length ? `installed but not in the backup: ${extra.join(", ")}` : "",
        ]
          .filter(Boolean)
          .join("; "),
        details: { missing, extra },
      };
    return { status: "ok", message: `${installed.length} installed modules, as recorded` };
  });
}

export function attachmentsCheck(
  conn: Connection,
  db: odoo.OdooDb,
  filestoreDir: string | null,
  signal?: AbortSignal,
) {
  return timed("attachments", async () => {
    if (!filestoreDir) return { status: "skipped", message: "the backup holds no filestore" };
    const r = await checkAttachments(conn, db, filestoreDir, signal);
    const { ok, message } = describeAttachmentCheck(r);
    return {
      status: ok ? "ok" : "failed",
      message,
      details: {
        rows: r.rows,
        files: r.files,
        hashed: r.hashed,
        missing: r.missing.slice(0, 20),
        mismatched: r.mismatched.slice(0, 20),
        unsafe: r.unsafe.slice(0, 20),
      },
    };
  });
}

/**
 * Starts Odoo once on the scratch database and lets it stop after loading every module. How Odoo
 * is run comes from the shared resolver (odoo.resolveOdooExecutable): a non-executable odoo-bin
 * runs through its interpreter, and the line says so.
 */
export function odooStartCheck(
  conn: Connection,
  exe: odoo.OdooExecutableLookup,
  o: { confPath: string; dbName: string; container?: string | null; signal?: AbortSignal },
) {
  return timed("odoo", async () => {
    if (!exe.found)
      return {
        status: "skipped",
        message: `skipped: odoo-bin not found: ${exe.reason} (looked at ${exe.looked.join(", ")})`,
      };
    const argv = [
      ...(o.container ? ["docker", "exec", o.container] : []),
      ...exe.argv,
      "-c",
      o.confPath,
      "-d",
      o.dbName,
      "--no-http",
      "--max-cron-threads=0",
      "--stop-after-init",
      "--log-level=warn",
    ];
    const how = exe.state === "not executable" ? `${exe.note}; ` : "";
    const r = await conn.exec(argv, {
      timeoutMs: 15 * 60_000,
      signal: o.signal,
      maxOutputBytes: 1024 * 1024,
    });
    if (r.code !== 0) {
      const tail = `${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-3).join(" | ");
      return {
        status: "failed",
        message: `${how}${exe.argv.join(" ")} exited ${r.code}: ${tail.slice(0, 400)}`,
      };
    }
    return {
      status: "ok",
      message: `${how}${exe.argv.join(" ")} loaded the copy and stopped (--stop-after-init)`,
    };
  });
}
