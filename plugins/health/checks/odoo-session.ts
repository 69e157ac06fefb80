/**
 * Talking to Odoo 17 as a browser does. Odoo picks a request's database from the session
 * cookie (odoo/http.py `_get_session_and_dbname`); `/web/login?db=<name>` binds a new session
 * to that database and redirects to itself (web/controllers/utils.py `ensure_db`); a database
 * it does not serve ends on /web/database/selector, or redirects to itself again because the
 * registry cannot be opened.
 */

export interface DatabaseSelection {
  /** The database answered a login page for a session bound to it. */
  served: boolean;
  /** `session_id=…` to send with further requests (null when Odoo set none). */
  cookie: string | null;
  /** Why the database is not served, or how it was confirmed. */
  detail: string;
}

const fetchOpts = (signal: AbortSignal, cookie: string | null, init: RequestInit = {}) =>
  ({
    ...init,
    signal,
    redirect: "manual",
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...(init.headers ?? {}) },
    tls: { rejectUnauthorized: false },
  }) as RequestInit;

/** A JSON-RPC call to a route that needs no database; null when Odoo refuses or answers no JSON. */
export async function jsonRpc<T>(base: string, path: string, signal: AbortSignal): Promise<T | null> {
  const res = await fetch(
    base + path,
    fetchOpts(signal, null, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: {} }),
    }),
  );
  const body = (await res.json().catch(() => null)) as { result?: T } | null;
  return res.ok && body && "result" in body ? (body.result as T) : null;
}

/**
 * Selects `db` as a browser does and says whether this Odoo serves it. `/web/database/list`
 * answers first when list_db is on (it names the databases the dbfilter lets through); with
 * list_db = False the login page must answer for a session bound to the database.
 */
export async function selectDatabase(
  base: string,
  db: string,
  signal: AbortSignal,
): Promise<DatabaseSelection> {
  const listed = await jsonRpc<string[]>(base, "/web/database/list", signal).catch(() => null);
  if (Array.isArray(listed) && !listed.includes(db))
    return {
      served: false,
      cookie: null,
      detail: `its database list is ${listed.join(", ") || "empty"}, without ${db}`,
    };
  let cookie: string | null = null;
  let url = `${base}/web/login?db=${encodeURIComponent(db)}`;
  for (let hop = 0; hop < 3; hop++) {
    const res = await fetch(url, fetchOpts(signal, cookie));
    await res.arrayBuffer().catch(() => {});
    const sid = /(?:^|[;,]\s*)session_id=([^;,\s]+)/.exec(res.headers.get("set-cookie") ?? "");
    if (sid) cookie = `session_id=${sid[1]}`;
    const to = res.headers.get("location");
    if (res.status === 200) return { served: true, cookie, detail: `serves database ${db}` };
    if (!(res.status >= 300 && res.status < 400 && to))
      return { served: false, cookie, detail: `/web/login?db=${db} answered HTTP ${res.status}` };
    const next = new URL(to, url);
    if (next.pathname.startsWith("/web/database/"))
      return { served: false, cookie, detail: `/web/login?db=${db} sends to ${next.pathname}` };
    // A redirect to the same URL once is ensure_db binding the session; twice means Odoo could
    // not open the database and dropped it from the session again.
    if (hop > 0 && next.href === url)
      return { served: false, cookie, detail: `it cannot open database ${db} (login redirects to itself)` };
    url = next.href;
  }
  return { served: false, cookie, detail: `/web/login?db=${db} keeps redirecting` };
}
