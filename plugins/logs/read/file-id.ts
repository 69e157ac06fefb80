import { AppError, type Connection } from "odoodeck/sdk";

/** A file's identity ("<dev>:<inode>", as follow cursors use it) and its size right now. */
export async function fileIdentity(
  conn: Connection,
  path: string,
  signal?: AbortSignal,
): Promise<{ id: string; size: number }> {
  // stat exits 1 for a missing or unreadable file: those get their own codes; any other failure
  // is conn.run's E_COMMAND_FAILED with stat's own words.
  const r = await conn.run(["stat", "-L", "-c", "%d:%i %s %F", "--", path], {
    env: { LC_ALL: "C" },
    timeoutMs: 30_000,
    signal,
    okCodes: [0, 1],
    what: `Inspecting ${path}`,
  });
  const m = /^(\d+:\d+) (\d+) (.*)$/.exec(r.stdout.trim());
  if (r.code !== 0 || !m) {
    if (/no such file/i.test(r.stderr))
      throw new AppError("E_FILE_NOT_FOUND", `The log file ${path} does not exist`, {
        hint: "Check `logfile` in odoo.conf; Odoo creates the file when it starts",
      });
    if (/permission denied/i.test(r.stderr))
      throw new AppError("E_PERMISSION", `The log file ${path} cannot be read`, {
        hint: "Give the connection's user read access, e.g. add it to the group that owns the log",
      });
    throw new AppError("E_COMMAND_FAILED", `Cannot inspect ${path} on ${conn.label}`, {
      hint: "Check that `stat` (coreutils) is installed on the server",
      details: r.stderr.slice(0, 500),
    });
  }
  if (!m[3].startsWith("regular"))
    throw new AppError("E_VALIDATION", `${path} is not a regular file (${m[3]})`, {
      hint: "Point `logfile` (or the extra log path) at a file, not a folder or a device",
    });
  return { id: m[1], size: Number(m[2]) };
}
