/**
 * The cluster swap's failure paths, on a real cluster of its own: a recovered copy that does not
 * start puts the live cluster back (running, every row there, nothing left beside it), and an
 * odoodeck killed -9 with the copy swapped in leaves a journal from which the next start puts the
 * live cluster back. The copy is a real physical one (pg_basebackup), as recovery makes it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";
import { LocalConnection, privatePg, type TestPg } from "../../../server/sdk/testing.ts";
import {
  inspectLiveCluster,
  type LiveCluster,
  type RewindJournal,
  repairRewind,
  swapClusterIn,
} from "./cluster-rewind.ts";
import { socketFolder } from "./recover.ts";
import { asClusterUser, clusterDir, pgBin, runLocal } from "./tools.ts";

let pg: TestPg;
let live: LiveCluster;
let parent = "";
const work = mkdtempSync(join(tmpdir(), "odoodeck-rewind-unit-"));
let n = 0;

const target = () => ({ host: pg.host, port: pg.port, user: pg.user, password: pg.password });
const rows = async () => (await pg.psql("postgres", "SELECT count(*) FROM t")).trim();
const systemId = async () =>
  (await pg.psql("postgres", "SELECT system_identifier FROM pg_control_system()")).trim();
const leftovers = () => readdirSync(parent).filter((f) => /rewind/.test(f) && !f.endsWith(".log"));

/** Whether a process runs (a zombie does not: PID 1 here may never reap the daemonized server). */
function runs(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** A physical copy of the live cluster beside it, as a recovery leaves one (stopped). */
async function copy(): Promise<{ scratch: string; data: string }> {
  const scratch = join(parent, `.odoodeck-rewind-test${++n}`);
  const data = join(scratch, "data");
  await runLocal(asClusterUser(["mkdir", "-p", "-m", "0700", scratch]), { what: "mkdir" });
  await runLocal(
    asClusterUser([
      pgBin("pg_basebackup"),
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      pg.user,
      "-D",
      data,
      "-Fp",
      "-X",
      "stream",
    ]),
    { what: "pg_basebackup", env: { PGPASSWORD: pg.password } },
  );
  return { scratch, data };
}

beforeAll(async () => {
  pg = await privatePg();
  await pg.psql("postgres", "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 3)");
  live = await inspectLiveCluster({ pg: target(), dbName: "postgres", systemId: null });
  parent = live.parent;
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("swapping a recovered cluster in", () => {
  test("the live cluster is this machine's, found from the server itself", async () => {
    expect(live.dataDir).toBe((await pg.psql("postgres", "SHOW data_directory")).trim());
    expect(live.systemId).toBe(await systemId());
    expect(live.manager.kind).toBe("pg_ctl");
    const far = await inspectLiveCluster({
      pg: { ...target(), host: "10.1.2.3" },
      dbName: "postgres",
      systemId: null,
    }).catch((e) => e);
    expect(far).toBeInstanceOf(AppError);
    expect(far.code).toBe("E_PITR_CLUSTER");
    const other = await inspectLiveCluster({ pg: target(), dbName: "postgres", systemId: "42" }).catch(
      (e) => e,
    );
    expect(other.message).toContain("not the one this archive was streamed from");
  });

  test("a copy that does not start: the live cluster is put back, running, every row there", async () => {
    const id = await systemId();
    const c = await copy();
    await pg.psql("postgres", "INSERT INTO t VALUES (4)"); // only the live cluster has it
    rmSync(join(c.data, "PG_VERSION")); // the postmaster refuses to start on it
    const stages: string[] = [];
    const e = await swapClusterIn({
      live,
      recovered: c.data,
      discardAs: join(c.scratch, "failed-data"),
      stamp: "20261207000001",
      pg: target(),
      dbName: "postgres",
      conn: new LocalConnection(),
      service: null,
      log: () => {},
      journal: async (s) => void stages.push(s),
    }).catch((x) => x);
    expect(e).toBeInstanceOf(AppError);
    expect({ code: e.code, hint: e.hint }).toEqual({
      code: "E_PITR_SWAP",
      hint: "The live cluster was put back and runs as before; nothing was changed",
    });
    expect(stages).toEqual(["swapping"]);
    expect(await rows()).toBe("4");
    expect(await systemId()).toBe(id);
    expect(existsSync(`${live.dataDir}.before-rewind-20261207000001`)).toBe(false);
    expect(existsSync(join(c.scratch, "failed-data"))).toBe(true); // removed with the scratch
    await runLocal(["rm", "-rf", c.scratch], { what: "rm" });
  }, 120_000);

  test("odoodeck killed -9 with the copy swapped in: the next start puts the live cluster back", async () => {
    await pg.psql("postgres", "DELETE FROM t WHERE id = 4");
    const c = await copy();
    await pg.psql("postgres", "INSERT INTO t VALUES (5)"); // only the live cluster has it
    const journalFile = join(work, "rewind.json");
    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "rewind-crash-child.ts"),
        JSON.stringify({
          live,
          recovered: c.data,
          discardAs: join(c.scratch, "failed-data"),
          stamp: "20261207000002",
          pg: target(),
          dbName: "postgres",
          journalFile,
        }),
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("swapped-in")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toContain("swapped-in");
    // the copy serves now (no row 5), the live directory is aside
    expect(await rows()).toBe("3");
    expect(existsSync(`${live.dataDir}.before-rewind-20261207000002`)).toBe(true);
    child.kill("SIGKILL");
    await child.exited;

    const j = JSON.parse(readFileSync(journalFile, "utf8")) as RewindJournal;
    expect(j.stage).toBe("swapping");
    const did = await repairRewind(j, target(), "postgres");
    expect(did).toContain("interrupted during the swap: the cluster as it was is back");
    expect(await pg.psql("postgres", "SELECT id FROM t ORDER BY id")).toBe("1\n2\n3\n5\n");
    expect(leftovers()).toEqual([]);
    expect(dirname(live.dataDir)).toBe(parent);
  }, 120_000);

  test("odoodeck killed -9 while recovering: the next start stops the scratch server it left and removes it", async () => {
    const c = await copy();
    const sock = await socketFolder(c.scratch); // as recovery picks it: a short path for the socket
    await clusterDir(sock);
    // the scratch server runs on (pg_ctl daemonizes it): a socket in its own folder, no TCP
    await runLocal(
      asClusterUser([
        pgBin("pg_ctl"),
        "-D",
        c.data,
        "-w",
        "-l",
        join(c.scratch, "server.log"),
        "-o",
        `-p 5 -c listen_addresses='' -c unix_socket_directories='${sock}'`,
        "start",
      ]),
      { what: "pg_ctl start" },
    );
    const pid = Number(readFileSync(join(c.data, "postmaster.pid"), "utf8").split("\n")[0]);
    expect(runs(pid)).toBe(true);
    const did = await repairRewind(
      { stage: "recovering", stamp: "20261207000003", at: "T", live },
      target(),
      "postgres",
    );
    expect(did).toContain("interrupted while recovering; the live cluster was not touched");
    expect(runs(pid)).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(await rows()).toBe("4");
    rmSync(sock, { recursive: true, force: true });
  }, 120_000);
});
