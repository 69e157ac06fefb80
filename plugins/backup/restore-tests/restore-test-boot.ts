/**
 * The last proof of a restore test: Odoo serves the scratch copy. A managed runtime (own conf,
 * free port, crons off) starts Odoo on it, `/web/health` must answer, and a user signs in through
 * POST /web/login with a one-off password written to the scratch copy only (we never know, nor
 * want, the real ones). The time until Odoo answered is the "boot" half of the measured RTO.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { httpGetOnServer, type odoo, type PluginContext } from "../../../server/sdk/index.ts";
import type { TargetSide } from "../restore/restore-request.ts";
import { timed } from "./restore-test-checks.ts";
import type { CheckOutcome } from "./restore-test-store.ts";

/** passlib's pbkdf2_sha512 format, which Odoo's CryptContext verifies ("ab64": base64, + → ., no =). */
export function odooPasswordHash(password: string, rounds = 25_000): string {
  const ab64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "").replace(/\+/g, ".");
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, rounds, 64, "sha512");
  return `$pbkdf2-sha512$${rounds}$${ab64(salt)}$${ab64(key)}`;
}

/** POST /web/login from the server's side; a 303 away from the login page is a signed-in user. */
const LOGIN = `
import sys, urllib.request, urllib.parse, urllib.error
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a): return None
base, db, login, pw = sys.argv[1:5]
opener = urllib.request.build_opener(Stay, urllib.request.HTTPCookieProcessor())
csrf = ""
try:
    page = opener.open(base + "/web/login?db=" + urllib.parse.quote(db), timeout=30).read().decode("utf-8", "replace")
    import re; m = re.search(r'name="csrf_token" value="([^"]+)"', page); csrf = m.group(1) if m else ""
except Exception: pass
body = urllib.parse.urlencode({"login": login, "password": pw, "db": db, "csrf_token": csrf, "redirect": "/web"}).encode()
try:
    r = opener.open(urllib.request.Request(base + "/web/login", data=body), timeout=30)
    print(r.status); print(r.headers.get("Location") or "")
except urllib.error.HTTPError as e:
    print(e.code); print(e.headers.get("Location") or "")
except Exception:
    print(0); print("")
`;

async function signIn(side: TargetSide, baseUrl: string, db: odoo.OdooDb) {
  const user = (
    await db.query<{ id: number; login: string }>(
      "SELECT id, login FROM res_users WHERE active AND id > 1 AND share IS NOT TRUE ORDER BY id LIMIT 1",
    )
  )[0];
  if (!user) return { ok: false, detail: "no active internal user to sign in with" };
  const password = randomBytes(18).toString("base64url");
  await db.query("UPDATE res_users SET password = :'h' WHERE id = :id", {
    h: odooPasswordHash(password),
    id: Number(user.id),
  });
  const res = await side.conn.exec(["python3", "-c", LOGIN, baseUrl, db.database, user.login, password], {
    timeoutMs: 70_000,
  });
  const [status, to = ""] = res.stdout.trim().split("\n");
  const ok = status === "303" && !to.includes("/web/login");
  return { ok, detail: ok ? `${user.login} signed in` : `${user.login} could not sign in (HTTP ${status})` };
}

export interface BootOutcome {
  check: CheckOutcome;
  /** Seconds from start until Odoo answered; null when it did not. */
  bootSeconds: number | null;
}

/** Starts Odoo on the scratch copy, checks /web/health and a sign-in, and always stops it. */
export async function bootCheck(
  ctx: PluginContext,
  side: TargetSide,
  exe: odoo.OdooExecutable,
  o: { db: odoo.OdooDb; instanceId: number; signal?: AbortSignal; log: (l: string) => void },
): Promise<BootOutcome> {
  let bootSeconds: number | null = null;
  const workDir = `${side.dataDir}/odoodeck-rt/${o.db.database}`;
  const rt = ctx.runtimes.managed({
    connection: side.conn,
    name: `rt-${o.instanceId}`,
    odooBin: exe.argv,
    workDir,
    db: o.db.database,
    // the target's data_dir holds the scratch filestore; crons stay off on a copy
    options: {
      data_dir: side.dataDir,
      addons_path: side.addonsPaths.join(",") || null,
      db_host: side.pg.host ?? null,
      db_port: side.pg.port ?? null,
      db_user: side.pg.user ?? null,
      db_password: side.pg.password ?? null,
      max_cron_threads: 0,
      workers: 0,
    },
    instanceId: null,
  });
  const check = await timed("odoo", async () => {
    try {
      await rt.start();
      const ready = await rt.waitReady({ timeoutMs: 10 * 60_000, signal: o.signal });
      bootSeconds = Math.round(ready.readyMs / 10) / 100;
      o.log(`Odoo answered ${ready.via} after ${bootSeconds} s (${rt.label})`);
      const health = await httpGetOnServer(side.conn, `${rt.baseUrl}/web/health`, 10_000);
      if (health.status !== 200)
        return { status: "failed", message: `Odoo started but /web/health answered ${health.status}` };
      const login = await signIn(side, rt.baseUrl!, o.db);
      if (!login.ok) return { status: "failed", message: `Odoo serves the copy, but ${login.detail}` };
      return {
        status: "ok",
        message: `Odoo served the copy after ${bootSeconds} s: /web/health answers, ${login.detail}`,
        details: { bootSeconds },
      };
    } finally {
      await rt.stop().catch(() => {});
      await side.conn.exec(["rm", "-rf", "--", workDir], { timeoutMs: 60_000 }).catch(() => {});
    }
  });
  return { check, bootSeconds: check.status === "ok" ? bootSeconds : null };
}
