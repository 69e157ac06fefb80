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
put("examples/plugins/hello/index.ts", 'import { x } from "../../../server/db/open.ts";\n');

test("SDK, hono, zod, builtins, own files and another plugin's contract types pass; the rest is listed", () => {
  expect(boundaryViolations(root)).toEqual([
    "examples/plugins/hello/index.ts: ../../../server/db/open.ts",
    "plugins/beta/index.test.ts: ../../tests/helpers/pg.ts",
    "plugins/beta/index.ts: ../../server/auth/users.ts",
    "plugins/beta/index.ts: ../alpha/contract.ts",
    "plugins/beta/index.ts: ../alpha/lib/helper.ts",
    "plugins/beta/index.ts: kysely",
  ]);
});

test("CI fails on a violation missing from the allow-list, passes when all are listed, and names fixed lines", () => {
  const allow = join(root, "allow");
  writeFileSync(allow, "# today's\nplugins/beta/index.ts: kysely\n");
  const failed = runBoundaryCheck(["--root", root, "--allow", allow]);
  expect(failed.code).toBe(1);
  expect(failed.out).toContain("  plugins/beta/index.ts: ../../server/auth/users.ts");
  expect(failed.out).not.toContain("  plugins/beta/index.ts: kysely");
  writeFileSync(allow, [...boundaryViolations(root), "plugins/gone/index.ts: kysely"].join("\n"));
  const passed = runBoundaryCheck(["--root", root, "--allow", allow]);
  expect(passed.code).toBe(0);
  expect(passed.out).toContain("Fixed (remove from allow):\n  plugins/gone/index.ts: kysely");
});

test("the repository has no violation beyond scripts/boundaries.allow", () => {
  const r = runBoundaryCheck([]);
  expect(r.out).toContain("no new violations");
  expect(r.code).toBe(0);
});
