/**
 * What a changed file asks of Odoo, as Odoo.sh and Oduflow decide it: data Odoo loads into the
 * database (views, records, access rules, translations, migration scripts) needs `-u`; Python
 * needs a restart to be imported again; static assets only a cache bust, which Odoo does itself
 * (asset bundles are keyed by the files' checksums).
 */
export type Action = "install" | "upgrade" | "restart" | "none";

/** Heaviest first: a deploy does what its heaviest change needs. */
export const WEIGHT: Record<Action, number> = { none: 0, restart: 1, upgrade: 2, install: 3 };
export const heaviest = (actions: Action[]): Action =>
  actions.reduce<Action>((a, b) => (WEIGHT[b] > WEIGHT[a] ? b : a), "none");

const DATA_EXT = /\.(xml|csv|sql|ya?ml|po|pot)$/i;

/** `rel`: the file's path inside its module folder. */
export function fileAction(rel: string): { action: Action; reason: string } {
  if (rel === "__manifest__.py" || rel === "__openerp__.py")
    return { action: "upgrade", reason: "manifest changed" };
  const top = rel.split("/")[0];
  if (top === "static") return { action: "none", reason: "static assets (cache bust)" };
  if (top === "tests") return { action: "none", reason: "tests only" };
  if (top === "migrations" || top === "upgrades")
    return { action: "upgrade", reason: `migration script ${rel}` };
  if (DATA_EXT.test(rel)) return { action: "upgrade", reason: `data file ${rel}` };
  if (rel.endsWith(".py")) return { action: "restart", reason: "Python code" };
  return { action: "none", reason: "documentation or other files" };
}

/** The `version` of a manifest's text (a Python dict literal); null when absent. */
export function manifestVersion(text: string | null): string | null {
  if (!text) return null;
  return /["']version["']\s*:\s*["']([^"']+)["']/.exec(text)?.[1] ?? null;
}
