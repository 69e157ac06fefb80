/**
 * Running a preview's Odoo: one managed runtime per preview (free port, own data_dir and log under
 * the preview's folder), the install/upgrade run before it, and the branch's addons first in the
 * addons path.
 */
import type { Runtime } from "../../../server/sdk/index.ts";
import { managedName } from "../names.ts";
import type { PreviewsCtx } from "../settings.ts";
import type { Side } from "./side.ts";
import type { PreviewRecord } from "../store.ts";

export type PreviewRuntime = Runtime & { readonly baseUrl: string | null };

export const paths = (workDir: string) => ({
  src: `${workDir}/src`,
  data: `${workDir}/data`,
  initConf: `${workDir}/init.conf`,
  initLog: `${workDir}/init.log`,
  log: `${workDir}/odoo.log`,
});

function addonsPath(side: Side, workDir: string): string {
  return [paths(workDir).src, ...side.settings.addonsPaths].join(",");
}

export async function previewRuntime(
  ctx: PreviewsCtx,
  side: Side,
  p: Pick<PreviewRecord, "name" | "dbName" | "workDir" | "port" | "instanceId">,
  extra: Record<string, string | number | null> = {},
): Promise<PreviewRuntime> {
  return ctx.runtimes.managed({
    connection: side.conn,
    name: managedName(p.name),
    odooBin: await side.odooBin(),
    workDir: p.workDir,
    db: p.dbName,
    ...(p.port ? { httpPort: p.port } : {}),
    options: { addons_path: addonsPath(side, p.workDir), ...side.dbOptions(), ...extra },
    instanceId: null,
  });
}

/**
 * Installs (`-i`) the branch's new modules and upgrades (`-u`) the changed ones, with
 * --stop-after-init, logging to init.log: kept for forensics when it fails.
 */
export async function installModules(
  side: Side,
  p: Pick<PreviewRecord, "dbName" | "workDir">,
  install: string[],
  upgrade: string[],
  signal?: AbortSignal,
): Promise<{ code: number; log: string }> {
  const at = paths(p.workDir);
  if (!install.length && !upgrade.length) return { code: 0, log: "" };
  const conf = [
    "[options]",
    `addons_path = ${addonsPath(side, p.workDir)}`,
    `data_dir = ${at.data}`,
    `logfile = ${at.initLog}`,
  ];
  for (const [k, v] of Object.entries(side.dbOptions()))
    if (v !== null && v !== "" && !/[\r\n]/.test(String(v))) conf.push(`${k} = ${v}`);
  await side.conn.writeFile(at.initConf, `${conf.join("\n")}\n`, { mode: 0o600 });
  const argv = [
    ...(await side.odooBin()),
    "-c",
    at.initConf,
    "-d",
    p.dbName,
    "--stop-after-init",
    "--no-http",
  ];
  if (install.length) argv.push("-i", install.join(","));
  if (upgrade.length) argv.push("-u", upgrade.join(","));
  const res = await side.conn.exec(argv, { timeoutMs: 3600_000, signal });
  const st = await side.conn.stat(at.initLog);
  const log = st ? await new Response(side.conn.readFile(at.initLog)).text() : "";
  return { code: res.code, log: log || res.stderr };
}
