/**
 * Follows the exports of an emitted `.d.ts` entry through its re-exports (`export *`,
 * `export { a } from`, `export * as ns from`) and returns every exported declaration, comments
 * stripped, sorted by name: the surface as a plugin sees it, whatever file a name lives in.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

interface Statement {
  name: string | null;
  text: string;
}

const DECL =
  /^export (?:declare )?(?:abstract )?(?:interface|type|const|let|var|function|class|enum|namespace) ([\w$]+)/;
const STAR = /^export \* (?:as ([\w$]+) )?from "([^"]+)";$/;
const NAMED = /^export (type )?\{([^}]*)\} from "([^"]+)";$/s;

/** Top-level statements of a declaration file: tsc starts each at column 0 and indents the rest. */
function statements(file: string): Statement[] {
  const src = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const out: Statement[] = [];
  for (const line of src.split("\n")) {
    if (!line.trim()) continue;
    if (/^\S/.test(line) && !/^[)}\]]/.test(line)) out.push({ name: null, text: line });
    else if (out.length) out[out.length - 1].text += `\n${line}`;
  }
  for (const s of out) s.name = DECL.exec(s.text)?.[1] ?? null;
  return out;
}

/** `./types.ts` → the emitted `./types.d.ts` beside the importing file; null for packages. */
function target(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec).replace(/\.(d\.)?tsx?$|\.js$/, "");
  return existsSync(`${base}.d.ts`) ? `${base}.d.ts` : null;
}

/** Exported name → its declaration text(s), following re-exports. */
function exportsOf(file: string, seen = new Set<string>()): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (seen.has(file)) return out;
  seen.add(file);
  const add = (name: string, text: string) => out.set(name, [...(out.get(name) ?? []), text]);
  for (const s of statements(file)) {
    if (s.name) {
      add(s.name, s.text);
      continue;
    }
    const star = STAR.exec(s.text);
    if (star) {
      const [, ns, spec] = star;
      const t = target(file, spec);
      if (!t) add(ns ?? `* from ${spec}`, s.text);
      else if (ns) add(ns, namespace(ns, exportsOf(t, new Set(seen))));
      else for (const [k, v] of exportsOf(t, new Set(seen))) for (const x of v) add(k, x);
      continue;
    }
    const named = NAMED.exec(s.text);
    if (named) {
      const [, typeOnly, list, spec] = named;
      const t = target(file, spec);
      const from = t ? exportsOf(t, new Set(seen)) : null;
      for (const item of list
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)) {
        const [orig, alias] = item.replace(/^type /, "").split(/\s+as\s+/);
        const name = alias ?? orig;
        const decls = from?.get(orig);
        if (!decls) add(name, `export ${typeOnly ?? ""}{ ${item} } from "${spec}";`);
        else for (const d of decls) add(name, alias ? d.replace(orig, alias) : d);
      }
    }
  }
  return out;
}

function namespace(name: string, members: Map<string, string[]>): string {
  const body = sorted(members)
    .map((t) => t.replace(/^/gm, "    "))
    .join("\n");
  return `export namespace ${name} {\n${body}\n}`;
}

function sorted(m: Map<string, string[]>): string[] {
  return [...m.keys()].sort().flatMap((k) => m.get(k)!);
}

/** The report body for an emitted entry declaration file. */
export function surfaceOfDeclarations(entryDts: string): string {
  return sorted(exportsOf(entryDts)).join("\n");
}
