#!/usr/bin/env bun
/**
 * Plugins (their tests included) never import the core's internals. A plugin may import:
 *  - the SDK: "odoodeck/sdk" and "odoodeck/sdk/testing" (built-ins reach them as
 *    server/sdk/index.ts and server/sdk/testing.ts), and what the SDK is built on: "hono",
 *    "hono/*", "zod";
 *  - builtins ("node:*", "bun", "bun:*") and its own files;
 *  - the types of another plugin's contract.ts (typed services), type-only;
 *  - npm packages it declares as its own: a third-party plugin in the package.json of its folder
 *    (dependencies, devDependencies, peer/optional), a built-in plugin in PLUGIN_PACKAGES below
 *    (built-ins share the core's package.json, so the list here says which plugin uses what).
 * Never allowed, even when declared: packages the SDK re-exports (THROUGH_SDK), whose types must
 * be the core's own (ctx.db is the core's Kysely; import Kysely, sql, Migration from the SDK).
 * Anything else (server/*, tests/helpers/*, another plugin's files) means the SDK lacks something
 * a third-party plugin would need too: export it from server/sdk/index.ts or sdk/testing.ts.
 * There is no allow-list: the check passes only at zero violations.
 *
 *   bun scripts/check-boundaries.ts              CI: fails on any violation
 *   bun scripts/check-boundaries.ts --list       every violation, one "file: specifier" a line
 *   --root <dir>                                 another tree (tests)
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
  // Odoo's zip format: written with yazl (streaming, zip64), read with yauzl (random access);
  // small filestore objects sealed with age in-process (typage, by age's authors); its tests
  // run against a real S3-compatible server (s3rver, a devDependency)
  backup: /^(yazl|yauzl|age-encryption|s3rver)$/,
  // the reference Prometheus parser its tests check the /metrics text against
  health: /^parse-prometheus-text-format$/,
  // its ACME client: a certificate per preview host from Let's Encrypt or another RFC 8555 CA
  previews: /^acme-client$/,
};
/** Packages the SDK re-exports: a plugin imports them from the SDK, so their types are the core's. */
const THROUGH_SDK = new Set(["kysely"]);
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

/** The npm package an import names: "yazl" for "yazl", "@a/b" for "@a/b/c", "x" for "x/y". */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The packages a plugin folder's own package.json declares (none without one). */
function declaredPackages(dir: string): Set<string> {
  const file = join(dir, "package.json");
  if (!existsSync(file)) return new Set();
  const pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
  const fields = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];
  return new Set(fields.flatMap((f) => Object.keys(pkg[f] ?? {})));
}

/** Whether one import of `file` crosses the boundary. */
function isViolation(root: string, file: string, spec: string, typeOnly: boolean): boolean {
  const own = pluginDir(root, file);
  if (!spec.startsWith(".")) {
    if (PACKAGES.test(spec)) return false;
    const name = packageName(spec);
    if (THROUGH_SDK.has(name)) return true;
    return !(PLUGIN_PACKAGES[basename(own)]?.test(name) || declaredPackages(own).has(name));
  }
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
  const i = argv.indexOf("--root");
  const root = resolve(i >= 0 ? argv[i + 1] : join(import.meta.dir, ".."));
  const found = boundaryViolations(root);
  if (argv.includes("--list")) return { code: 0, out: found.join("\n") };
  if (!found.length) return { code: 0, out: "Plugin boundaries: no violations" };
  const lines = [
    "Plugins import only the SDK (odoodeck/sdk, odoodeck/sdk/testing), hono, zod, builtins, their own",
    "files and the npm packages they declare. Violations:",
    ...found.map((v) => `  ${v}`),
    "Export what the plugin needs through server/sdk/index.ts (or sdk/testing.ts) instead;",
    "a plugin's own npm package goes in its package.json (built-ins: PLUGIN_PACKAGES in this script).",
  ];
  return { code: 1, out: lines.join("\n") };
}

if (import.meta.main) {
  const { code, out } = runBoundaryCheck(process.argv.slice(2));
  (code ? console.error : console.log)(out);
  process.exit(code);
}
