/** Reads a JUnit XML report and prints "N passed, N failed[, N skipped]" on one line. */
export {};
const file = process.argv[2] ?? "reports/junit.xml";
const xml = await Bun.file(file).text();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const inner = m[2] ?? "";
  if (/<(failure|error)\b/.test(inner)) failed++;
  else if (/<skipped\b/.test(inner)) skipped++;
  else passed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
