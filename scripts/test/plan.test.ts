import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSeconds, findTestFiles, planShards } from "./plan.ts";

test("the test files bun would run: every folder but node_modules, dist, data and hidden ones", () => {
  const root = mkdtempSync(join(tmpdir(), "plan-"));
  try {
    for (const f of [
      "server/a.test.ts",
      "server/deep/b_test.tsx",
      "views/c.spec.js",
      "server/not-a-test.ts",
      "server/testing.ts",
      "node_modules/x/d.test.ts",
      "dist/e.test.ts",
      "data/f.test.ts",
      ".git/g.test.ts",
    ]) {
      mkdirSync(join(root, f, ".."), { recursive: true });
      writeFileSync(join(root, f), "");
    }
    expect(findTestFiles(root)).toEqual(["server/a.test.ts", "server/deep/b_test.tsx", "views/c.spec.js"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("longest first onto the least loaded shard: 3 shards end within one file of each other", () => {
  const timings = { a: 100, b: 60, c: 50, d: 40, e: 30, f: 20, g: 10, h: 5 };
  const shards = planShards(Object.keys(timings), timings, 3);
  expect(shards.map((s) => s.files)).toEqual([
    ["a", "h"],
    ["b", "e", "f"],
    ["c", "d", "g"],
  ]);
  expect(shards.map((s) => s.expected)).toEqual([105, 110, 100]);
});

test("a file without a timing counts as the median file; every file is planned exactly once", () => {
  const timings = { "a.test.ts": 1, "b.test.ts": 9, "c.test.ts": 30 };
  expect(defaultSeconds(timings)).toBe(9);
  expect(defaultSeconds({})).toBe(5);
  const files = ["a.test.ts", "b.test.ts", "c.test.ts", "new.test.ts", "gone-from-timings.test.ts"];
  const shards = planShards(files, timings, 2);
  expect(shards.flatMap((s) => s.files).sort()).toEqual([...files].sort());
  expect(shards.map((s) => s.expected).sort((x, y) => x - y)).toEqual([28, 30]);
});

test("no more shards than files, and never zero", () => {
  expect(planShards(["a", "b"], {}, 4).map((s) => s.files)).toEqual([["a"], ["b"]]);
  expect(planShards(["a", "b"], {}, 0).map((s) => s.files)).toEqual([["a", "b"]]);
});
