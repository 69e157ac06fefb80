/**
 * The JUnit side of a sharded run: each shard writes its own report; they are merged into the one
 * the caller asked for, and per-file durations are read from a report to balance the next plan.
 */

const ATTR = /(\w+)="([^"]*)"/g;

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(ATTR)].map((m) => [m[1], m[2]]));
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

/** A shard that wrote no report (it crashed or was killed): one failed test case says so. */
export interface MissingShard {
  name: string;
  message: string;
}

const COUNTS = ["tests", "assertions", "failures", "skipped"] as const;

/**
 * One <testsuites> holding every shard's <testsuite> elements, its counts summed; a shard without
 * a report becomes a suite with one failed test case, so the counts never look green.
 * @example mergeJunit([xmlA, xmlB], [], 312.5) // → '<?xml …><testsuites name="bun test" tests="…"…'
 */
export function mergeJunit(reports: string[], missing: MissingShard[], seconds: number): string {
  const totals: Record<string, number> = { tests: 0, assertions: 0, failures: 0, skipped: 0 };
  const bodies: string[] = [];
  for (const xml of reports) {
    const open = xml.match(/<testsuites\b[^>]*?(\/?)>/);
    if (!open) throw new Error("not a JUnit report: no <testsuites>");
    const a = attrs(open[0]);
    for (const k of COUNTS) totals[k] += Number(a[k] ?? 0);
    if (open[1] === "/") continue;
    const start = open.index! + open[0].length;
    const end = xml.lastIndexOf("</testsuites>");
    if (end < start) throw new Error("not a JUnit report: no </testsuites>");
    const body = xml.slice(start, end).replace(/^\n+|\s+$/g, "");
    if (body) bodies.push(body);
  }
  for (const m of missing) {
    totals.tests++;
    totals.failures++;
    const name = escapeXml(m.name);
    bodies.push(
      `  <testsuite name="${name}" tests="1" assertions="0" failures="1" skipped="0" time="0">\n` +
        `    <testcase name="${name}" classname="" time="0">\n` +
        `      <failure type="AssertionError" message="${escapeXml(m.message)}" />\n` +
        `    </testcase>\n  </testsuite>`,
    );
  }
  const head = COUNTS.map((k) => `${k}="${totals[k]}"`).join(" ");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="bun test" ${head} time="${seconds}">\n${bodies.join("\n")}\n</testsuites>\n`
  );
}

/**
 * Seconds per test file, from the <testsuite file="…" time="…"> elements of a bun JUnit report.
 * @example fileTimings(xml) // → { "server/app.test.ts": 1.2, … }
 */
export function fileTimings(xml: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of xml.matchAll(/<testsuite\b[^>]*>/g)) {
    const a = attrs(m[0]);
    const file = a.file ?? a.name;
    if (!file || a.time === undefined) continue;
    // bun nests a <testsuite> per describe block inside the file's own: keep the file's total.
    out[file] = Math.max(out[file] ?? 0, Number(a.time));
  }
  return out;
}
