/**
 * The check after Odoo was restarted with new code (module action, deploy, preview): is the new
 * code serving? Odoo answers (optionally waited for), the login page of the database answers 200,
 * and Odoo's log of this run has no ERROR or CRITICAL line — a module that fails to load leaves
 * the server up and says so only in its log. One rule for every plugin that restarts Odoo.
 */
import { AppError } from "../errors.ts";
import type { InstanceHandle, StepApi } from "../sdk/types.ts";
import { httpGetOnServer } from "./readiness.ts";
import type { Runtime } from "./types.ts";

/** Odoo's log format: `2024-07-09 10:00:00,123 4242 ERROR acme odoo.modules.registry: …` (UTC). */
const FAILURE_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \d+ (ERROR|CRITICAL) /;
/** The first line Odoo writes on every start: what comes after it is this run's. */
const START_LINE = / INFO \S+ odoo: Odoo version /;

/**
 * The ERROR/CRITICAL lines of the latest run in a log tail; with `since` (ms), only those logged
 * at or after it (a second of slack for clocks).
 * @example
 * failuresSinceStart(await rt.logs({ lines: 2000 }), restartedAt); // [] when healthy
 */
export function failuresSinceStart(log: string, since?: number): string[] {
  const lines = log.split("\n");
  let from = 0;
  lines.forEach((l, i) => {
    if (START_LINE.test(l)) from = i;
  });
  return lines.slice(from).filter((l) => {
    const m = FAILURE_LINE.exec(l);
    if (!m) return false;
    return since == null || Date.parse(`${m[1].replace(" ", "T")}.${m[2]}Z`) >= since - 1000;
  });
}

/** Where the instance's Odoo answers on its own server: the conf's interface and port. */
async function baseUrl(inst: InstanceHandle): Promise<string> {
  const { settings } = await inst.odoo();
  const iface = settings.httpInterface;
  const host = iface && iface !== "0.0.0.0" && iface !== "::" ? iface : "127.0.0.1";
  return `http://${host}:${settings.httpPort}`;
}

export interface SmokeOptions {
  /** The database whose login page must answer (default: the instance's). */
  dbName?: string | null;
  /** Only log lines at or after this time (ms) count. */
  since?: number;
  /** Wait this long for Odoo to answer first (runtime readiness); 0 or absent: don't wait. */
  waitMs?: number;
  /** Said in the error's hint: what the caller does about a failure ("the deploy was rolled back"). */
  onFailure?: string;
}

/**
 * Runs the smoke check as a step: logs what it saw and throws E_NOT_READY on a failure.
 * @example
 * await op.step("smoke check", (s) => smokeCheck(s, inst, rt, { since: restartedAt, waitMs: 60_000 }));
 */
export async function smokeCheck(
  s: StepApi,
  inst: InstanceHandle,
  rt: Runtime,
  opts: SmokeOptions = {},
): Promise<{ readyMs: number | null; login: number }> {
  const then = opts.onFailure ? `; ${opts.onFailure}` : "";
  let readyMs: number | null = null;
  if (opts.waitMs) {
    const ready = await rt.waitReady({ timeoutMs: opts.waitMs, signal: s.signal });
    readyMs = ready.readyMs;
    s.log(`Odoo answered ${ready.via} after ${ready.readyMs} ms`);
  }
  const db = opts.dbName ?? inst.dbName;
  const url = `${await baseUrl(inst)}/web/login${db ? `?db=${encodeURIComponent(db)}` : ""}`;
  // The log is read while the login page answers: both are needed, neither waits for the other.
  const [login, log] = await Promise.all([
    httpGetOnServer(await inst.connection(), url, 10_000),
    rt.logs({ lines: 2000 }),
  ]);
  s.log(`GET ${url} → ${login.status || "no answer"}`);
  if (login.status !== 200)
    throw new AppError(
      "E_NOT_READY",
      `The login page${db ? ` of ${db}` : ""} answers ${login.status || "nothing"}`,
      {
        hint: `The server runs but does not serve the database: read its log${then}`,
      },
    );
  const failures = failuresSinceStart(log, opts.since);
  for (const l of failures) s.log(l);
  if (failures.length)
    throw new AppError(
      "E_NOT_READY",
      `Odoo logged ${failures.length} error(s) since the restart: ${failures[0].replace(/^.*? (ERROR|CRITICAL) /, "").slice(0, 300)}`,
      { hint: `Read the lines in the operation log${then}` },
    );
  s.log("login page answers 200; no ERROR in the log since the restart");
  return { readyMs, login: login.status };
}
