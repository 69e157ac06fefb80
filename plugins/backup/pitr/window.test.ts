/**
 * Picking the base backup for T, and refusing a T outside the recoverable window with the window
 * in the hint; segment names and gaps across an "xlogid" boundary.
 */
import { expect, test } from "bun:test";
import type { BaseBackup } from "./base-backup.ts";
import { baseFor } from "./restore-op.ts";
import { findGaps, parseSegment, segmentName, segmentOfLsn } from "./wal-segments.ts";
import { pickedInstant, pickerValue, windowInWords } from "./window-words.ts";

const base = (name: string, finishedAt: string) => ({ name, finishedAt }) as BaseBackup;
const bases = [base("b1", "2026-01-01T01:00:00Z"), base("b2", "2026-01-02T01:00:00Z")];

test("the newest base backup finished by T is used; before the first one is refused", () => {
  expect(baseFor(bases, new Date("2026-01-01T12:00:00Z"), "2026-01-02T05:00:00Z").name).toBe("b1");
  expect(baseFor(bases, new Date("2026-01-02T02:00:00Z"), "2026-01-02T05:00:00Z").name).toBe("b2");
  const early = (() => {
    try {
      baseFor(bases, new Date("2026-01-01T00:30:00Z"), "2026-01-02T05:00:00Z");
    } catch (e) {
      return e as { code: string; hint: string };
    }
  })();
  expect(early?.code).toBe("E_PITR_WINDOW");
  const words = "from 1 Jan 2026, 01:00:00 UTC to 2 Jan 2026, 05:00:00 UTC";
  expect(early?.hint).toBe(`Pick a time in the window: ${words}`);
  expect((early as unknown as Error).message).toBe(
    `1 Jan 2026, 00:30:00 UTC is outside the recoverable window: ${words}`,
  );
  expect(() => baseFor(bases, new Date("2026-01-02T06:00:00Z"), "2026-01-02T05:00:00Z")).toThrow(
    "outside the recoverable window",
  );
  expect(() => baseFor([], new Date("2026-01-02T06:00:00Z"), null)).toThrow("outside the recoverable window");
});

test("segment numbers run across the xlogid boundary; a missing one there is a gap", () => {
  expect(segmentOfLsn("0/3000028")).toBe(3n);
  const last = parseSegment("0000000100000000000000FF")!;
  expect(segmentName(1, last.seq + 1n)).toBe("000000010000000100000000");
  const files = ["0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000001.partial"];
  expect(findGaps(files, 0xfen)).toEqual({ count: 1, missing: ["000000010000000100000000"] });
  expect(findGaps([...files, "000000010000000100000000"], 0xfen).count).toBe(0);
});

test("the UTC picker: the window's first whole second, its last, and what it posts read as UTC", () => {
  expect(pickerValue("2026-12-06T22:40:05.300Z", true)).toBe("2026-12-06T22:40:06");
  expect(pickerValue("2026-12-06T22:40:05.000Z", true)).toBe("2026-12-06T22:40:05");
  expect(pickerValue("2026-12-06T23:01:10.900Z")).toBe("2026-12-06T23:01:10");
  expect(pickedInstant("2026-12-06T22:45:00")).toBe("2026-12-06T22:45:00Z");
  expect(pickedInstant("2026-12-06T22:45")).toBe("2026-12-06T22:45:00Z");
  expect(pickedInstant("2026-12-06T22:45:00+02:00")).toBe("2026-12-06T22:45:00+02:00");
  expect(windowInWords({ from: "2026-12-06T09:05:03Z", to: null })).toBe(
    "from 6 Dec 2026, 09:05:03 UTC to now",
  );
});
