/**
 * A content-addressed store on a server over SSH must not cost a round trip per file: a first
 * backup of a 100k-file filestore there took ~6 calls per object (mkdir, write, sync, stat,
 * rename, and a stat more when encrypted) — 127 ms an object on loopback under load, hours for a
 * real filestore. Small objects now travel in groups (writeMany / readMany / removeMany). These
 * tests count the calls odoodeck makes on the connection (a real sshd underneath), check what
 * lands is exact and private, that a file already there is kept, that a link dropped mid-group
 * leaves no object half-written under its name, and that a group's leftover folder is swept.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "../../../server/sdk/index.ts";
import { getSshd, LocalConnection, SshConnection, type TestSshd } from "../../../server/sdk/testing.ts";
import { INCOMING_PREFIX, ServerDestination } from "../destinations/server.ts";
import type { Destination } from "../destinations/types.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { newKey, publishedCasBackup, tree } from "./test-helpers.ts";
import { checkObjects } from "./check.ts";
import { fetchObjects } from "./fetch.ts";
import { collectGarbage } from "./gc.ts";
import { objectRel } from "./layout.ts";
import { listObjects, rawObjects } from "./listing.ts";
import { readIndexAt } from "./read-index.ts";

const FILES = 300;
const root = mkdtempSync(join(tmpdir(), "odoodeck-cas-rt-"));
const filestore = join(root, "filestore");
let sshd: TestSshd;
let ssh: SshConnection;
let calls = 0;

/** The SSH connection, counting every call made on it (each is at least one round trip). */
function counted(conn: Connection): Connection {
  return new Proxy(conn, {
    get(target, key) {
      const v = Reflect.get(target, key);
      if (typeof v !== "function" || key === "label" || key === "kind") return v;
      return (...args: unknown[]) => {
        calls++;
        return v.apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  for (let i = 0; i < FILES; i++) {
    const data = randomBytes(1000 + ((i * 7919) % 30000));
    const sha1 = createHash("sha1").update(data).digest("hex");
    mkdirSync(join(filestore, sha1.slice(0, 2)), { recursive: true });
    writeFileSync(join(filestore, sha1.slice(0, 2), sha1), data);
  }
  sshd = await getSshd();
  ssh = new SshConnection({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
});
afterAll(async () => {
  await ssh?.close();
  rmSync(root, { recursive: true, force: true });
});

const backup = (d: Destination, name: string) =>
  publishedCasBackup(new LocalConnection(), filestore, d, name);

for (const encrypted of [false, true]) {
  describe(`CAS over SSH in groups${encrypted ? ", age-encrypted" : ""}`, () => {
    const storeDir = join(root, encrypted ? "store-enc" : "store");
    const name = "acme_acme_20260101T000000Z_files.odoodeck";
    let dest: Destination;
    beforeAll(async () => {
      const server = new ServerDestination(counted(ssh), storeDir, "server:1");
      dest = encrypted ? new EncryptedDestination(server, await newKey()) : server;
    });

    test(`a first backup of ${FILES} objects makes a few calls, not ~6 per object`, async () => {
      calls = 0;
      const r = await backup(dest, name);
      expect(r.written.get("server:1")?.objects).toBe(FILES + 0);
      // listing, one group per 500 objects, then publishing the index and manifest
      expect(calls).toBeLessThan(40);
      const stored = await listObjects(dest);
      expect(stored.size).toBe(FILES);
      // private, and nothing left of the groups' incoming folders
      const objects = join(storeDir, "objects");
      expect(readdirSync(objects).filter((n) => n.startsWith("."))).toEqual([]);
      const one = readdirSync(join(objects, readdirSync(objects)[0]))[0];
      expect(statSync(join(objects, readdirSync(objects)[0], one)).mode & 0o777).toBe(0o600);
    }, 120_000);

    test("restoring fetches the objects in groups, each exact", async () => {
      const index = await readIndexAt(dest, name);
      const into = join(root, encrypted ? "fetched-enc" : "fetched");
      calls = 0;
      expect(await fetchObjects(dest, index, into)).toBe(FILES);
      expect(calls).toBeLessThan(10);
      const want: Record<string, string> = {};
      for (const f of index.files) want[objectRel(f.sha256)] = f.sha256;
      const got = tree(into);
      expect(Object.keys(got).length).toBe(FILES);
      for (const [rel, sha] of Object.entries(got)) expect(want[rel]).toBe(sha);
    }, 120_000);

    test("the check reads the objects in groups and still finds a damaged one", async () => {
      calls = 0;
      expect(await checkObjects(dest, name)).toEqual({ checked: FILES, missing: [], corrupt: [] });
      expect(calls).toBeLessThan(10);
      const index = await readIndexAt(dest, name);
      const sha = index.files[7].sha256;
      const p = join(storeDir, `${objectRel(sha)}${encrypted ? ".age" : ""}`);
      const b = readFileSync(p);
      b[b.length - 20] ^= 1;
      writeFileSync(p, b);
      expect(await checkObjects(dest, name)).toEqual({ checked: FILES, missing: [], corrupt: [sha] });
    }, 120_000);
  });
}

describe("writeMany on a server folder", () => {
  test("a file already there is kept; the others land whole", async () => {
    const d = new ServerDestination(ssh, join(root, "keep"), "server:k");
    const at = (n: number) => `objects/${n % 2 ? "aa" : "bb"}/${"c".repeat(63)}${n}`;
    mkdirSync(join(root, "keep", "objects", "bb"), { recursive: true });
    writeFileSync(join(root, "keep", at(0)), "was here");
    const data = Array.from({ length: 5 }, (_, n) => randomBytes(5000 + n));
    await d.writeMany(data.map((b, n) => ({ rel: at(n), data: b })));
    expect(readFileSync(join(root, "keep", at(0)), "utf8")).toBe("was here");
    for (let n = 1; n < 5; n++) expect(readFileSync(join(root, "keep", at(n))).equals(data[n])).toBe(true);
    expect(readdirSync(join(root, "keep", "objects")).sort()).toEqual(["aa", "bb"]);
  }, 60_000);

  test("where the filesystem has no hard links, the files are renamed into place", async () => {
    // A `cp` that cannot link (as on a FAT or some network mounts) first on the PATH of the
    // shell that runs the group: this machine, reached as a server.
    const bin = join(root, "nolink-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, "cp"),
      '#!/bin/sh\necho "cp: cannot create hard link: Operation not permitted" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const d = new ServerDestination(new LocalConnection(), join(root, "nolink"), "server:n");
      const files = Array.from({ length: 20 }, (_, n) => {
        const data = randomBytes(3000 + n);
        return { rel: objectRel(createHash("sha256").update(data).digest("hex")), data };
      });
      await d.writeMany(files);
      for (const f of files) expect(readFileSync(join(root, "nolink", f.rel)).equals(f.data)).toBe(true);
      expect(readdirSync(join(root, "nolink", "objects")).filter((n) => n.startsWith("."))).toEqual([]);
    } finally {
      process.env.PATH = path;
    }
  }, 60_000);

  test("a link dropped mid-group leaves no object half-written under its name", async () => {
    const dir = join(root, "dropped");
    const d = new ServerDestination(ssh, dir, "server:d");
    const files = Array.from({ length: 400 }, () => {
      const data = randomBytes(64 * 1024);
      return { rel: objectRel(createHash("sha256").update(data).digest("hex")), data };
    });
    const w = d.writeMany(files).then(
      () => null,
      (e) => e,
    );
    await Bun.sleep(150);
    await sshd.restart();
    const err = await w;
    // 25 MB through loopback SSH outlasts 150 ms: the link drops mid-group, and says so.
    expect(err?.code).toBe("E_CONNECTION_LOST");
    // Whatever got in before the drop is whole: never a half object under its name.
    const objects = join(dir, "objects");
    for (const f of files) {
      const p = join(dir, f.rel);
      let b: Buffer | null = null;
      try {
        b = readFileSync(p);
      } catch {}
      if (b) expect(createHash("sha256").update(b).digest("hex")).toBe(f.rel.slice(-64));
    }
    // What a killed group left is the store's garbage: listed, then swept.
    mkdirSync(join(objects, `${INCOMING_PREFIX}left`, "ab"), { recursive: true });
    writeFileSync(join(objects, `${INCOMING_PREFIX}left`, "ab", "x"), "half");
    const fresh = new SshConnection({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.privateKey,
    });
    try {
      const d2 = new ServerDestination(fresh, dir, "server:d");
      expect(await rawObjects(d2)).toContain(`${INCOMING_PREFIX}left`);
      await collectGarbage(d2);
      expect(readdirSync(objects).filter((n) => n.startsWith("."))).toEqual([]);
    } finally {
      await fresh.close();
    }
  }, 120_000);
});
