/**
 * After the restart: is the new code serving? The login page answers 200 for the database, and
 * Odoo's log since the restart has no ERROR or CRITICAL line (a module that fails to load leaves
 * the server up and says so only in its log).
 */
import {
  AppError,
  type InstanceHandle,
  odoo,
  type Runtime,
  type StepApi,
} from "../../../server/sdk/index.ts";

/** Odoo's log format: `2024-07-09 10:00:00,123 4242 ERROR acme odoo.modules.registry: …`. */
const FAILURE_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ (ERROR|CRITICAL) /;
/** The first line Odoo writes on every start: what comes after it is this run's. */
const START_LINE = / INFO \S+ odoo: Odoo version /;

/** The ERROR/CRITICAL lines of the latest run in a log tail. */
export function failuresSinceStart(log: string): string[] {
  const lines = log.split("\n");
  let from = 0;
  lines.forEach((l, i) => {
    if (START_LINE.test(l)) from = i;
  });
  return lines.slice(from).filter((l) => FAILURE_LINE.test(l));
}

/** Where the instance's Odoo answers on its own server: the conf's interface and port. */
async function baseUrl(inst: InstanceHandle): Promise<string> {
  const { settings } = await inst.odoo();
  const iface = settings.httpInterface;
  const host = iface && iface !== "0.0.0.0" && iface !== "::" ? iface : "127.0.0.1";
  return `http://${host}:${settings.httpPort}`;
}

export async function smokeCheck(
  s: StepApi,
  inst: InstanceHandle,
  rt: Runtime,
  dbName: string,
): Promise<{ login: number; errors: number }> {
  const url = `${await baseUrl(inst)}/web/login?db=${encodeURIComponent(dbName)}`;
  const login = await odoo.odooHttpGet(await inst.connection(), url, 10_000);
  s.log(`GET ${url} → ${login.status || "no answer"}`);
  if (login.status !== 200)
    throw new AppError("E_NOT_READY", `The login page of ${dbName} answers ${login.status || "nothing"}`, {
      hint: "The server runs but does not serve the database: read its log",
    });
  const failures = failuresSinceStart(await rt.logs({ lines: 2000 }));
  for (const l of failures) s.log(l);
  if (failures.length)
    throw new AppError(
      "E_COMMAND_FAILED",
      `Odoo logged ${failures.length} error(s) since the restart: ${failures[0].replace(/^.*? (ERROR|CRITICAL) /, "")}`,
      { hint: "The module action left the server unhealthy; read the lines in the operation log" },
    );
  s.log("login page answers 200; no ERROR in the log since the restart");
  return { login: login.status, errors: 0 };
}
