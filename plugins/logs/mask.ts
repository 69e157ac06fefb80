import type { LogRecord } from "./record.ts";

/**
 * Masks secrets in log text before it leaves the server side. Errs on the side of masking: a
 * false positive hides a harmless value, a false negative leaks a password to a browser.
 */
export const MASK = "••••••••";

const RULES: Array<[RegExp, string]> = [
  // Authorization: Bearer abc / Basic abc (header dumps, debug logs of requests).
  [/\b(authorization\s*[:=]\s*["']?(?:bearer|basic|token)\s+)[^\s"',;]+/gi, `$1${MASK}`],
  [/\b(bearer\s+)[A-Za-z0-9\-._~+/]{12,}=*/gi, `$1${MASK}`],
  // key=value and key: value, quoted or not, for every key that names a secret.
  [
    /\b([\w.-]*(?:passw(?:or)?d|pwd|secret|api[_-]?key|apikey|_key|token|private[_-]?key)["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s,;&)}\]]+)/gi,
    `$1${MASK}`,
  ],
  // Payment-provider style keys: pk_live_…, sk_test_…, rk_live_…, whsec_…
  [/\b((?:pk|sk|rk)_(?:live|test)_)[A-Za-z0-9]+/g, `$1${MASK}`],
  [/\b(whsec_)[A-Za-z0-9]+/g, `$1${MASK}`],
  // Credentials inside URLs: postgres://user:secret@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${MASK}@`],
];

/** Every rule needs one of these words: most lines have none, and skip the six replaces. */
const MAYBE_SECRET =
  /passw|pwd|secret|api[_-]?key|apikey|_key|token|bearer|basic|authorization|_live_|_test_|whsec_|:\/\//i;

export function maskSecrets(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text;
  for (const [re, to] of RULES) out = out.replace(re, to);
  return out;
}

/** A copy of the record with secrets masked in its message and continuation lines. */
export function maskRecord(r: LogRecord): LogRecord {
  const message = maskSecrets(r.message);
  const continuation = r.continuation.map(maskSecrets);
  const http = r.http ? { ...r.http, path: maskSecrets(r.http.path) } : undefined;
  return { ...r, message, continuation, ...(http ? { http } : {}) };
}
