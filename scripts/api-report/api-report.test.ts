/**
 * The API report catches a surface change: on a fixture SDK tree (an entry re-exporting another
 * file, a namespace and a package), and on the real SDK, whose checked-in report must be current.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runApiReport } from "../api-report.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-api-report-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = join(dir, "index.ts");
const report = join(dir, "report.api.md");
const write = (version: string, shape: string) => {
  writeFileSync(
    entry,
    [
      'export * from "./shapes.ts";',
      'export * as helpers from "./helpers.ts";',
      'export { z } from "zod";',
      "/** Hidden from the report: comments are not the surface. */",
      `export const SDK_VERSION = "${version}";`,
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "shapes.ts"),
    `export interface Shape {\n${shape}\n}\ninterface Private { a: 1 }\n`,
  );
  writeFileSync(join(dir, "helpers.ts"), "export function area(s: { w: number }): number { return s.w; }\n");
};
const run = (...args: string[]) => runApiReport([...args, "--entry", entry, "--report", report]);

test("a fixture SDK: the report lists re-exported names, namespaces and packages, not private ones", () => {
  write("1.0.0", "  name: string;");
  expect(run("--write").code).toBe(0);
  const text = readFileSync(report, "utf8");
  expect(text).toContain("SDK_VERSION: 1.0.0");
  expect(text).toContain("export interface Shape {\n    name: string;\n}");
  expect(text).toContain("export namespace helpers {\n    export declare function area(s: {");
  expect(text).toContain('export { z } from "zod";');
  expect(text).not.toContain("Private");
  expect(text).not.toContain("Hidden from the report");
  expect(run("--check")).toEqual({ code: 0, out: "SDK API report is up to date (SDK 1.0.0)" });
});

test("a changed surface fails the check with a diff, and --write refuses it until SDK_VERSION is bumped", () => {
  write("1.0.0", "  name: string;\n  sides: number;");
  const check = run("--check");
  expect(check.code).toBe(1);
  expect(check.out).toContain("+    sides: number;");
  expect(check.out).toContain("SDK_VERSION is still 1.0.0: bump it");
  expect(run("--write").code).toBe(1);
  expect(readFileSync(report, "utf8")).not.toContain("sides");
  write("1.1.0", "  name: string;\n  sides: number;");
  expect(run("--write").code).toBe(0);
  expect(run("--check").code).toBe(0);
});

test("the real SDK's checked-in report is current", () => {
  const r = runApiReport(["--check"]);
  expect(r.out).toContain("up to date");
  expect(r.code).toBe(0);
});
