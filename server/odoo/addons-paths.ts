/**
 * Whether each addons_path entry exists on the instance's server: the one check behind the
 * Modules tab's banner and the Config tab's findings, so the two pages never disagree.
 */
import type { Connection } from "../connections/types.ts";
import { toAppError } from "../errors.ts";

export interface AddonsPathProblem {
  code: string;
  message: string;
  hint: string;
}

/** The problem shown for an addons path that could not be listed. */
export function addonsPathProblem(path: string, e: unknown): AddonsPathProblem {
  const err = toAppError(e);
  return {
    code: err.code,
    message: err.code === "E_FILE_NOT_FOUND" ? `Addons path ${path} does not exist` : err.message,
    hint: "Fix addons_path in odoo.conf: Odoo will not find the modules it lists",
  };
}

/**
 * Lists each addons path through the connection; returns the ones that fail, with why.
 * @example const bad = await checkAddonsPaths(conn, settings.addonsPaths); // [{ path, problem }]
 */
export async function checkAddonsPaths(
  conn: Connection,
  paths: string[],
): Promise<Array<{ path: string; problem: AddonsPathProblem }>> {
  const out: Array<{ path: string; problem: AddonsPathProblem }> = [];
  for (const raw of paths) {
    const path = raw.replace(/\/+$/, "") || "/";
    await conn.list(path).catch((e) => out.push({ path, problem: addonsPathProblem(path, e) }));
  }
  return out;
}
