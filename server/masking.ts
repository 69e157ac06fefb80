/**
 * The one set of rules that decides what is a secret, for every surface: odoo.conf keys, system
 * parameters, log lines, odoodeck's own log fields. Pages, API answers, downloads, searches and
 * counts all go through it, so a secret masked in one place is masked the same way everywhere.
 * Errs on the side of masking: a false positive hides a harmless value, a false negative leaks a
 * password to a browser.
 */

/**
 * What every masked secret looks like: fixed length, so the secret's length does not leak.
 * @example
 * masking.maskValue("pr0d-db-pass") === masking.MASK; // true
 */
export const MASK = "••••••••";

/** Key names that contain a secret word but hold none (a file path, a count, a timeout). */
const NOT_SECRET_KEYS = new Set([
  "db_maxconn",
  "db_maxconn_gevent",
  "smtp_ssl_certificate_filename",
  "smtp_ssl_private_key_filename",
  "websocket_keep_alive_timeout",
  "geoip_city_db",
  "geoip_country_db",
]);

const SECRET_KEY_RE = /pass|pwd|secret|token|key|credential|authorization/i;

/**
 * True when a key (conf option, system parameter, field, `key=` in a log line) names a secret.
 * @example
 * masking.isSecretKey("db_password"); // true
 * masking.isSecretKey("db_maxconn"); // false
 */
export function isSecretKey(key: string): boolean {
  const k = key.trim().toLowerCase();
  if (NOT_SECRET_KEYS.has(k)) return false;
  return SECRET_KEY_RE.test(k);
}

/** Well-known credential shapes, secret whatever key they are stored under or wherever they appear. */
const SECRET_SHAPES = [
  String.raw`\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]+`, // Stripe-style keys
  String.raw`\bwhsec_[A-Za-z0-9]+`, // webhook signing secrets
  String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`, // GitHub tokens
  String.raw`\bAKIA[0-9A-Z]{12,}`, // AWS access keys
  String.raw`\bxox[abprs]-[A-Za-z0-9-]+`, // Slack tokens
  String.raw`\beyJ[\w-]+\.[\w-]+\.[\w-]*`, // JWTs
  String.raw`\$pbkdf2-[\w$./+-]+`, // password hashes are as good as passwords offline
];
const SHAPE_AT_START = new RegExp(`^(?:${SECRET_SHAPES.join("|")})`);
const SHAPE_ANYWHERE = new RegExp(SECRET_SHAPES.join("|"), "g");
const PRIVATE_KEY_RE = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** odoo.conf's own credentials: masked whatever their value. */
const ALWAYS_SECRET = new Set(["admin_passwd", "db_password", "smtp_password"]);

/**
 * True when `value` has the shape of a credential (a live API key, a token, a password hash).
 * @example
 * masking.looksLikeSecret("pk_live_ABC123"); // true
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  return SHAPE_AT_START.test(v) || PRIVATE_KEY_RE.test(v);
}

/**
 * True when the value stored under `key` is a secret: by the key's name or the value's shape.
 * @example
 * masking.isSecret("acme.payment_provider_key", "pk_live_ABC123"); // true
 * masking.isSecret("auth_signup.reset_password", "True"); // false: a flag, not a password
 */
export function isSecret(key: string, value: string | null | undefined): boolean {
  if (ALWAYS_SECRET.has(key.trim().toLowerCase())) return true;
  // A flag such as auth_signup.reset_password = True names a password but holds none.
  if (value != null && /^(true|false)$/i.test(value.trim())) return false;
  if (isSecretKey(key)) return true;
  return !!value && looksLikeSecret(value);
}

/**
 * The fixed mask for a value; empty and missing stay as they are (nothing to hide).
 * @example
 * masking.maskValue("hunter2"); // "••••••••"
 * masking.maskValue(""); // ""
 */
export function maskValue(value: string | null | undefined): string {
  return value == null || value === "" ? "" : MASK;
}

/**
 * What pages and API answers show for a value stored under `key`.
 * @example
 * masking.shownValue("db_password", "s3cret"); // "••••••••"
 * masking.shownValue("db_host", "10.0.0.12"); // "10.0.0.12"
 */
export function shownValue(key: string, value: string | null | undefined): string | null {
  if (value == null) return null;
  return isSecret(key, value) ? maskValue(value) : value;
}

/**
 * A copy of key → value options with every secret value masked.
 * @example
 * masking.maskOptions({ db_user: "odoo", db_password: "s3cret" }); // { db_user: "odoo", db_password: "••••••••" }
 */
export function maskOptions<T extends string | null>(options: Record<string, T>): Record<string, T | string> {
  const out: Record<string, T | string> = {};
  for (const [k, v] of Object.entries(options)) out[k] = v != null && isSecret(k, v) ? maskValue(v) : v;
  return out;
}

// `key=value`, `key: value`, `"key": "value"` in free text; the key decides (through isSecret).
const KEY_VALUE_RE = /([\w.-]+)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&)}\]]+)/g;
// Authorization: Bearer abc / Basic abc, and a bare "Bearer <long token>".
const AUTH_RE = /\b((?:authorization\s*[:=]\s*["']?)?(?:bearer|basic|token)\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi;
// Credentials inside URLs: postgres://user:secret@host
const URL_CREDENTIALS_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;
/** Every text rule needs one of these: most log lines have none and skip the replaces. */
const MAYBE_SECRET =
  /pass|pwd|secret|token|key|credential|authorization|bearer|basic|_live_|_test_|whsec_|gh[pousr]_|AKIA|xox|eyJ|pbkdf2|:\/\//i;

/**
 * Masks every secret in a line of free text (a log line, an error message): values of keys that
 * name a secret, credential shapes anywhere, Authorization headers, passwords in URLs.
 * @example
 * masking.maskText("connect db_password=s3cret host=db"); // "connect db_password=•••••••• host=db"
 * masking.maskText("charged with pk_live_ABC123"); // "charged with ••••••••"
 */
export function maskText(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text.replace(AUTH_RE, (_m, head: string) => `${head}${MASK}`);
  out = out.replace(URL_CREDENTIALS_RE, `$1${MASK}@`);
  out = out.replace(KEY_VALUE_RE, (m, key: string, sep: string, value: string) =>
    value === MASK || AUTH_SCHEME.test(value) || !isSecret(key, unquote(value)) ? m : `${key}${sep}${MASK}`,
  );
  return out.replace(SHAPE_ANYWHERE, MASK);
}

const AUTH_SCHEME = /^(bearer|basic|token)$/i;
const unquote = (v: string) => (/^(["']).*\1$/.test(v) ? v.slice(1, -1) : v);
