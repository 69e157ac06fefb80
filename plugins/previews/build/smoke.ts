/**
 * The smoke gate a preview passes before its URL is shown: Odoo answers, a chosen user signs in
 * (POST /web/login with the form's CSRF token, as a browser does), the log has no ERROR, and the
 * branch's modules are installed.
 */
import type { Connection, odoo } from "../../../server/sdk/index.ts";
import type { SmokeResult } from "../store.ts";

const ERROR_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) /m;

export async function loginCheck(baseUrl: string, db: string, login: string, password: string) {
  const form = await fetch(`${baseUrl}/web/login?db=${encodeURIComponent(db)}`, { redirect: "manual" });
  const html = await form.text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${baseUrl}/web/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams({ login, password, csrf_token: csrf, db, redirect: "/web" }),
  });
  const to = res.headers.get("location") ?? "";
  const ok = res.status === 303 && !to.includes("/web/login");
  return { ok, detail: ok ? `${login} signed in` : `${login} could not sign in (HTTP ${res.status})` };
}

export function logCheck(text: string) {
  const m = ERROR_LINE.exec(text);
  if (!m) return { ok: true, detail: "no ERROR in the log" };
  const line = text.slice(m.index).split("\n")[0];
  return { ok: false, detail: line.slice(0, 300) };
}

export async function modulesCheck(db: odoo.OdooDb, modules: string[]) {
  if (!modules.length) return { ok: true, detail: "the branch carries no module" };
  const rows = await db.query<{ name: string }>(
    `SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array(:'m', ','))`,
    { m: modules.join(",") },
  );
  const missing = modules.filter((m) => !rows.some((r) => r.name === m));
  return missing.length
    ? { ok: false, detail: `not installed: ${missing.join(", ")}` }
    : { ok: true, detail: `installed: ${modules.join(", ")}` };
}

export async function smokeGate(o: {
  conn: Connection;
  /** Where Odoo answers on its server (said in the result). */
  baseUrl: string;
  /** Where odoodeck reaches it: the tunnel's URL over SSH, `baseUrl` itself locally. */
  url: string;
  db: odoo.OdooDb;
  login: string;
  password: string;
  log: string;
  modules: string[];
}): Promise<SmokeResult> {
  const checks = [
    { name: "ready", ok: true, detail: `${o.baseUrl} answers` },
    { name: "login", ...(await loginCheck(o.url, o.db.database, o.login, o.password)) },
    { name: "log", ...logCheck(o.log) },
    { name: "modules", ...(await modulesCheck(o.db, o.modules)) },
  ];
  return { ok: checks.every((c) => c.ok), checks };
}
