import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const parent = mkdtempSync(join(tmpdir(), "odoodeck-hygiene-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe("a test run leaves the temp folder as it found it", () => {
  test("test files that make temp folders (data dirs, plugin folders, configs) leave nothing behind", async () => {
    // A nested run with its own temp folder, so other runs on the machine do not blur the count.
    const p = Bun.spawn(
      [
        process.execPath,
        "test",
        "--timeout",
        "60000",
        "server/config.test.ts",
        "tests/integration/plugin-host.test.ts",
        "tests/integration/login-redirect.test.ts",
      ],
      { env: { ...process.env, TMPDIR: parent }, stdout: "pipe", stderr: "pipe" },
    );
    const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
    expect({ exit: await p.exited, tail: (out + err).slice(-400) }).toMatchObject({ exit: 0 });
    expect(readdirSync(parent)).toEqual([]);
  }, 120_000);
});
