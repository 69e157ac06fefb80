/**
 * Which fetch failures mark a copy bad: a stored file that differs from the record does, a
 * transfer that is cut short (the stored file is whole) does not. Real files in a folder
 * destination; the cut transfer is a read that ends early, as a dropped link does.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalDestination } from "../destinations/local.ts";
import { stageBackupInto } from "./restore-staging.ts";
import type { BackupRecord } from "../store.ts";

const dir = mkdtempSync(join(tmpdir(), "odoodeck-staging-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 251);
const sha256 = new Bun.CryptoHasher("sha256").update(body).digest("hex");

function setUp(label: string) {
  const root = join(dir, label);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "x.zip"), body);
  const b = {
    id: 1,
    name: "x.zip",
    format: "zip",
    status: "ok",
    bytes: body.length,
    manifest: { parts: [{ name: "x.zip", bytes: body.length, sha256 }] },
    destinations: [{ id: "server:1", label, status: "ok", path: "server:/x.zip" }],
  } as unknown as BackupRecord;
  const marked: string[] = [];
  const stage = (d: LocalDestination) =>
    stageBackupInto(b, join(dir, `${label}-staging`), async () => d, {
      onBadCopy: async (id, verify, reason) => void marked.push(`${id} ${verify}: ${reason}`),
    }).catch((e) => e.code as string);
  return { root, stage, marked };
}

test("a stored copy that is shorter than recorded is marked corrupt", async () => {
  const s = setUp("short");
  truncateSync(join(s.root, "x.zip"), 1000);
  expect(await s.stage(new LocalDestination(s.root, "server:1"))).toBe("E_BACKUP_CORRUPT");
  expect(s.marked).toEqual([
    `server:1 corrupt: x.zip at local ${s.root} has 1000 bytes, the backup recorded 65536`,
  ]);
});

test("a stored copy with one byte changed is marked corrupt", async () => {
  const s = setUp("flipped");
  const bad = body.slice();
  bad[100] ^= 1;
  writeFileSync(join(s.root, "x.zip"), bad);
  expect(await s.stage(new LocalDestination(s.root, "server:1"))).toBe("E_BACKUP_CORRUPT");
  expect(s.marked).toEqual([`server:1 corrupt: x.zip at local ${s.root} does not match its SHA-256`]);
});

test("a transfer cut short is not held against a whole copy", async () => {
  const s = setUp("cut");
  class CutLink extends LocalDestination {
    override read(rel: string) {
      let left = 1000;
      return super.read(rel).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            if (left > 0) c.enqueue(chunk.subarray(0, left));
            left -= chunk.byteLength;
          },
        }),
      );
    }
  }
  expect(await s.stage(new CutLink(s.root, "server:1"))).toBe("E_UNREACHABLE");
  expect(s.marked).toEqual([]);
  const whole = await s.stage(new LocalDestination(s.root, "server:1"));
  expect(typeof whole).toBe("object");
  expect(s.marked).toEqual([]);
});
