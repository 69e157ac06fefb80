/**
 * The checks of a restore test, each turned into one report line (CheckOutcome): row counts and
 * installed modules against what the backup recorded, every attachment file present with its
 * SHA-1, neutralization proven by queries, and Odoo itself loading the copy when odoo-bin is there.
 */
import { type Connection, type odoo, toAppError } from "../../server/sdk/index.ts";
import type { BackupManifest } from "./format.ts";
import { type NeutralizeOptions, neutralizeDatabase } from "./neutralize.ts";
import { formatReport } from "./neutralize-report.ts";
import { checkNeutralization } from "./neutralize-verify.ts";
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

/** odoo-bin candidates on the target: the setting, beside the addons paths, then PATH. */
export async function findOdooBin(
  conn: Connection,
  configured: string,
  addonsPaths: string[],
): Promise<{ path: string | null; looked: string[] }> {
  const looked: string[] = [];
  if (configured.trim()) {
    looked.push(configured.trim());
    const st = await conn.stat(configured.trim()).catch(() => null);
    return { path: st?.type === "file" ? configured.trim() : null, looked };
  }
  for (const p of addonsPaths) {
    const base = p.replace(/\/+$/, "");
    for (const up of [base.replace(/\/[^/]+$/, ""), base.replace(/\/[^/]+\/[^/]+$/, "")]) {
      const cand = `${up}/odoo-bin`;
      if (!up || looked.includes(cand)) continue;
      looked.push(cand);
      if ((await conn.stat(cand).catch(() => null))?.type === "file") return { path: cand, looked };
    }
  }
  looked.push("odoo-bin on PATH");
  const r = await conn.exec(["sh", "-c", "command -v odoo-bin || command -v odoo"]).catch(() => null);
  const found = r?.code === 0 ? r.stdout.trim().split("\n")[0] : "";
  return { path: found || null, looked };
}

/** Starts Odoo once on the scratch database and lets it stop after loading every module. */
export function odooStartCheck(
  conn: Connection,
  o: { configured: string; addonsPaths: string[]; confPath: string; dbName: string; signal?: AbortSignal },
) {
  return timed("odoo", async () => {
    const bin = await findOdooBin(conn, o.configured, o.addonsPaths);
    if (!bin.path)
      return {
        status: "skipped",
        message: `skipped: odoo-bin not found (looked at ${bin.looked.join(", ")})`,
      };
    const r = await conn.exec(
      [
        bin.path,
        "-c",
        o.confPath,
        "-d",
        o.dbName,
        "--no-http",
        "--max-cron-threads=0",
        "--stop-after-init",
        "--log-level=warn",
      ],
      { timeoutMs: 15 * 60_000, signal: o.signal, maxOutputBytes: 1024 * 1024 },
    );
    if (r.code !== 0) {
      const tail = `${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-3).join(" | ");
      return { status: "failed", message: `${bin.path} exited ${r.code}: ${tail.slice(0, 400)}` };
    }
    return { status: "ok", message: `${bin.path} loaded the copy and stopped (--stop-after-init)` };
  });
}
