/** The boundary check on a fixture tree: what a plugin may import, what it may not, and the allow-list. */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { boundaryViolations, runBoundaryCheck } from "../check-boundaries.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-boundaries-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const put = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

put("server/sdk/index.ts", "export const SDK_VERSION = '2.0.0';\n");
put("server/auth/users.ts", "export const users = 1;\n");
put("plugins/index.ts", 'import a from "./alpha/index.ts";\nexport default [a];\n');
put(
  "plugins/alpha/index.ts",
  [
    'import { definePlugin, z } from "../../server/sdk/index.ts";',
    'import { Hono } from "hono";',
    'import { html } from "hono/html";',
    'import { join } from "node:path";',
    'import { Database } from "bun:sqlite";',
    'import { helper } from "./lib/helper.ts";',
    'import type { BetaService } from "../beta/contract.ts";',
    "export default definePlugin;",
  ].join("\n"),
);
put("plugins/alpha/lib/helper.ts", 'export { sdk } from "odoodeck/sdk";\nexport const helper = 1;\n');
put(
  "plugins/beta/index.ts",
  [
    'import { users } from "../../server/auth/users.ts";',
    "import {",
    "  thing,",
    '} from "../alpha/lib/helper.ts";',
    'import { BetaImpl } from "../alpha/contract.ts";',
    'import type { Kysely } from "kysely";',
    "export default users;",
  ].join("\n"),
);
put("plugins/beta/index.test.ts", 'const m = await import("../../tests/helpers/pg.ts");\n');
put("plugins/beta/store.ts", 'import { openStore } from "../../server/db/open.ts";\n');
put("examples/plugins/hello/index.ts", 'import { x } from "../../../server/db/open.ts";\n');
// npm packages: a built-in's are named in the checker (backup: yazl, yauzl); a third-party
// plugin's come from its own package.json; kysely comes through the SDK even when declared.
put("plugins/backup/archive/zip.ts", 'import yazl from "yazl";\nimport { open } from "yauzl";\n');
put("plugins/gamma/zip.ts", 'import yazl from "yazl";\n');
put(
  "examples/plugins/charts/package.json",
  JSON.stringify({
    dependencies: { "@acme/plot": "1.0.0", kysely: "0.28.0" },
    devDependencies: { uplot: "1" },
  }),
);
put(
  "examples/plugins/charts/index.ts",
  [
    'import { plot } from "@acme/plot/line";',
    'import uPlot from "uplot";',
    'import type { Kysely } from "kysely";',
    'import left from "left-pad";',
  ].join("\n"),
);

test("SDK, hono, zod, builtins, own files and another plugin's contract types pass; the rest is listed", () => {
  expect(boundaryViolations(root)).toEqual([
    "examples/plugins/charts/index.ts: kysely",
    "examples/plugins/charts/index.ts: left-pad",
    "examples/plugins/hello/index.ts: ../../../server/db/open.ts",
    "plugins/beta/index.test.ts: ../../tests/helpers/pg.ts",
    "plugins/beta/index.ts: ../../server/auth/users.ts",
    "plugins/beta/index.ts: ../alpha/contract.ts",
    "plugins/beta/index.ts: ../alpha/lib/helper.ts",
    "plugins/beta/index.ts: kysely",
    "plugins/beta/store.ts: ../../server/db/open.ts",
    "plugins/gamma/zip.ts: yazl",
  ]);
});

test("CI fails on any violation, naming the file and the import", () => {
  const failed = runBoundaryCheck(["--root", root]);
  expect(failed.code).toBe(1);
  expect(failed.out).toContain("  plugins/beta/store.ts: ../../server/db/open.ts");
  expect(failed.out).not.toContain("plugins/backup/archive/zip.ts");
  expect(runBoundaryCheck(["--root", root, "--list"]).code).toBe(0);
});

test("a tree without violations passes", () => {
  const clean = mkdtempSync(join(tmpdir(), "odoodeck-boundaries-clean-"));
  try {
    mkdirSync(join(clean, "plugins/alpha"), { recursive: true });
    writeFileSync(join(clean, "plugins/alpha/index.ts"), 'import { z } from "zod";\n');
    expect(runBoundaryCheck(["--root", clean])).toEqual({ code: 0, out: "Plugin boundaries: no violations" });
  } finally {
    rmSync(clean, { recursive: true, force: true });
  }
});

test("the repository has no violation", () => {
  const r = runBoundaryCheck([]);
  expect(r.out).toBe("Plugin boundaries: no violations");
  expect(r.code).toBe(0);
});
