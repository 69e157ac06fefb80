import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateOwner, openStore } from "../../../server/sdk/testing.ts";
import { migrations } from "../migrations/index.ts";
import { compactStamp } from "./restore-pg.ts";
import { claimCovers, ScratchClaims, tempPrefix } from "./scratch-claims.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-claims-"));
const store = openStore(join(dir, "store.db"));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a claim covers its own prefix and stamps within its lifetime, nothing else", () => {
  const c = {
    prefix: tempPrefix("acme"),
    claimedAt: "2024-05-01T10:15:00.400Z",
    endedAt: "2024-05-01T11:00:00Z",
  };
  expect(c.prefix).toBe("acme__restore_");
  expect(claimCovers(c, "acme__restore_20240501101500")).toBe(true);
  expect(claimCovers(c, "acme__restore_20240501110000")).toBe(true);
  expect(claimCovers(c, "acme__restore_20240501101459")).toBe(false); // made before the claim
  expect(claimCovers(c, "acme__restore_20240501110001")).toBe(false); // made after it ended
  expect(claimCovers(c, "acme__restore_notours")).toBe(false);
  expect(claimCovers(c, "acme__restore_2024050110150")).toBe(false);
  expect(claimCovers(c, "acme_x__restore_20240501101500")).toBe(false);
  expect(claimCovers(c, "acme__rollback_20240501101500")).toBe(false);
  // Long names are cut the way restore.ts cuts them, so the prefix still matches what it made.
  const long = "x".repeat(60);
  expect(tempPrefix(long).length + 14).toBe(63);
});

test("a claim is alive while its process runs and dead once it is gone or released", async () => {
  await migrateOwner(store.db, "backup", migrations);
  const claims = new ScratchClaims(store.db);
  const mine = await claims.claim({ instanceId: 1, dbName: "acme", owner: "restore into acme" });
  // Claims made by other processes: one still running, one that has exited.
  const running = Bun.spawn(["sleep", "30"]);
  const exited = Bun.spawn(["true"]);
  await exited.exited;
  const now = new Date().toISOString();
  const boot = (await claims.list())[0].bootId;
  for (const [pid, owner] of [
    [running.pid, "running"],
    [exited.pid, "exited"],
    [process.pid, "earlier process with our pid"],
  ] as const)
    await store.db
      .insertInto("backup_scratch_claims")
      .values({
        instance_id: 1,
        prefix: "p__restore_",
        owner,
        pid,
        boot_id: boot,
        token: "other",
        claimed_at: now,
      })
      .execute();
  try {
    const alive = Object.fromEntries((await claims.list()).map((c) => [c.owner, c.alive]));
    expect(alive).toEqual({
      "restore into acme": true,
      running: true,
      exited: false,
      "earlier process with our pid": false,
    });
    // A dead claim is closed at once, so it covers nothing made later.
    const exitedClaim = (await claims.list()).find((c) => c.owner === "exited")!;
    expect(exitedClaim.endedAt).not.toBeNull();
    expect(claimCovers(exitedClaim, `p__restore_${compactStamp(new Date(Date.now() + 5000))}`)).toBe(false);
    await mine(false);
    expect((await claims.list()).find((c) => c.owner === "restore into acme")!.alive).toBe(false);
  } finally {
    running.kill();
  }
});
