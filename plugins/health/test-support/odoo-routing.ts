/**
 * How Odoo 17 picks the database of a request (odoo/http.py `_get_session_and_dbname` and
 * addons/web/controllers/utils.py `ensure_db`), reproduced for the HTTP stand-ins: a session
 * cookie carries the database; `/web/login?db=<name>` binds a new session to it and redirects
 * to itself; with several databases and no dbfilter a request without a session has no
 * database, so db-bound routes such as `/websocket` answer 404.
 */
import { randomBytes } from "node:crypto";

export interface OdooRouting {
  /** Databases in the cluster; null: a single database that accepts any name asked for. */
  databases?: string[] | null;
  /** Odoo's dbfilter as a regular expression (default: every database). */
  dbfilter?: RegExp;
  /** list_db (default true): false makes /web/database/list answer AccessDenied. */
  listDb?: boolean;
  /** What /web/webclient/version_info reports as server_version (default "17.0-20240709"). */
  version?: string;
  /** A proxy in front that drops the Upgrade/Connection headers: Odoo then answers 400. */
  proxyDropsUpgrade?: boolean;
}

export class OdooSessions {
  readonly #sessions = new Map<string, string | null>();
  constructor(readonly opts: OdooRouting) {}

  visible(): string[] | null {
    const all = this.opts.databases;
    if (all == null) return null;
    return all.filter((d) => this.opts.dbfilter?.test(d) ?? true);
  }

  /** `db_filter([db])`: note that Odoo does not check that the database exists here. */
  passesFilter(db: string): boolean {
    return this.opts.dbfilter?.test(db) ?? true;
  }

  /** The request's session id and its database, as `_get_session_and_dbname` settles them. */
  session(req: Request): { sid: string; db: string | null; fresh: boolean } {
    const m = /(?:^|;\s*)session_id=([^;]+)/.exec(req.headers.get("cookie") ?? "");
    let sid = m?.[1];
    const fresh = !sid || !this.#sessions.has(sid);
    if (!sid || fresh) sid = randomBytes(20).toString("hex");
    const stored = this.#sessions.get(sid) ?? null;
    const visible = this.visible();
    let db: string | null = null;
    if (stored && this.passesFilter(stored) && (visible == null || visible.includes(stored))) db = stored;
    else if (visible == null) db = "default";
    else if (visible.length === 1) db = visible[0];
    this.#sessions.set(sid, db);
    return { sid, db, fresh };
  }

  bind(sid: string, db: string | null): void {
    this.#sessions.set(sid, db);
  }

  /** `/web/login`: ensure_db, then the login page of the session's database. */
  login(req: Request): Response {
    const url = new URL(req.url);
    const s = this.session(req);
    const cookie = { "Set-Cookie": `session_id=${s.sid}; HttpOnly; Path=/` };
    let db = url.searchParams.get("db")?.trim() || null;
    if (db && !this.passesFilter(db)) db = null;
    if (db && db !== s.db) {
      // A new session on the asked database, then the same URL again with its cookie.
      this.bind(s.sid, db);
      return new Response(null, { status: 302, headers: { Location: url.href, ...cookie } });
    }
    if (!db) db = s.db;
    if (!db)
      return new Response(null, { status: 303, headers: { Location: "/web/database/selector", ...cookie } });
    const page = `<html><body><img src="/web/binary/company_logo?dbname=${db}"><form class="oe_login_form"></form></body></html>`;
    return new Response(page, { headers: { "Content-Type": "text/html", ...cookie } });
  }

  /** JSON-RPC routes that need no database. */
  async jsonRpc(req: Request, path: string): Promise<Response | null> {
    if (path === "/web/webclient/version_info") {
      const v = this.opts.version ?? "17.0-20240709";
      return Response.json({
        jsonrpc: "2.0",
        id: null,
        result: {
          server_version: v,
          server_version_info: [17, 0, 0, "final", 0, ""],
          server_serie: "17.0",
          protocol_version: 1,
        },
      });
    }
    if (path === "/web/database/list") {
      await req.text();
      // The default stand-in has no list of names to give: it behaves as list_db = False.
      if (this.opts.listDb === false || this.visible() == null)
        return Response.json({
          jsonrpc: "2.0",
          id: null,
          error: {
            code: 200,
            message: "Odoo Server Error",
            data: { name: "odoo.exceptions.AccessDenied", message: "Access Denied" },
          },
        });
      return Response.json({ jsonrpc: "2.0", id: null, result: this.visible() });
    }
    return null;
  }
}
