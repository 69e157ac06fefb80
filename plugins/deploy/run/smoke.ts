/**
 * The check after a deploy: Odoo answers (waitReady), its login page for the instance's database
 * answers 200, and its log has no ERROR or CRITICAL line since the restart.
 */
import {
  AppError,
  httpGetOnServer,
  type InstanceHandle,
  type Runtime,
  type StepApi,
} from "../../../server/sdk/index.ts";

/** Odoo logs in UTC (it sets TZ=UTC itself): "2024-07-09 10:00:00,123 4242 ERROR db logger: …". */
const LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \d+ (ERROR|CRITICAL) /;

/** ERROR/CRITICAL lines logged at or after `since` (ms), with a second of slack for clocks. */
export function errorsSince(log: string, since: number): string[] {
  return log.split("\n").filter((l) => {
    const m = LINE.exec(l);
    return m ? Date.parse(`${m[1].replace(" ", "T")}.${m[2]}Z`) >= since - 1000 : false;
  });
}

export async function smokeCheck(
  inst: InstanceHandle,
  rt: Runtime,
  httpPort: number,
  restartedAt: number,
  s: StepApi,
  timeoutMs: number,
): Promise<{ readyMs: number; login: number }> {
  const ready = await rt.waitReady({ timeoutMs, signal: s.signal });
  s.log(`Odoo answered ${ready.via} after ${ready.readyMs} ms`);
  const conn = await inst.connection();
  const url = `http://127.0.0.1:${httpPort}/web/login${inst.dbName ? `?db=${encodeURIComponent(inst.dbName)}` : ""}`;
  const login = await httpGetOnServer(conn, url, 10_000);
  if (login.status !== 200)
    throw new AppError(
      "E_NOT_READY",
      `The login page answered ${login.status || "nothing"} after the deploy`,
      {
        hint: `GET ${url} from the server; the deploy was rolled back`,
      },
    );
  const errors = errorsSince(await rt.logs({ lines: 2000 }), restartedAt);
  if (errors.length)
    throw new AppError(
      "E_NOT_READY",
      `Odoo logged ${errors.length} error(s) since the restart: ${errors[0].slice(0, 300)}`,
      {
        hint: "Read Odoo's log; the deploy was rolled back",
      },
    );
  s.log("login page 200, no ERROR in the log since the restart");
  return { readyMs: ready.readyMs, login: login.status };
}
