/**
 * Odoo module versions. The database stores the full version ("17.0.1.8"); a manifest may give
 * only the module part ("1.8"), which Odoo prefixes with the series (odoo.modules.module.adapt_version).
 */

/** "17.0.1.3" → "17.0"; null when the version has no series. */
export function seriesOf(version: string | null | undefined): string | null {
  const m = /^(\d+\.\d+)\./.exec(version ?? "");
  return m ? m[1] : null;
}

/**
 * The full version Odoo would record for a manifest version.
 * @example adaptVersion("1.2", "17.0") // "17.0.1.2"
 */
export function adaptVersion(version: string | null, series: string): string {
  const v = (version ?? "1.0").trim() || "1.0";
  if (v === series || !v.startsWith(`${series}.`)) return `${series}.${v}`;
  return v;
}

/** Numeric, part by part ("17.0.1.10" > "17.0.1.9"); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = Number(x);
    const ny = Number(y);
    const d = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (d) return Math.sign(d);
  }
  return 0;
}
