import { masking } from "odoodeck/sdk";
import { isSecret } from "./secrets.ts";

export type DiffStatus = "same" | "changed" | "only-left" | "only-right";

/** One key of a comparison, already masked: `left`/`right` never hold a secret in clear. */
export interface DiffEntry {
  key: string;
  status: DiffStatus;
  left: string | null;
  right: string | null;
  secret: boolean;
  /** Differs by nature between two instances (database.uuid, web.base.url…): not a finding. */
  expected: boolean;
}

/** Keys that legitimately differ between two instances of the same project. */
export const EXPECTED_DIFFERENT = new Set([
  // ir_config_parameter
  "database.uuid",
  "database.secret",
  "database.create_date",
  "database.enterprise_code",
  "database.expiration_date",
  "database.expiration_reason",
  "database.is_neutralized",
  "web.base.url",
  "report.url",
  "mail.catchall.domain",
  "iap.account_token",
  // odoo.conf
  "db_name",
  "dbfilter",
  "db_user",
  "db_password",
  "db_host",
  "data_dir",
  "logfile",
  "pidfile",
  "http_port",
  "gevent_port",
  "longpolling_port",
  "admin_passwd",
]);

/**
 * Compares two key→value maps. Secrets are compared on their real values (or digests) but come
 * out masked, so the answer says "differs" without saying how.
 */
export function diffMaps(
  left: Record<string, string | null>,
  right: Record<string, string | null>,
  opts: { includeSame?: boolean; secretKeys?: Set<string> } = {},
): DiffEntry[] {
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  const out: DiffEntry[] = [];
  for (const key of keys) {
    const inL = Object.hasOwn(left, key);
    const inR = Object.hasOwn(right, key);
    const l = inL ? left[key] : null;
    const r = inR ? right[key] : null;
    const status: DiffStatus = !inL ? "only-right" : !inR ? "only-left" : l === r ? "same" : "changed";
    if (status === "same" && !opts.includeSame) continue;
    const secret = !!opts.secretKeys?.has(key) || (inL && isSecret(key, l)) || (inR && isSecret(key, r));
    const mask = (v: string | null) => (secret && v != null ? masking.maskValue(v) : v);
    out.push({ key, status, left: mask(l), right: mask(r), secret, expected: EXPECTED_DIFFERENT.has(key) });
  }
  return out;
}

export interface AddonsPathEntry {
  path: string;
  status: "both" | "only-left" | "only-right";
  leftIndex: number | null;
  rightIndex: number | null;
}

/** Folders compared entry by entry (trailing slashes ignored); order changes show as indexes. */
export function diffAddonsPaths(left: string[], right: string[]): AddonsPathEntry[] {
  const norm = (p: string) => p.trim().replace(/\/+$/, "") || "/";
  const l = left.map(norm);
  const r = right.map(norm);
  const all = [...new Set([...l, ...r])];
  return all.map((path) => {
    const li = l.indexOf(path);
    const ri = r.indexOf(path);
    return {
      path,
      status: li >= 0 && ri >= 0 ? "both" : li >= 0 ? "only-left" : "only-right",
      leftIndex: li >= 0 ? li : null,
      rightIndex: ri >= 0 ? ri : null,
    };
  });
}
