/**
 * A local point-in-time restore pipes pg_dump straight into pg_restore (no JavaScript between
 * them), so its progress is read from /proc: the bytes pg_dump has written, counted in the
 * process it runs under (`runuser` as root) and its children.
 */
import { expect, test } from "bun:test";
import { watchWritten } from "./restore-pg.ts";

test("counts what a child of the watched process writes, while it runs", async () => {
  // dd is sh's child (the `; true` keeps sh from exec-ing it), like pg_dump under runuser;
  // reading slowly keeps it alive and writing for ~2 s
  const p = Bun.spawn(["sh", "-c", "dd if=/dev/zero bs=64k count=192 status=none; true"], { stdout: "pipe" });
  const seen: number[] = [];
  const stop = watchWritten(p.pid, (n) => seen.push(n), 100);
  let read = 0;
  for await (const chunk of p.stdout) {
    read += chunk.byteLength;
    await Bun.sleep(10);
  }
  await p.exited;
  stop();
  const total = seen.reduce((a, b) => a + b, 0);
  expect(read).toBe(192 * 65536);
  expect(seen.length).toBeGreaterThan(3); // progress along the way, not one figure at the end
  expect(total).toBeGreaterThan(read * 0.8); // what dd wrote after the last look is not counted
  expect(total).toBeLessThanOrEqual(read);
});

test("a process that is gone says nothing and throws nothing", () => {
  const seen: number[] = [];
  const stop = watchWritten(2 ** 22 + 12345, (n) => seen.push(n), 50);
  stop();
  expect(seen).toEqual([]);
});
