import { odoo } from "../../server/sdk/index.ts";

/**
 * Decides which values are secrets, by key (the SDK's rule: pass, secret, token, key…) and by
 * value (well-known credential shapes stored under innocent names).
 */
const SECRET_VALUE_RE = [
  /^(sk|pk|rk)_(live|test)_/i, // Stripe-style keys
  /^gh[pousr]_[A-Za-z0-9]{20,}/, // GitHub tokens
  /^AKIA[0-9A-Z]{12,}/, // AWS access keys
  /^xox[abprs]-/, // Slack tokens
  /^eyJ[\w-]+\.[\w-]+\./, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^\$pbkdf2-/, // password hashes are as good as passwords offline
];

/** odoo.conf's own credentials: masked whatever their value. */
const ALWAYS_SECRET = new Set(["admin_passwd", "db_password", "smtp_password"]);

export function isSecret(key: string, value: string | null | undefined): boolean {
  if (ALWAYS_SECRET.has(key)) return true;
  // A flag such as auth_signup.reset_password = True names a password but holds none.
  if (value != null && /^(true|false)$/i.test(value.trim())) return false;
  if (odoo.isSecretKey(key)) return true;
  if (!value) return false;
  return SECRET_VALUE_RE.some((re) => re.test(value.trim()));
}

/** What pages and API answers show for a value: the fixed mask for secrets. */
export function shown(key: string, value: string | null | undefined): string | null {
  if (value == null) return null;
  return isSecret(key, value) ? odoo.maskValue(value) : value;
}

/**
 * Digest stored instead of a secret: salted (per odoodeck install) so a short password cannot be
 * looked up in a precomputed table, stable so a change is still detected.
 */
export function secretDigest(salt: string, value: string): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(salt);
  h.update("\0");
  h.update(value);
  return `sha256:${h.digest("hex")}`;
}
