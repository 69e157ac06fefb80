/**
 * Local archive retention on a real folder: with three base backups and two kept, the oldest one
 * and the segments before the oldest kept one's start go; a segment a destination has not received
 * yet stays (shipping still reads it), and so do history files and the `.partial`.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pruneLocalArchive } from "./local-retention.ts";
import { segmentName } from "./wal-segments.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-walkeep-local-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function archive(name: string, shippedUpTo: string[]) {
  const dir = join(root, name);
  const wal = join(dir, "wal");
  mkdirSync(wal, { recursive: true });
  for (let s = 1; s <= 0x30; s++) writeFileSync(join(wal, segmentName(1, BigInt(s))), "");
  writeFileSync(join(wal, `${segmentName(1, 0x31n)}.partial`), "");
  writeFileSync(join(wal, "00000002.history"), "");
  for (const [b, lsn] of [
    ["20261201T010000", "0/10000028"],
    ["20261202T010000", "0/20000028"],
    ["20261203T010000", "0/2A000028"],
  ] as const) {
    mkdirSync(join(dir, "base", b), { recursive: true });
    writeFileSync(
      join(dir, "base", b, "odoodeck-base.json"),
      JSON.stringify({
        name: b,
        startLsn: lsn,
        endLsn: lsn,
        timeline: 1,
        finishedAt: "",
        startedAt: "",
        bytes: 0,
      }),
    );
  }
  mkdirSync(join(dir, "shipped"));
  for (const [i, upTo] of shippedUpTo.entries())
    writeFileSync(
      join(dir, "shipped", `d${i}.json`),
      JSON.stringify({ dest: `d${i}`, upTo, bases: [], history: [] }),
    );
  return { archiveDir: dir, walDir: wal };
}

test("keeps the newest base backups and the WAL they need, and what a destination still lacks", async () => {
  const a = archive("a", [segmentName(1, 0x30n)]);
  const r = await pruneLocalArchive({ ...a, keep: 2 });
  expect(r).toEqual({ bases: ["20261201T010000"], segments: 0x1f });
  expect(readdirSync(join(a.archiveDir, "base")).sort()).toEqual(["20261202T010000", "20261203T010000"]);
  const left = readdirSync(a.walDir).sort();
  expect(left[0]).toBe(segmentName(1, 0x20n));
  expect(left).toContain(`${segmentName(1, 0x31n)}.partial`);
  expect(left).toContain("00000002.history");

  // a destination that has only received up to 0x18: from 0x19 on everything stays here
  const b = archive("b", [segmentName(1, 0x30n), segmentName(1, 0x18n)]);
  expect((await pruneLocalArchive({ ...b, keep: 1 })).segments).toBe(0x18);
  expect(readdirSync(b.walDir).sort()[0]).toBe(segmentName(1, 0x19n));
  expect(readdirSync(join(b.archiveDir, "base"))).toEqual(["20261203T010000"]);
});
