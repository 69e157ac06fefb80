/**
 * What a third-party plugin's code reaches for beyond the SDK, read from its source at load time.
 * This is a report for the admin, not a sandbox: code can always hide what it does (eval, a
 * computed import). It catches the honest and the careless, which is most of them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { Capability } from "../sdk/types.ts";

/** Modules every plugin may import: what the SDK promises. */
const ALLOWED = new Set(["odoodeck/sdk", "hono", "hono/html", "hono/jsx", "hono/jsx/jsx-runtime"]);
const CODE = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".tsx", ".jsx"]);
const MAX_FILES = 500;
/** Globals that reach outside the plugin without any import. */
const GLOBALS: Array<[RegExp, string]> = [
  [/\bBun\s*\.\s*(spawn|spawnSync)\b/, "Bun.spawn"],
  [/\bBun\s*\.\s*\$/, "Bun.$"],
  [/\bBun\s*\.\s*(file|write)\b/, "Bun.file"],
  [/\bBun\s*\.\s*(connect|listen|serve|udpSocket)\b/, "Bun.connect"],
  [/(^|[^.\w])fetch\s*\(/, "fetch"],
  [/\bprocess\s*\.\s*env\b/, "process.env"],
  [/\b(eval|Function)\s*\(/, "eval"],
];

/** Which capability a finding needs, to tell the admin when a plugin did not declare it. */
const NEEDS: Array<[RegExp, Capability]> = [
  [/^(node:)?(child_process|worker_threads|cluster)$|^Bun\.(spawn|\$)$/, "spawn"],
  [/^(node:)?(fs|fs\/promises)$|^bun:sqlite$|^Bun\.file$/, "filesystem"],
  [/^(node:)?(net|http|https|http2|tls|dgram|dns)$|^fetch$|^Bun\.connect$/, "network"],
];

export interface CodeScan {
  /** Sorted: module specifiers outside the SDK ("node:fs", "bun:sqlite") and globals ("Bun.spawn"). */
  uses: string[];
  /** Capabilities those uses need. */
  needs: Capability[];
}

/** Scans every code file under the plugin's folder (its own helper files too). */
export function scanPluginCode(dir: string): CodeScan {
  const uses = new Set<string>();
  const transpiler = new Bun.Transpiler({ loader: "tsx" });
  for (const file of codeFiles(dir)) {
    const src = readFileSync(file, "utf8");
    try {
      for (const imp of transpiler.scanImports(src))
        if (!ALLOWED.has(imp.path) && !imp.path.startsWith(".")) uses.add(imp.path);
    } catch {
      uses.add("unparsable code"); // the import itself will say why it fails
    }
    for (const [re, name] of GLOBALS) if (re.test(src)) uses.add(name);
  }
  const sorted = [...uses].sort();
  const needs = new Set<Capability>();
  for (const u of sorted) for (const [re, cap] of NEEDS) if (re.test(u)) needs.add(cap);
  return { uses: sorted, needs: [...needs].sort() };
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (out.length >= MAX_FILES || name.startsWith(".")) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (CODE.has(extname(name))) out.push(p);
    }
  };
  walk(dir);
  return out;
}
