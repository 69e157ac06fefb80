import { afterAll } from "bun:test";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCleanups } from "./cleanup.ts";

/**
 * Every temporary folder of the run lives in one root: tests, helpers and the odoodeck processes
 * they start all call tmpdir(), which follows TMPDIR (children inherit it). Removing the root at
 * the end catches what a test forgot, so a run no longer leaves hundreds of MB in /tmp.
 */
export const RUN_TMP_ROOT = mkdtempSync(join(tmpdir(), "odoodeck-testrun-"));
chmodSync(RUN_TMP_ROOT, 0o755); // PostgreSQL runs as "postgres" and must reach its cluster folder inside
process.env.TMPDIR = RUN_TMP_ROOT;

const removeRoot = () => rmSync(RUN_TMP_ROOT, { recursive: true, force: true });

// A global afterAll in a preload runs once, after every test file of the run.
afterAll(async () => {
  await runCleanups(); // stops PostgreSQL, sshd… whose folders are inside the root
  removeRoot();
});
process.on("exit", () => {
  void runCleanups();
  removeRoot();
});
