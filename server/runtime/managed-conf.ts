/**
 * The odoo.conf odoodeck writes for an Odoo it runs itself: a free port, its own data_dir and
 * logfile under the runtime's folder, and the database it serves (dbfilter pinned to it so the
 * database manager does not show the server's other databases).
 */
import type { Connection } from "../connections/types.ts";
import { AppError } from "../errors.ts";

const FREE_PORT = `import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])`;

/** A TCP port nobody listens on, asked of the server itself (its ports are not ours). */
export async function freePortOn(conn: Connection): Promise<number> {
  const res = await conn.exec(["python3", "-c", FREE_PORT], { timeoutMs: 15_000 });
  const port = Number(res.stdout.trim());
  if (res.code !== 0 || !Number.isInteger(port) || port <= 0)
    throw new AppError("E_COMMAND_FAILED", `No free port could be found on ${conn.label}`, {
      hint: "odoodeck needs python3 on the server (Odoo needs it too)",
    });
  return port;
}

export interface ManagedConfInput {
  workDir: string;
  httpPort: number;
  db: string;
  /** Further options (addons_path, db_host, db_user, workers…); null values are left out. */
  options?: Record<string, string | number | boolean | null>;
}

/** Paths of what a managed Odoo keeps in its folder. */
export function managedPaths(workDir: string) {
  return {
    conf: `${workDir}/odoo.conf`,
    dataDir: `${workDir}/data`,
    logfile: `${workDir}/odoo.log`,
  };
}

const KEY = /^[a-z_][a-z0-9_]*$/;

export function renderManagedConf(input: ManagedConfInput): string {
  const paths = managedPaths(input.workDir);
  const opts: Record<string, string | number | boolean | null> = {
    http_port: input.httpPort,
    http_interface: "127.0.0.1",
    data_dir: paths.dataDir,
    logfile: paths.logfile,
    db_name: input.db,
    dbfilter: `^${input.db.replace(/[.^$*+?()[\]{}|\\]/g, "\\$&")}$`,
    list_db: false,
    ...input.options,
  };
  const lines = ["[options]"];
  for (const [k, v] of Object.entries(opts)) {
    if (v === null || v === undefined) continue;
    // A newline in a value would smuggle in another option (e.g. admin_passwd).
    if (!KEY.test(k) || /[\r\n]/.test(String(v)))
      throw new AppError("E_VALIDATION", `The option ${k} cannot be written to odoo.conf`, {
        hint: "Option names are lower-case words; values are one line",
      });
    lines.push(`${k} = ${v === true ? "True" : v === false ? "False" : v}`);
  }
  return `${lines.join("\n")}\n`;
}
