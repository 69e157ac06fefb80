/**
 * Odoo's own answer to "what would neutralization run": `odoo-bin neutralize -c <conf> -d <db>
 * --stdout` prints `BEGIN;`, each installed module's data/neutralize.sql (stripped, one `;` at
 * the end) and `COMMIT;` (Odoo 17 odoo/cli/neutralize.py). Where Odoo can be run, it is the
 * reference the scripts odoodeck found are compared with: SQL Odoo runs that we did not find
 * means we looked in the wrong place, and the copy must not go live.
 */
import { type Connection, odoo, toAppError } from "../../../server/sdk/index.ts";
import type { ModuleScript } from "./neutralize.ts";

export interface ReferenceInput {
  /** The instance's odoo.conf (the database settings Odoo connects with). */
  confPath: string;
  container?: string | null;
  /** A configured odoo-bin path (restore tests' setting); empty: found by the shared resolver. */
  configured?: string | null;
  addonsPaths?: string[];
  /** Already resolved (odoo.resolveOdooExecutable): skips a second lookup. */
  executable?: odoo.OdooExecutableLookup | null;
}

export type Reference =
  | { ok: true; sql: string; command: string; note: string }
  | { ok: false; reason: string };

/** Runs `neutralize --stdout` on the (temporary) database; never changes it. */
export async function odooNeutralizeSql(
  conn: Connection,
  dbName: string,
  input: ReferenceInput,
): Promise<Reference> {
  const exe =
    input.executable ??
    (await odoo.resolveOdooExecutable(conn, {
      configured: input.configured,
      confPath: input.confPath,
      addonsPaths: input.addonsPaths,
      container: input.container,
    }));
  if (!exe.found) return { ok: false, reason: `${exe.reason} (looked at ${exe.looked.join(", ")})` };
  const argv = [
    ...(input.container ? ["docker", "exec", input.container] : []),
    ...exe.argv,
    "neutralize",
    "-c",
    input.confPath,
    "-d",
    dbName,
    "--stdout",
  ];
  const command = argv.join(" ");
  try {
    const r = await conn.exec(argv, { timeoutMs: 120_000, maxOutputBytes: 4 * 1024 * 1024 });
    const out = r.stdout.trim();
    if (r.code !== 0 || !out.startsWith("BEGIN;") || !out.endsWith("COMMIT;"))
      return {
        ok: false,
        reason: `${command} exited ${r.code}: ${`${r.stderr}\n${r.stdout}`.trim().split("\n").slice(-2).join(" | ").slice(0, 300)}`,
      };
    return { ok: true, sql: out.slice("BEGIN;".length, -"COMMIT;".length), command, note: exe.note };
  } catch (e) {
    return { ok: false, reason: `${command}: ${toAppError(e).message}` };
  }
}

/** A script as Odoo prints it: stripped, trailing semicolons replaced by one. */
const asOdooPrints = (sql: string) => `${sql.trim().replace(/;+$/, "")};`;

/**
 * What differs between the scripts we found and Odoo's output: a script of ours Odoo does not run
 * (a shadow copy), and SQL Odoo runs that none of ours accounts for. Empty: the same SQL.
 */
export function compareWithReference(
  referenceSql: string,
  scripts: ModuleScript[],
  modulesWithoutScript: string[],
): string[] {
  let rest = referenceSql;
  const problems: string[] = [];
  for (const s of scripts) {
    const at = rest.indexOf(asOdooPrints(s.sql));
    if (at === -1) {
      problems.push(`${s.module}: ${s.path} is not the script Odoo runs for ${s.module}`);
      continue;
    }
    rest = rest.slice(0, at) + rest.slice(at + asOdooPrints(s.sql).length);
  }
  const left = rest.trim();
  if (left) {
    // Odoo prints no module names: name the likeliest (base always has a script) and show the SQL
    const who = modulesWithoutScript.includes("base")
      ? "base (Odoo always ships base/data/neutralize.sql)"
      : `a module whose script odoodeck did not find (installed without one here: ${modulesWithoutScript.slice(0, 12).join(", ")}${modulesWithoutScript.length > 12 ? ", …" : ""})`;
    problems.push(
      `Odoo runs SQL of ${who} that odoodeck did not find: ${left.replace(/\s+/g, " ").slice(0, 160)}`,
    );
  }
  return problems;
}
