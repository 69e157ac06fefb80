/**
 * A preview's filestore as hard links to its template's: Odoo writes a filestore file once under
 * its checksum and never changes it in place (it writes a new file and garbage-collects the old),
 * so sharing inodes is safe and costs no disk. Across filesystems links are impossible (EXDEV):
 * then a real copy.
 */
import { AppError, type Connection } from "../../../server/sdk/index.ts";

export type LinkMethod = "hardlink" | "copy" | "empty";

export async function linkTree(conn: Connection, from: string, to: string): Promise<LinkMethod> {
  if (!(await conn.stat(from))) {
    await conn.mkdir(to, { recursive: true, mode: 0o700 });
    return "empty";
  }
  await conn.mkdir(to.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o700 });
  const linked = await conn.exec(["cp", "-al", "--", from, to], { timeoutMs: 3600_000 });
  if (linked.code === 0) return "hardlink";
  if (!/cross-device|EXDEV/i.test(linked.stderr))
    throw new AppError("E_COMMAND_FAILED", `Linking the filestore failed: ${linked.stderr.trim()}`);
  await conn.remove(to, { recursive: true }).catch(() => {});
  const copied = await conn.exec(["cp", "-a", "--", from, to], { timeoutMs: 6 * 3600_000 });
  if (copied.code !== 0)
    throw new AppError("E_COMMAND_FAILED", `Copying the filestore failed: ${copied.stderr.trim()}`);
  return "copy";
}
