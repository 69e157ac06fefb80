import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunSummary, failedTests, startShard } from "./shard.ts";

const dir = mkdtempSync(join(tmpdir(), "shard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether `pid` still runs (a zombie has ended: only its reaping is left), within a few seconds. */
async function stillRunning(pid: number): Promise<boolean> {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return false;
    }
    if (stat[stat.lastIndexOf(")") + 2] === "Z") return false;
    await Bun.sleep(50);
  }
  return true;
}

function testFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `import { test, expect } from "bun:test";\n${body}\n`);
  return path;
}

test("a passing and a failing file: exit code, bun's summary and the failed test's name", async () => {
  const ok = testFile("ok.test.ts", `test("fine", () => expect(1).toBe(1));`);
  const bad = testFile("bad.test.ts", `test("broken on purpose", () => expect(1).toBe(2));`);
  const r = await startShard(1, [ok, bad], [], {}, dir).done;
  expect(r.code).toBe(1);
  expect(bunSummary(r.output)).toMatch(/^1 pass, 1 fail, .*Ran 2 tests across 2 files/);
  expect(failedTests(r.output)).toEqual([expect.stringContaining("(fail) broken on purpose")]);
  // bun repeats failures under "N tests failed:" at the end of a long run: listed once
  expect(failedTests(`(fail) a [1ms]\n(pass) b\n\n1 tests failed:\n(fail) a [1ms]\n`)).toEqual([
    "(fail) a [1ms]",
  ]);
});

test("a shard killed mid-run ends at once; what it left running is killed, PostgreSQL-style daemons too", async () => {
  // A child sleeps with the shard's stdout and stderr as its own; another runs in a session of its
  // own (as pg_ctl starts PostgreSQL), found by the shard's temporary folder on its command line.
  const file = testFile(
    "killed.test.ts",
    `import { writeFileSync } from "node:fs";
    test("dies", async () => {
      const held = process.env.TMPDIR + "/held";
      writeFileSync(held, "");
      Bun.spawn(["sh", "-c", "echo child=$$; exec sleep 300"], { stdout: "inherit", stderr: "inherit" });
      const daemon = Bun.spawn(["setsid", "tail", "-f", held], { stdout: "ignore" });
      console.log("daemon=" + daemon.pid);
      await Bun.sleep(300);
      process.kill(process.pid, "SIGKILL");
    });`,
  );
  const tmp = join(dir, "killed-tmp");
  mkdirSync(tmp);
  const started = Date.now();
  const r = await startShard(2, [file], [], { TMPDIR: tmp }, dir).done;
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(r.signal).toBe("SIGKILL");
  expect(bunSummary(r.output)).toContain("no bun summary");
  expect(r.leftovers).toBe(2);
  for (const name of ["child", "daemon"]) {
    const pid = Number(new RegExp(`${name}=(\\d+)`).exec(r.output)![1]);
    expect(await stillRunning(pid)).toBe(false);
  }
});

test("kill() stops the shard and what it started (what Ctrl-C does to every shard)", async () => {
  const file = testFile(
    "slow.test.ts",
    `test("waits", async () => {
      Bun.spawn(["sh", "-c", "echo child=$$; exec sleep 300"], { stdout: "inherit" });
      await Bun.sleep(50_000);
    });`,
  );
  const s = startShard(3, [file], [], {}, dir);
  while (!/child=\d+/.test(s.output())) await Bun.sleep(50);
  s.kill("SIGTERM");
  const r = await s.done;
  expect(r.signal).toBe("SIGTERM");
  const child = Number(/child=(\d+)/.exec(r.output)![1]);
  expect(await stillRunning(child)).toBe(false);
});
