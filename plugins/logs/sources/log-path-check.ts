import { posix } from "node:path";
import { AppError, type Connection } from "odoodeck/sdk";
import { parseHeader } from "../parse/parser.ts";
import { readRange } from "../read/read-range.ts";

/**
 * What an admin may add as an extra "log path". Every viewer of the instance can read and
 * download it, so a path is a file-disclosure grant (issue 14.8): odoodeck's own data directory
 * (secret.key, the store), system and credential files are refused, and the file must look like
 * a log — text, and either named or placed like one, or starting with Odoo log records.
 */

/** Folders and names that hold credentials or system state, never logs. */
const SENSITIVE_DIRS = ["/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run/secrets"];
const SENSITIVE_SEGMENT = /^(\.ssh|\.gnupg|\.aws|\.docker|\.kube|\.config)$/;
const SENSITIVE_NAME =
  /^(shadow|gshadow|passwd|sudoers|authorized_keys|known_hosts|id_[a-z0-9]+(\.pub)?|\.pgpass|\.netrc|\.env|.*\.(key|pem|p12|pfx|crt|kdbx|db|sqlite3?|conf|cfg|ini))$/i;
const LOG_NAME = /\.log([.-][0-9][0-9._-]*)?(\.gz)?$|\.log\.gz$/;
const LOG_DIR = /(^|\/)(log|logs)\//;
const SNIFF_BYTES = 8192;

const under = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

function refused(path: string, why: string, hint: string): AppError {
  return new AppError("E_NOT_A_LOG", `${path} cannot be added as a log: ${why}`, { hint });
}

/** Refuses by name alone (no I/O): the data directory, system and credential files. */
export function assertNotSensitive(path: string, dataDir: string): void {
  const p = posix.normalize(path);
  if (under(posix.normalize(dataDir), p))
    throw refused(
      p,
      "it is inside odoodeck's data directory",
      "odoodeck's own files are never shown as logs",
    );
  const segments = p.split("/").filter(Boolean);
  if (
    SENSITIVE_DIRS.some((d) => under(d, p)) ||
    segments.some((s) => SENSITIVE_SEGMENT.test(s)) ||
    SENSITIVE_NAME.test(segments.at(-1) ?? "")
  )
    throw refused(
      p,
      "it is a system or credential file",
      "Add the Odoo log files themselves, e.g. /var/log/odoo/odoo-worker.log",
    );
}

/**
 * Checks a path before it becomes readable by every viewer: the real path (symlinks resolved on
 * the server) is not sensitive, and the file is text that is named or placed like a log or
 * starts with Odoo log records.
 */
export async function assertLooksLikeLog(conn: Connection, path: string, dataDir: string): Promise<void> {
  assertNotSensitive(path, dataDir);
  const st = await conn.stat(path);
  if (!st)
    throw new AppError("E_FILE_NOT_FOUND", `${path} does not exist on the instance's server`, {
      hint: "Check the path; odoodeck adds only files that exist",
    });
  if (st.type !== "file")
    throw refused(path, "it is not a file", "Give the path of a log file, not a folder");
  const real = await conn.exec(["realpath", "-e", "--", path]);
  const target = real.code === 0 ? real.stdout.trim() : path;
  if (target !== path) assertNotSensitive(target, dataDir);
  const named = LOG_NAME.test(target) || LOG_DIR.test(target);
  if (target.endsWith(".gz")) {
    if (named) return;
    throw refused(
      path,
      "a compressed file that is not named like a log",
      "Add files named *.log or *.log.N.gz",
    );
  }
  const head = await readRange(conn, path, 0, SNIFF_BYTES);
  if (head.includes(0)) throw refused(path, "it is not a text file", "A log is text; add the Odoo log file");
  if (named) return;
  const lines = new TextDecoder().decode(head).split("\n").slice(0, 20);
  if (lines.some((l) => parseHeader(l.replace(/\r$/, "")) !== null)) return;
  throw refused(
    path,
    "it is neither named like a log (*.log, under a log folder) nor starts with Odoo log lines",
    "Add the log files Odoo writes (its logfile option), e.g. /var/log/odoo/odoo-worker.log",
  );
}
