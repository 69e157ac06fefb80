/**
 * The two writers of Odoo's zip: Python's zipfile on the instance's server (used when python3 is
 * there) and the in-process writer (used when it is not). Each must give a zip that `unzip` and
 * Python's zipfile accept, with dump.sql, manifest.json and the fixture's 91 filestore files; and
 * a pg_dump that fails must never leave a zip that looks whole. The python writer deflates dump.sql
 * in 1 MiB pieces on a thread pool (pigz-style): a dump of many pieces must come back byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { odooZipArgv, odooZipManifest, odooZipStream } from "../../plugins/backup/archive/odoo-zip-export.ts";
import { produceToFile } from "../../plugins/backup/archive/pipeline.ts";
import type { Connection } from "../../server/sdk/index.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { localConnection } from "../helpers/local-connection.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";
import { sh } from "./backup-helpers.ts";

let pg: TestPg;
let conn: Connection;
let db: string;
let filestore: string;
let restores = 0;
const dir = mkdtempSync(join(tmpdir(), "odoodeck-zipw-"));
const manifest = odooZipManifest("acme_prod", "17.0", 150004, { base: "17.0.1.3" });

beforeAll(async () => {
  pg = await getPg();
  conn = await localConnection();
  db = await fixtureDb("acme_prod");
  filestore = await extractFilestore("acme_prod", join(dir, "fs"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dumpArgv = () => ["pg_dump", "-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", db];

async function checkZip(zip: string) {
  expect((await sh(["unzip", "-tq", zip])).code).toBe(0);
  const py = await sh([
    "python3",
    "-c",
    "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())",
    zip,
  ]);
  expect(py.out.trim()).toBe("None");
  const names = (await sh(["unzip", "-Z1", zip])).out.trim().split("\n");
  expect(names).toContain("dump.sql");
  expect(names).toContain("manifest.json");
  expect(names.filter((n) => n.startsWith("filestore/")).length).toBe(91);
  expect(JSON.parse((await sh(["unzip", "-p", zip, "manifest.json"])).out)).toMatchObject({
    odoo_dump: "1",
    db_name: "acme_prod",
    pg_version: "15.0",
  });
  const partners = await sh([
    "sh",
    "-c",
    'unzip -p "$1" dump.sql | grep -c "^COPY public.res_partner "',
    "x",
    zip,
  ]);
  expect(partners.out.trim()).toBe("1");
  await restoreAsOdoo(zip);
}

/**
 * What Odoo 17's restore_db does with a zip (odoo/service/db.py): zipfile's extractall of
 * dump.sql and filestore/, then `psql -q -f dump.sql` into an empty database.
 */
async function restoreAsOdoo(zip: string) {
  const out = join(dir, `odoo-restore-${++restores}`);
  const py = await sh([
    "python3",
    "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z:\n  z.extractall(sys.argv[2], ['dump.sql'] + [m for m in z.namelist() if m.startswith('filestore/')])",
    zip,
    out,
  ]);
  expect(py.err).toBe("");
  expect(tree(join(out, "filestore"))).toEqual(tree(filestore));
  const name = `zipw_restore_${restores}`;
  await pg.createDb(name, { owner: pg.odooUser });
  try {
    const env = { ...process.env, PGPASSWORD: pg.odooPassword };
    const args = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.odooUser, "-d", name];
    const r = Bun.spawnSync(["psql", "-q", ...args, "-f", join(out, "dump.sql")], { env });
    expect(r.exitCode).toBe(0);
    const n = Bun.spawnSync(["psql", "-tA", ...args, "-c", "SELECT count(*) FROM res_partner"], { env });
    expect(n.stdout.toString().trim()).toBe("101");
  } finally {
    await pg.dropDb(name);
    rmSync(out, { recursive: true, force: true });
  }
}

/** Files already compressed (the fixture's PNG and JPEG attachments) are stored, not deflated again. */
async function expectImagesStored(zip: string) {
  const methods = await sh([
    "python3",
    "-c",
    "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n  print(i.compress_type, i.filename)",
    zip,
  ]);
  const stored = methods.out
    .split("\n")
    .filter((l) => l.startsWith("0 filestore/"))
    .map((l) => l.slice(2));
  const images = Object.keys(tree(filestore)).filter((p) => {
    const head = readFileSync(join(filestore, p)).subarray(0, 4).toString("hex");
    return head === "89504e47" || head.startsWith("ffd8ff");
  });
  expect(images.length).toBe(63); // the fixture: 38 PNG, 25 JPEG
  expect(stored.sort()).toEqual(expect.arrayContaining(images.map((p) => `filestore/${p}`).sort()));
  expect(methods.out).toContain("8 dump.sql");
}

/** path → sha256 of every file under d. */
function tree(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (x: string) => {
    for (const e of readdirSync(x, { withFileTypes: true })) {
      const p = join(x, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(d, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(d);
  return out;
}

describe("Odoo zip writers", () => {
  test("python3 zipfile on the server, written straight into the destination file", async () => {
    const zip = join(dir, "py.zip");
    const r = await produceToFile(
      conn,
      odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
      zip,
      {
        what: "zip",
        compress: false,
        env: { PGPASSWORD: pg.odooPassword },
      },
    );
    expect(r.bytes).toBe(Bun.file(zip).size);
    expect(r.sha256).toBe(new Bun.CryptoHasher("sha256").update(await Bun.file(zip).bytes()).digest("hex"));
    await checkZip(zip);
    await expectImagesStored(zip);
  });

  test("the in-process writer (servers without python3) gives the same entries", async () => {
    const zip = join(dir, "js.zip");
    const z = odooZipStream(conn, {
      pgDumpArgv: dumpArgv(),
      env: { PGPASSWORD: pg.odooPassword },
      filestoreDir: filestore,
      manifest,
      signal: new AbortController().signal,
    });
    await Bun.write(zip, new Response(z.stdout));
    expect(await z.finished).toEqual({ files: 91, bytes: expect.any(Number) });
    await checkZip(zip);
    await expectImagesStored(zip);
  });

  test("a pg_dump that fails (wrong password): E_DB_AUTH, and what was written is not a valid zip", async () => {
    const zip = join(dir, "bad.zip");
    const err = await produceToFile(
      conn,
      odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
      zip,
      { what: "zip", compress: false, env: { PGPASSWORD: "wrong" } },
    ).catch((e) => e);
    expect(err.code).toBe("E_DB_AUTH");
    expect((await sh(["unzip", "-tq", zip])).code).not.toBe(0);
  });

  test("a full disk while the zip is written: E_DISK_FULL", async () => {
    if (process.getuid?.() !== 0) return; // needs mount
    const small = join(dir, "small");
    await sh(["mkdir", "-p", small]);
    expect((await sh(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small])).code).toBe(0);
    try {
      const err = await produceToFile(
        conn,
        odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest }),
        join(small, "full.zip"),
        { what: "zip", compress: false, env: { PGPASSWORD: pg.odooPassword } },
      ).catch((e) => e);
      expect(err.code).toBe("E_DISK_FULL");
    } finally {
      await sh(["umount", "-l", small]);
    }
  });
});

/**
 * A database whose dump is many 1 MiB pieces: `big` holds ~12 MB of mail-like rows. With `slow`,
 * a second table whose row-level security policy sleeps on its first row, so a pg_dump run with
 * --enable-row-security stops inside that table's COPY, after `big`'s data went out.
 */
async function bigDb(name: string, slow: boolean): Promise<string> {
  await pg.createDb(name, { owner: pg.odooUser });
  await pg.psql(
    name,
    `CREATE TABLE big (id serial PRIMARY KEY, body text);
    INSERT INTO big (body) SELECT '<p>' || repeat(md5(g::text) || ' your order ' || g || ' has shipped. ', 6) || '</p>'
      FROM generate_series(1, 40000) g;
    ALTER TABLE big OWNER TO ${pg.odooUser};` +
      (slow
        ? `CREATE TABLE zz_slow (id int);
    INSERT INTO zz_slow VALUES (1), (2);
    CREATE FUNCTION zz_wait(i int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(600); RETURN true; END $$;
    ALTER FUNCTION zz_wait(int) OWNER TO ${pg.odooUser};
    ALTER TABLE zz_slow OWNER TO ${pg.odooUser};
    ALTER TABLE zz_slow ENABLE ROW LEVEL SECURITY;
    ALTER TABLE zz_slow FORCE ROW LEVEL SECURITY;
    CREATE POLICY zz_wait ON zz_slow USING (zz_wait(id));`
        : ""),
  );
  return name;
}

const argvFor = (name: string, ...more: string[]) => [
  "pg_dump",
  "-h",
  "127.0.0.1",
  "-p",
  String(pg.port),
  "-U",
  pg.odooUser,
  "-d",
  name,
  ...more,
];

describe("Odoo zip, python writer: dump.sql deflated in pieces by a thread pool", () => {
  test("a dump of many 1 MiB pieces comes back byte for byte through zipfile and unzip", async () => {
    const name = await bigDb(`zipw_pieces_${process.pid}`, false);
    try {
      // A fixed \restrict key: pg_dump otherwise writes a random one, and two dumps would differ.
      const argv = argvFor(name, "--restrict-key=odoodecktest");
      const zip = join(dir, "pieces.zip");
      await produceToFile(conn, odooZipArgv({ pgDumpArgv: argv, filestoreDir: filestore, manifest }), zip, {
        what: "zip",
        compress: false,
        env: { PGPASSWORD: pg.odooPassword },
      });
      const direct = Bun.spawnSync([...argv, "--no-owner", "--format=p"], {
        env: { ...process.env, PGPASSWORD: pg.odooPassword },
        maxBuffer: 256 * 1024 * 1024,
      });
      expect(direct.exitCode).toBe(0);
      const want = direct.stdout;
      expect(want.length).toBeGreaterThan(8 * 1024 * 1024); // several pieces
      // zipfile checks the CRC-32 as it reads; testzip reads every entry.
      const py = await sh([
        "python3",
        "-c",
        "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nprint(z.testzip())\ni = z.getinfo('dump.sql')\nd = z.read(i)\nprint(i.compress_type, i.file_size, len(d), hashlib.sha256(d).hexdigest())",
        zip,
      ]);
      expect(py.err).toBe("");
      const sha = createHash("sha256").update(want).digest("hex");
      expect(py.out.trim().split("\n")).toEqual(["None", `8 ${want.length} ${want.length} ${sha}`]);
      expect((await sh(["unzip", "-tq", zip])).code).toBe(0);
      const viaUnzip = await sh(["sh", "-c", 'unzip -p "$1" dump.sql | sha256sum', "x", zip]);
      expect(viaUnzip.out.slice(0, 64)).toBe(sha);
      // Deflated, not stored: mail-like text shrinks many times.
      expect(Bun.file(zip).size).toBeLessThan(want.length / 3);
    } finally {
      await pg.dropDb(name);
    }
  });

  test("pg_dump killed mid-stream (after several pieces): E_COMMAND_FAILED and no valid zip", async () => {
    const name = await bigDb(`zipw_kill_${process.pid}`, true);
    try {
      const zip = join(dir, "killed.zip");
      const argv = argvFor(name, "--enable-row-security");
      const running = produceToFile(
        conn,
        odooZipArgv({ pgDumpArgv: argv, filestoreDir: filestore, manifest }),
        zip,
        { what: "zip", compress: false, env: { PGPASSWORD: pg.odooPassword } },
      ).catch((e) => e);
      // pg_dump is inside zz_slow's COPY (its policy sleeps): big's rows have gone out before it.
      let waiting = "";
      for (let i = 0; i < 600 && waiting !== "1"; i++) {
        await Bun.sleep(100);
        waiting = (
          await pg.psql(
            "postgres",
            `SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}' AND wait_event = 'PgSleep'`,
          )
        ).trim();
      }
      expect(waiting).toBe("1");
      const pids = dumpPids(name);
      expect(pids.length).toBe(1);
      process.kill(pids[0], "SIGKILL");
      const err = await running;
      expect(err.code).toBe("E_COMMAND_FAILED");
      expect((await sh(["unzip", "-tq", zip])).code).not.toBe(0);
      const py = await sh(["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1])", zip]);
      expect(py.err).toContain("BadZipFile");
    } finally {
      await pg.dropDb(name); // WITH (FORCE): also ends the backend still sleeping in the policy
    }
  });
});

/** The pid of the pg_dump process dumping database `name` (unique to the test), from /proc. */
function dumpPids(name: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      const exe = readlinkSync(`/proc/${e}/exe`);
      if (/\/pg_dump$/.test(exe) && argv.includes(name)) pids.push(Number(e));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

describe("Odoo zip, python writer: small files packed in groups, big ones streamed, in walk order", () => {
  test("600 small files across many groups and a 9 MiB file between them come back byte for byte, sorted", async () => {
    // 600 files of 3–5 KB (text and random) in 3 folders: more than one group by count (256) and
    // by bytes (1 MiB); a 9 MiB file (over the 8 MiB "small" limit) sits in the middle folder and
    // an empty file in the last, so the streamed file must keep its place between the groups.
    const fs = join(dir, "many");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    for (const [d, n] of [
      ["0a", 250],
      ["5f", 250],
      ["ff", 100],
    ] as const) {
      mkdirSync(join(fs, d), { recursive: true });
      for (let i = 0; i < n; i++) {
        const size = 3000 + ((i * 37) % 2000);
        const body =
          i % 3 === 0
            ? crypto.getRandomValues(new Uint8Array(size))
            : Buffer.from(`${d}-${i} lorem ipsum `.repeat(size / 10)).subarray(0, size);
        writeFileSync(join(fs, d, `f${String(i).padStart(3, "0")}`), body);
      }
    }
    const big = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.write(`block ${i} `, i);
    writeFileSync(join(fs, "5f", "f125x-big"), big);
    writeFileSync(join(fs, "ff", "empty"), "");
    const zip = join(dir, "many.zip");
    await produceToFile(conn, odooZipArgv({ pgDumpArgv: null, filestoreDir: fs, manifest }), zip, {
      what: "zip",
      compress: false,
    });
    expect((await sh(["unzip", "-tq", zip])).code).toBe(0);
    const py = await sh([
      "python3",
      "-c",
      "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nprint(z.testzip())\nfor i in z.infolist():\n  print(i.filename, hashlib.sha256(z.read(i)).hexdigest())",
      zip,
    ]);
    expect(py.err).toBe("");
    const [ok, ...lines] = py.out.trim().split("\n");
    expect(ok).toBe("None");
    const want = tree(fs);
    // The order os.walk gives with sorted folders and names: every entry, once, in that order.
    const walkOrder = Object.keys(want)
      .sort()
      .map((p) => `filestore/${p} ${want[p]}`);
    expect(lines.filter((l) => l.startsWith("filestore/"))).toEqual(walkOrder);
    expect(Object.keys(want).length).toBe(602);
  });

  test("an interpreter remembered for the server that is gone is looked up again, and the zip is written", async () => {
    const { rememberZipPython, zipPython } = await import("../../plugins/backup/archive/odoo-zip-export.ts");
    rememberZipPython(conn, join(dir, "gone-venv", "bin", "python3"));
    const python = await zipPython(conn);
    expect(python).toBeTruthy();
    expect(python).not.toContain("gone-venv");
    // The answer is the interpreter itself (not a launcher on the PATH): it runs, and is remembered.
    expect(
      Bun.spawnSync([python!, "-c", "import sys; print(sys.version_info[0])"]).stdout.toString().trim(),
    ).toBe("3");
    expect(await zipPython(conn)).toBe(python);
    const zip = join(dir, "venv.zip");
    await produceToFile(
      conn,
      odooZipArgv({ pgDumpArgv: dumpArgv(), filestoreDir: filestore, manifest, python: python! }),
      zip,
      {
        what: "zip",
        compress: false,
        env: { PGPASSWORD: pg.odooPassword },
      },
    );
    await checkZip(zip);
  });
});
