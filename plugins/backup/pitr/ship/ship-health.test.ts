/**
 * The `backup.wal_lag` alert lines for shipping: a destination whose oldest waiting segment is
 * older than the threshold, and one whose last pass failed, are named with what is wrong; a
 * destination that is current adds nothing; one in back-off says how often it failed and when it
 * is tried again.
 */
import { expect, test } from "bun:test";
import type { ArchiveHealth } from "../health.ts";
import { walProblems } from "../register.tsx";
import type { ShipHealth } from "./ship-health.ts";

const ship = (over: Partial<ShipHealth>): ShipHealth => ({
  dest: "s3",
  upTo: "000000010000000000000007",
  upToAt: "2026-12-06T22:00:00.000Z",
  backlogSegments: 0,
  backlogBytes: 0,
  lagSeconds: 0,
  basesPending: 0,
  shippedAt: "2026-12-06T22:00:01.000Z",
  lastError: null,
  failures: 0,
  retryAt: null,
  partial: null,
  ...over,
});

const health = (shipping: ShipHealth[]): ArchiveHealth => ({
  lastWal: "000000010000000000000008",
  lastWalAt: "2026-12-06T22:10:00.000Z",
  slotActive: true,
  lagBytes: 0,
  lagSeconds: 0,
  retainedBytes: 0,
  gaps: { count: 0, missing: [] },
  bases: [{ name: "b1" } as ArchiveHealth["bases"][number]],
  window: { from: "2026-12-06T21:00:00.000Z", to: "2026-12-06T22:10:00.000Z" },
  shipping,
});

test("a shipping backlog past the threshold and a failed destination raise the WAL alert", () => {
  expect(walProblems(health([ship({})]), true)).toEqual([]);
  expect(
    walProblems(
      health([
        ship({ dest: "server:3", backlogSegments: 4, backlogBytes: (4 * 16) << 20, lagSeconds: 900 }),
        ship({
          dest: "s3",
          lastError: "Upload to s3://wal/odoodeck/pitr/9/wal/X failed: connection refused",
        }),
      ]),
      true,
    ),
  ).toEqual([
    "shipping to server:3 900 s behind (4 segment(s) waiting)",
    "shipping to s3 failed: Upload to s3://wal/odoodeck/pitr/9/wal/X failed: connection refused",
  ]);
});

test("a destination in back-off keeps alerting, with its failures in a row and the next try", () => {
  expect(
    walProblems(
      health([
        ship({
          dest: "server:3",
          lastError: "connect ECONNREFUSED 127.0.0.1:2222",
          failures: 3,
          retryAt: "2026-12-06T22:01:20.000Z",
        }),
      ]),
      true,
    ),
  ).toEqual([
    "shipping to server:3 failed 3 times in a row: connect ECONNREFUSED 127.0.0.1:2222 (next try 22:01:20 UTC)",
  ]);
});
