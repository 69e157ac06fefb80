import { expect, test } from "bun:test";
import { fileTimings, mergeJunit } from "./junit.ts";

const report = (file: string, cases: string) => `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="2" assertions="5" failures="1" skipped="0" time="1.5">
  <testsuite name="${file}" file="${file}" tests="2" assertions="5" failures="1" skipped="0" time="1.25" hostname="vm">
    <testsuite name="a describe" file="${file}" line="3" tests="1" assertions="2" failures="0" skipped="0" time="0.5" hostname="vm">
${cases}
    </testsuite>
  </testsuite>
</testsuites>
`;

/** What scripts/junit-summary.ts counts. */
function summary(xml: string) {
  const n = { passed: 0, failed: 0, skipped: 0 };
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const inner = m[2] ?? "";
    if (/<(failure|error)\b/.test(inner)) n.failed++;
    else if (/<skipped\b/.test(inner)) n.skipped++;
    else n.passed++;
  }
  return n;
}

test("shards' reports merge into one: every test case kept once, the counts summed", () => {
  const a = report(
    "server/a.test.ts",
    `      <testcase name="ok" classname="" time="0.1" file="server/a.test.ts" line="4" assertions="2" />
      <testcase name="bad" classname="" time="0.1" file="server/a.test.ts" line="9" assertions="3">
        <failure type="AssertionError" />
      </testcase>`,
  );
  const b = report(
    "plugins/b.test.ts",
    `      <testcase name="later" classname="" time="0" file="plugins/b.test.ts" line="2" assertions="0">
        <skipped />
      </testcase>
      <testcase name="&lt;ok&gt;" classname="" time="0.1" file="plugins/b.test.ts" line="4" assertions="5" />`,
  );
  const merged = mergeJunit([a, b], [], 12.5);
  expect(summary(merged)).toEqual({ passed: 2, failed: 1, skipped: 1 });
  expect(merged.match(/<testsuites [^>]*>/)![0]).toBe(
    '<testsuites name="bun test" tests="4" assertions="10" failures="2" skipped="0" time="12.5">',
  );
  expect(merged.match(/<testsuites\b/g)).toHaveLength(1);
  expect(merged.trimEnd().endsWith("</testsuites>")).toBe(true);
  expect(merged).toContain('name="&lt;ok&gt;"');
  expect(fileTimings(merged)).toEqual({ "server/a.test.ts": 1.25, "plugins/b.test.ts": 1.25 });
});

test("a shard that wrote no report (crashed, killed) is a failed test case, so the counts are not green", () => {
  const merged = mergeJunit(
    [],
    [{ name: "test shard 2 wrote no JUnit report", message: 'exit SIGKILL; "x"' }],
    1,
  );
  expect(summary(merged)).toEqual({ passed: 0, failed: 1, skipped: 0 });
  expect(merged).toContain('message="exit SIGKILL; &quot;x&quot;"');
});

test("an empty shard report adds nothing; a report that is not JUnit is an error, not a silent zero", () => {
  const empty = `<?xml version="1.0"?>\n<testsuites name="bun test" tests="0" assertions="0" failures="0" skipped="0" time="0" />`;
  expect(summary(mergeJunit([empty], [], 1))).toEqual({ passed: 0, failed: 0, skipped: 0 });
  expect(() => mergeJunit(["garbage"], [], 1)).toThrow("not a JUnit report");
});
