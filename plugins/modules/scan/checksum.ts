import type { Connection } from "../../../server/sdk/index.ts";
import { readBytes } from "./read-text.ts";

/** What never counts as a change of a module: compiled files and VCS data. */
const SKIP_DIRS = new Set(["__pycache__", ".git"]);
const SKIP_FILES = /\.(pyc|pyo)$|^\.DS_Store$/;

/** Relative paths of the files of a module folder, sorted, walked through the connection. */
export async function moduleFiles(
  conn: Connection,
  dir: string,
  opts: { skipStatic?: boolean } = {},
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await conn.list(rel ? `${dir}/${rel}` : dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const type = e.type === "symlink" ? ((await conn.stat(e.path))?.type ?? "other") : e.type;
      if (type === "dir") {
        if (SKIP_DIRS.has(e.name) || (opts.skipStatic && r === "static")) continue;
        await walk(r);
      } else if (type === "file" && !SKIP_FILES.test(e.name)) out.push(r);
    }
  };
  await walk("");
  return out.sort();
}

/**
 * sha256 over the sorted relative paths and contents of a module's files (as click-odoo-update
 * does): any edit, addition, removal or rename changes it, a rebuilt .pyc does not.
 * @example await moduleChecksum(conn, "/opt/odoo/addons/crm") // "9f2c…"
 */
export async function moduleChecksum(
  conn: Connection,
  dir: string,
  opts: { skipStatic?: boolean } = {},
): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for (const rel of await moduleFiles(conn, dir, opts)) {
    // Length-prefixed so "ab"+"c" and "a"+"bc" never hash alike.
    const content = await readBytes(conn, `${dir}/${rel}`);
    h.update(`${rel}\0${content.byteLength}\0`);
    h.update(content);
  }
  return h.digest("hex");
}
