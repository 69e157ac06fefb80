/**
 * Files odoodeck makes for an Odoo (a restored or cloned filestore, a data_dir) must belong to
 * the Odoo service user, or Odoo cannot write its attachments and sessions (FIELD-LESSONS: "the
 * filestore came back owned by the wrong user"). Only root can give files away: otherwise what
 * odoodeck writes is its own user's already and nothing is changed.
 */
import type { Connection } from "../connections/types.ts";
import { AppError } from "../errors.ts";

export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * The owner of the instance's data_dir (the Odoo service user) when odoodeck acts as root on that
 * server; null when it does not (or the data_dir is missing).
 * @example
 * const owner = await odoo.serviceOwner(conn, settings.dataDir);
 */
export async function serviceOwner(conn: Connection, dataDir: string): Promise<FileOwner | null> {
  const id = await conn.exec(["id", "-u"]);
  if (id.code !== 0 || id.stdout.trim() !== "0") return null;
  const st = await conn.stat(dataDir);
  return st ? { uid: st.uid, gid: st.gid } : null;
}

/**
 * `chown -R` of a tree to `owner` (nothing when null). Hard links share their inode: chowning a
 * linked filestore changes the template's files too, which already belong to the same user.
 * @example
 * await odoo.chownTree(conn, `${workDir}/data`, owner);
 */
export async function chownTree(conn: Connection, path: string, owner: FileOwner | null): Promise<void> {
  if (!owner) return;
  const res = await conn.exec(["chown", "-R", "--", `${owner.uid}:${owner.gid}`, path], {
    timeoutMs: 3600_000,
  });
  if (res.code !== 0)
    throw new AppError("E_COMMAND_FAILED", `Setting the owner of ${path} failed: ${res.stderr.trim()}`, {
      hint: "odoodeck must act as root on that server to give files to the Odoo service user",
    });
}
