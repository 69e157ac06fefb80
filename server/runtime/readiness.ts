/**
 * Is Odoo answering? `/web/health` (Odoo 15+: `{"status": "pass"}`), else `/web/login?db=` for
 * the instance's database (older Odoo, or a proxy that hides /web/health). The request is made
 * from the instance's server (through its connection) so a port bound to loopback there counts:
 * what odoodeck's own machine can reach is not the question.
 */
import type { Connection } from "../connections/types.ts";
import { AppError } from "../errors.ts";
import type { Readiness, WaitReadyOptions } from "./types.ts";

/** Prints the HTTP status and the start of the body; any failure prints 0. Python is where Odoo is. */
const PROBE = `
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))
    print(r.status); print(r.read(256).decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)
`;

/**
 * A GET made from the instance's server (through its connection: a port bound to loopback there
 * counts), without following redirects. Any failure answers status 0; `body` is its first 256
 * characters.
 * @example
 * const r = await httpGetOnServer(conn, "http://127.0.0.1:8069/web/login?db=acme", 5000);
 * if (r.status !== 200) throw new Error("the login page does not answer");
 */
export async function httpGetOnServer(
  conn: Connection,
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  if (conn.kind === "local") {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      return { status: r.status, body: (await r.text()).slice(0, 256) };
    } catch {
      return { status: 0, body: "" };
    }
  }
  const res = await conn
    .exec(["python3", "-c", PROBE, url, String(timeoutMs / 1000)], { timeoutMs: timeoutMs + 5000 })
    .catch(() => null);
  const [status, ...body] = (res?.stdout ?? "0").split("\n");
  return { status: Number(status) || 0, body: body.join("\n") };
}

/**
 * One probe; null while Odoo does not answer.
 * @example await probeOdoo(conn, "http://127.0.0.1:8069", "acme_prod") // → "/web/health"
 */
export async function probeOdoo(
  conn: Connection,
  baseUrl: string,
  db: string | null,
  timeoutMs = 2000,
): Promise<Readiness["via"] | null> {
  const health = await httpGetOnServer(conn, `${baseUrl}/web/health`, timeoutMs);
  if (health.status === 200 && /"status"\s*:\s*"pass"/.test(health.body)) return "/web/health";
  if (health.status === 0) return null;
  const login = await httpGetOnServer(
    conn,
    `${baseUrl}/web/login${db ? `?db=${encodeURIComponent(db)}` : ""}`,
    timeoutMs,
  );
  return login.status === 200 ? "/web/login" : null;
}

/** Polls until Odoo answers; readiness time counts from `since` (the start or restart). */
export async function waitForOdoo(
  conn: Connection,
  baseUrl: string,
  db: string | null,
  since: number,
  opts: WaitReadyOptions & { alive?: () => Promise<boolean> } = {},
): Promise<Readiness> {
  const until = Date.now() + (opts.timeoutMs ?? 60_000);
  let delay = 50;
  let aliveAt = Date.now();
  while (Date.now() < until) {
    if (opts.signal?.aborted) throw new AppError("E_CANCELLED");
    const via = await probeOdoo(conn, baseUrl, db);
    if (via) return { readyMs: Date.now() - since, via, at: new Date().toISOString() };
    // Asking the process manager (systemctl show, docker inspect) costs far more than a probe:
    // once a second is enough to notice a crash, and probes stay 100 ms apart.
    const askAlive = opts.alive && Date.now() - aliveAt >= 1000;
    if (askAlive) aliveAt = Date.now();
    if (askAlive && !(await opts.alive!()))
      throw new AppError("E_NOT_READY", `Odoo stopped before it answered on ${baseUrl}`, {
        hint: "Read its log below the buttons: it usually says why (a wrong addons path, a port in use)",
      });
    await Bun.sleep(delay);
    delay = 100; // A probe is cheap; a longer gap only adds to the readiness time users wait for.
  }
  throw new AppError(
    "E_NOT_READY",
    `Odoo did not answer on ${baseUrl} within ${opts.timeoutMs ?? 60_000} ms`,
    {
      hint: "Check its log; a first start with many modules can take longer than usual",
    },
  );
}
