/**
 * Which odoo.conf keys hold secrets, so pages, API answers and logs can mask them.
 * Errs on the side of masking: any key that looks like a password, secret, token or key is one,
 * unless it is a known harmless name (a file path, a connection count…).
 */
const NOT_SECRET = new Set([
  "db_maxconn",
  "db_maxconn_gevent",
  "smtp_ssl_certificate_filename",
  "smtp_ssl_private_key_filename",
  "websocket_keep_alive_timeout",
  "geoip_city_db",
  "geoip_country_db",
]);

const SECRET_RE = /pass|secret|token|key|credential|api_?key/i;

export function isSecretKey(key: string): boolean {
  const k = key.trim().toLowerCase();
  if (NOT_SECRET.has(k)) return false;
  return SECRET_RE.test(k);
}

export const MASK = "••••••••";

/** A fixed-length mask, so the length of the secret does not leak; empty stays empty. */
export function maskValue(value: string | null | undefined): string {
  return value == null || value === "" ? "" : MASK;
}

/** A copy of the options with every secret value masked. */
export function maskSecrets<T extends string | null>(options: Record<string, T>): Record<string, T | string> {
  const out: Record<string, T | string> = {};
  for (const [k, v] of Object.entries(options)) out[k] = isSecretKey(k) && v != null ? maskValue(v) : v;
  return out;
}
