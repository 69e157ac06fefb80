/**
 * Where to send a user after signing in. `next` comes from the address bar, so it is hostile
 * until proven otherwise: browsers drop tabs and newlines inside URLs and read `\` as `/`, so
 * `/\t/evil.example` or `/\evil.example` leave the site although they start with one slash.
 * Resolving with the WHATWG URL parser (what browsers use) against our own origin shows where a
 * browser would really go; anything that leaves the origin falls back to `/`.
 * @example safeNext("/instances/3?tab=logs", "http://127.0.0.1:7069") // "/instances/3?tab=logs"
 * @example safeNext("/\t/evil.example", "http://127.0.0.1:7069")      // "/"
 */
export function safeNext(next: string | undefined | null, origin: string): string {
  if (!next || !/^[/\\]/.test(next)) return "/"; // relative names and schemes (javascript:, data:) never
  let url: URL;
  let base: URL;
  try {
    base = new URL(origin);
    url = new URL(next, base);
  } catch {
    return "/";
  }
  if (url.origin !== base.origin) return "/";
  const path = url.pathname + url.search + url.hash;
  // "/.//evil" resolves to the path "//evil", which a Location header turns into another host.
  return /^\/[/\\]/.test(path) ? "/" : path;
}
