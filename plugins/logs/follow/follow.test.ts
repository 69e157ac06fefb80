import { afterAll, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "odoodeck/sdk";
import { getSshd, LocalConnection, SshConnection } from "odoodeck/sdk/testing";
import { type FollowEvent, type FollowOptions, followFile } from "./follow.ts";

const dir = mkdtempSync(join(tmpdir(), "logs-follow-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const line = (msg: string, level = "INFO") =>
  `2026-11-22 20:30:01,000 6180 ${level} acme_prod odoo.test: ${msg}\n`;

/** Follows `path`, runs `steps` (each waits until the messages it names have arrived), returns all events. */
async function watch(
  conn: Connection,
  path: string,
  opts: FollowOptions,
  steps: Array<[() => void, string[]]>,
) {
  const ac = new AbortController();
  const events: FollowEvent[] = [];
  const messages: string[] = [];
  const it = followFile(conn, path, { ...opts, signal: ac.signal, intervalMs: 50 });
  const timer = setTimeout(() => ac.abort(), 8000);
  let step = -1;
  let waitFor: string[] = [];
  const next = () => {
    step++;
    if (step >= steps.length) return ac.abort();
    steps[step][0]();
    waitFor = steps[step][1];
    if (waitFor.length === 0) next();
  };
  try {
    for await (const ev of it) {
      events.push(ev);
      if (ev.type === "records") messages.push(...ev.records.map((r) => r.message));
      if (step === -1 && ev) next();
      while (step < steps.length && waitFor.every((m) => messages.includes(m))) next();
    }
  } finally {
    clearTimeout(timer);
  }
  return { events, messages, last: events.filter((e) => e.type === "records").at(-1)?.cursor };
}

/** The SSH connection to the test sshd. */
async function sshConnection(): Promise<Connection> {
  const sshd = await getSshd();
  return new SshConnection({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
}

const ssh = await sshConnection();
for (const [kind, conn] of [
  ["local", new LocalConnection()],
  ["ssh", ssh],
] as const) {
  followSuite(kind, conn);
}

function followSuite(kind: string, conn: Connection) {
  describe(`follow a file (${kind})`, () => {
    test("new lines arrive, a traceback stays with its line, resume from a cursor repeats nothing", async () => {
      const path = join(dir, `odoo-${n++}.log`);
      writeFileSync(path, line("old"));
      const tb = `${line("boom", "ERROR")}Traceback (most recent call last):\nZeroDivisionError: division by zero\n`;
      const r1 = await watch(conn, path, {}, [
        [() => appendFileSync(path, line("one")), ["one"]],
        [() => appendFileSync(path, tb), ["boom"]],
      ]);
      expect(r1.messages).toEqual(["one", "boom"]); // "old" was there before: following starts at the end
      const boom = r1.events
        .flatMap((e) => (e.type === "records" ? e.records : []))
        .find((r) => r.message === "boom")!;
      expect(boom.continuation).toEqual([
        "Traceback (most recent call last):",
        "ZeroDivisionError: division by zero",
      ]);
      // Written while nobody watched: picked up from the cursor, nothing twice.
      appendFileSync(path, line("two") + line("three"));
      const r2 = await watch(conn, path, { cursor: r1.last }, [[() => {}, ["three"]]]);
      expect(r2.messages).toEqual(["two", "three"]);
    });

    test("rotation by rename + new file loses nothing, even while disconnected", async () => {
      const path = join(dir, `odoo-${n++}.log`);
      writeFileSync(path, "");
      const r1 = await watch(conn, path, { fromStart: true }, [
        [() => appendFileSync(path, line("a")), ["a"]],
        [
          () => {
            appendFileSync(path, line("b"));
            renameSync(path, `${path}.1`);
            writeFileSync(path, line("c"));
          },
          ["b", "c"],
        ],
      ]);
      expect(r1.messages).toEqual(["a", "b", "c"]);
      expect(r1.events.some((e) => e.type === "rotated")).toBe(true);
      // Rotated again while disconnected: the tail of the old file comes from odoo.log.1.
      appendFileSync(path, line("d"));
      renameSync(`${path}.1`, `${path}.2`);
      renameSync(path, `${path}.1`);
      writeFileSync(path, line("e"));
      const r2 = await watch(conn, path, { cursor: r1.last }, [[() => {}, ["e"]]]);
      expect(r2.messages).toEqual(["d", "e"]);
    });

    test("truncation starts over at byte 0; deletion then re-creation is followed", async () => {
      const path = join(dir, `odoo-${n++}.log`);
      writeFileSync(path, line("before-truncate-with-a-long-enough-text"));
      const r = await watch(conn, path, {}, [
        [() => truncateSync(path, 0), []],
        [() => setTimeout(() => appendFileSync(path, line("x")), 300), ["x"]],
        [
          () => {
            unlinkSync(path);
            setTimeout(() => writeFileSync(path, line("reborn")), 300);
          },
          ["reborn"],
        ],
      ]);
      expect(r.messages).toEqual(["x", "reborn"]);
      expect(r.events.map((e) => e.type)).toContain("truncated");
      expect(r.events.map((e) => e.type)).toContain("missing");
    });

    test("a missing file is a clear error", async () => {
      const it = followFile(conn, join(dir, "nope.log"));
      await expect(it.next()).rejects.toMatchObject({ code: "E_FILE_NOT_FOUND" });
      await expect(followFile(conn, dir).next()).rejects.toMatchObject({ code: "E_PERMISSION" });
    });
  });
}

test("follow over SSH survives a dropped link without losing or repeating lines", async () => {
  const sshd = await getSshd();
  const path = join(dir, `odoo-${n++}.log`);
  writeFileSync(path, "");
  const r = await watch(ssh, path, { fromStart: true }, [
    [() => appendFileSync(path, line("before")), ["before"]],
    [() => void sshd.restart().then(() => appendFileSync(path, line("after"))), ["after"]],
  ]);
  expect(r.messages).toEqual(["before", "after"]);
  expect(r.events.some((e) => e.type === "reconnecting")).toBe(true);
}, 15_000);
