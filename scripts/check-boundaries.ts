#!/usr/bin/env bun
/**
 * Plugins (their tests included) import only the SDK: "odoodeck/sdk" (built-ins reach it as
 * server/sdk/index.ts), "hono", "hono/*", "zod", builtins (node:, bun:), their own files, and the
 * types of another plugin's contract.ts (typed services). Anything else means the SDK lacks
 * something a third-party plugin would need too.
 *
 *   bun scripts/check-boundaries.ts              CI: fails on violations not in the allow-list
 *   bun scripts/check-boundaries.ts --list       every violation, one "file: specifier" a line
 *   --root <dir> --allow <file>                  another tree and allow-list (tests)
 *
 * The allow-list (scripts/boundaries.allow) holds today's violations; remove a line when fixing it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";

const PACKAGES = /^(odoodeck\/sdk|odoodeck\/sdk\/testing|hono|hono\/.+|zod|bun|bun:.+|node:.+)$/;
/**
 * npm packages one plugin needs for its own job, on top of PACKAGES. Per plugin, so a package
 * allowed for the mail catcher's SMTP server is still a violation anywhere else.
 */
const PLUGIN_PACKAGES: Record<string, RegExp> = {
  // its SMTP server, MIME parser, and the SMTP client for "release" and inbound composition
  "mail-catcher": /^(smtp-server|mailparser|nodemailer)$/,
  // its ACME client: a certificate per preview host from Let's Encrypt or another RFC 8555 CA
  previews: /^acme-client$/,
};
/** "odoodeck/sdk" and "odoodeck/sdk/testing" as built-in plugins reach them. */
const SDK_ENTRIES = ["server/sdk/index.ts", "server/sdk/testing.ts"];
const IMPORT =
  /(import\s+(type\s+)?(?:[^'"]*?\s+from\s+)?|export\s+(?:type\s+)?[^'"]*?\s+from\s+|import\s*\(\s*)["']([^"']+)["']/g;

/** Every .ts/.tsx file under dir (node_modules and dot-folders skipped). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The plugin folder a file belongs to: <root>/plugins/<id> or <root>/examples/plugins/<id>. */
function pluginDir(root: string, file: string): string {
  const parts = relative(root, file).split(sep);
  const depth = parts[0] === "examples" ? 3 : 2;
  return join(root, ...parts.slice(0, depth));
}

/** Whether one import of `file` crosses the boundary. */
function isViolation(root: string, file: string, spec: string, typeOnly: boolean): boolean {
  const own = pluginDir(root, file);
  if (!spec.startsWith(".")) return !(PACKAGES.test(spec) || PLUGIN_PACKAGES[basename(own)]?.test(spec));
  const target = resolve(dirname(file), spec);
  if (SDK_ENTRIES.some((e) => target === join(root, e))) return false;
  if (target === own || target.startsWith(own + sep)) return false;
  // Typed services: another plugin's contract, types only.
  const inPlugins = [join(root, "plugins"), join(root, "examples/plugins")].some((d) =>
    target.startsWith(d + sep),
  );
  return !(typeOnly && inPlugins && /\/contract\.tsx?$/.test(target));
}

/** "file: specifier" for every import that crosses the boundary, sorted. */
export function boundaryViolations(root: string): string[] {
  const out = new Set<string>();
  for (const base of ["plugins", "examples/plugins"]) {
    const dir = join(root, base);
    if (!existsSync(dir)) continue;
    // Files beside the plugin folders (plugins/index.ts, the core's list of built-ins) are not plugins.
    for (const file of sources(dir).filter((f) => dirname(f) !== dir)) {
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(IMPORT))
        if (isViolation(root, file, m[3], !!m[2])) out.add(`${relative(root, file)}: ${m[3]}`);
    }
  }
  return [...out].sort();
}

/** Runs the check; returns the exit code and what to print. */
export function runBoundaryCheck(argv: string[]): { code: number; out: string } {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const root = resolve(arg("--root") ?? join(import.meta.dir, ".."));
  const found = boundaryViolations(root);
  if (argv.includes("--list")) return { code: 0, out: found.join("\n") };
  const allowFile = resolve(arg("--allow") ?? join(root, "scripts/boundaries.allow"));
  const allowed = new Set(
    existsSync(allowFile)
      ? readFileSync(allowFile, "utf8")
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith("#"))
      : [],
  );
  const fresh = found.filter((v) => !allowed.has(v));
  const fixed = [...allowed].filter((v) => !found.includes(v));
  const lines: string[] = [];
  if (fixed.length)
    lines.push(`Fixed (remove from ${relative(root, allowFile)}):`, ...fixed.map((v) => `  ${v}`));
  if (!fresh.length) {
    lines.push(`Plugin boundaries: no new violations (${found.length} allowed, to be fixed)`);
    return { code: 0, out: lines.join("\n") };
  }
  lines.push(
    "Plugins import only the SDK (odoodeck/sdk), hono, zod, builtins and their own files. New violations:",
    ...fresh.map((v) => `  ${v}`),
    "Export what the plugin needs through server/sdk/index.ts instead.",
  );
  return { code: 1, out: lines.join("\n") };
}

if (import.meta.main) {
  const { code, out } = runBoundaryCheck(process.argv.slice(2));
  (code ? console.error : console.log)(out);
  process.exit(code);
}
