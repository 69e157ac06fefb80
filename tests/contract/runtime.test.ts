/**
 * The Runtime contract: one suite every kind passes — start → ready (readiness time recorded) →
 * status running → restart → ready → stop → status stopped, with the Odoo process really gone.
 *
 * Kinds: the managed process (a real supervised child, locally and over SSH to a real sshd on
 * loopback), docker and systemd. This machine has no docker daemon and no systemd as PID 1, so
 * docker and systemd run against stand-in `docker`/`systemctl`/`journalctl` executables
 * (tests/helpers/stand-in-tools, put first on PATH for those kinds only) that start the same
 * stand-in Odoo; a real transient-unit test runs only where systemd is running.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalConnection } from "../../server/connections/local.ts";
import { SshConnection } from "../../server/connections/ssh.ts";
import type { Connection } from "../../server/connections/types.ts";
import { DockerRuntime } from "../../server/runtime/docker.ts";
import type { SupervisorEvent } from "../../server/runtime/managed-child.ts";
import { hasSystemd } from "../../server/runtime/managed-unit.ts";
import { ManagedRuntime } from "../../server/runtime/managed.ts";
import { SystemdRuntime } from "../../server/runtime/systemd.ts";
import type { Runtime } from "../../server/runtime/types.ts";
import { getSshd } from "../helpers/sshd.ts";
import { freeLocalPort, odooProcesses, STAND_IN_ODOO, STAND_IN_TOOLS, waitGone } from "../helpers/runtime.ts";

const T = 60_000;

interface Kind {
  name: string;
  make(dir: string): Promise<{ rt: Runtime; conn: Connection; marker: string }>;
  /** PATH with the stand-in tools, for the kinds that need them. */
  standIns?: boolean;
}

const local = new LocalConnection();

function managed(name: string, conn: () => Promise<Connection>): Kind {
  return {
    name,
    async make(dir) {
      const c = await conn();
      const rt = new ManagedRuntime({
        connection: c,
        name: `ct-${Date.now()}`,
        odooBin: [STAND_IN_ODOO],
        workDir: dir,
        db: "acme_prod",
      });
      return { rt, conn: c, marker: join(dir, "odoo.conf") };
    },
  };
}

/** The stand-in tools start the stand-in Odoo with <state>/<name>.conf; the test writes it. */
function standInConf(dir: string, name: string): string {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    `[options]\nhttp_port = ${freeLocalPort()}\ndata_dir = ${dir}/data\ndb_name = acme_prod\n`,
  );
  return conf;
}

const port = (conf: string) => Number(/http_port = (\d+)/.exec(readFileSync(conf, "utf8"))![1]);

const kinds: Kind[] = [
  managed("managed (local child)", async () => local),
  managed("managed (child over SSH)", async () => {
    const s = await getSshd();
    return new SshConnection({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
  }),
  {
    name: "docker (stand-in docker CLI: no daemon on this machine)",
    standIns: true,
    async make(dir) {
      const conf = standInConf(dir, "odoo17");
      const rt = new DockerRuntime(local, "odoo17", {
        baseUrl: `http://127.0.0.1:${port(conf)}`,
        db: "acme_prod",
      });
      return { rt, conn: local, marker: conf };
    },
  },
  {
    name: "systemd (stand-in systemctl/journalctl: systemd is not PID 1 here)",
    standIns: true,
    async make(dir) {
      const conf = standInConf(dir, "odoo-acme.service");
      const rt = new SystemdRuntime(local, "odoo-acme", {
        baseUrl: `http://127.0.0.1:${port(conf)}`,
        db: "acme_prod",
      });
      return { rt, conn: local, marker: conf };
    },
  },
];

for (const kind of kinds) {
  describe(`Runtime contract: ${kind.name}`, () => {
    let dir: string;
    let rt: Runtime;
    let marker: string;
    const path = process.env.PATH;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "odoodeck-rt-"));
      if (kind.standIns) {
        process.env.PATH = `${STAND_IN_TOOLS}:${path}`;
        process.env.STAND_IN_STATE = dir;
      }
      ({ rt, marker } = await kind.make(dir));
    });
    afterAll(async () => {
      await rt.stop().catch(() => {});
      process.env.PATH = path;
      delete process.env.STAND_IN_STATE;
      rmSync(dir, { recursive: true, force: true });
    });

    test(
      "start → ready with a readiness time → running → restart → ready → stop → stopped, no process left",
      async () => {
        expect((await rt.status()).state).toBe("stopped");
        await rt.start();
        const ready = await rt.waitReady({ timeoutMs: 20_000 });
        // The stand-in loads for 300 ms before it listens: a readiness time below that is a lie.
        expect(ready.readyMs).toBeGreaterThanOrEqual(250);
        expect(ready.via).toBe("/web/health");
        expect(rt.lastReady).toEqual(ready);
        const up = await rt.status();
        expect(up.state).toBe("running");
        expect(up.pid).toBeGreaterThan(0);
        expect(odooProcesses(marker)).toEqual([up.pid!]);

        await rt.restart();
        await rt.waitReady({ timeoutMs: 20_000 });
        const again = await rt.status();
        expect(again.state).toBe("running");
        expect(again.pid).not.toBe(up.pid);
        expect(odooProcesses(marker)).toEqual([again.pid!]);
        expect(await rt.logs({ lines: 50 })).toContain("HTTP service (werkzeug) running on 127.0.0.1:");

        await rt.stop();
        expect((await rt.status()).state).toBe("stopped");
        expect(await waitGone(marker)).toEqual([]);
      },
      T,
    );
  });
}

describe("Runtime contract: managed as a real transient systemd unit", async () => {
  const running = await hasSystemd(local);
  // Only where systemd is PID 1; the stand-in suite above covers the systemd commands everywhere.
  test.skipIf(!running)(
    "systemd-run unit starts, answers, restarts and stops",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "odoodeck-rt-unit-"));
      const rt = new ManagedRuntime({
        connection: local,
        name: `ct-unit-${process.pid}`,
        odooBin: [resolve(STAND_IN_ODOO)],
        workDir: dir,
        db: "acme_prod",
        mode: "unit",
      });
      try {
        await rt.start();
        await rt.waitReady({ timeoutMs: 30_000 });
        expect((await rt.status()).state).toBe("running");
        await rt.restart();
        await rt.waitReady({ timeoutMs: 30_000 });
        await rt.stop();
        expect((await rt.status()).state).toBe("stopped");
        expect(await waitGone(join(dir, "odoo.conf"))).toEqual([]);
      } finally {
        await rt.stop().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      }
    },
    T,
  );
});

const sshConn = async () => {
  const s = await getSshd();
  return { host: s.host, port: s.port, username: s.username, privateKey: s.privateKey };
};

for (const where of ["local", "SSH"] as const) {
  describe(`Managed Odoo supervision (${where})`, () => {
    const dirs: string[] = [];
    const fresh = () => {
      const d = mkdtempSync(join(tmpdir(), "odoodeck-rt-sup-"));
      dirs.push(d);
      return d;
    };
    const connect = async (): Promise<Connection> =>
      where === "local" ? local : new SshConnection(await sshConn());
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test(
      "a crash is restarted with a growing back-off, each crash an event, and it recovers once fixed",
      async () => {
        const dir = fresh();
        const events: SupervisorEvent[] = [];
        const rt = new ManagedRuntime({
          connection: await connect(),
          name: "crashy",
          odooBin: [STAND_IN_ODOO],
          workDir: dir,
          db: "acme_prod",
          backoff: { initialMs: 200, maxMs: 800 },
          onEvent: (e) => events.push(e),
        });
        try {
          await rt.start();
          await rt.waitReady({ timeoutMs: 20_000 });
          const first = (await rt.status()).pid!;
          // The stand-in exits with status 3 while this file exists, so each restart crashes too.
          writeFileSync(join(dir, "data", "stand-in-crash"), "");
          const until = Date.now() + 15_000;
          while (events.filter((e) => e.type === "crashed").length < 4 && Date.now() < until)
            await Bun.sleep(20);
          const crashes = events.filter((e) => e.type === "crashed");
          expect(crashes.slice(0, 4)).toEqual([
            { type: "crashed", exitCode: 3, attempt: 1, retryInMs: 200 },
            { type: "crashed", exitCode: 3, attempt: 2, retryInMs: 400 },
            { type: "crashed", exitCode: 3, attempt: 3, retryInMs: 800 },
            { type: "crashed", exitCode: 3, attempt: 4, retryInMs: 800 },
          ]);
          expect(events.filter((e) => e.type === "respawned").length).toBeGreaterThanOrEqual(3);
          rmSync(join(dir, "data", "stand-in-crash"));
          await rt.waitReady({ timeoutMs: 20_000 });
          const now = await rt.status();
          expect(now.state).toBe("running");
          expect(now.pid).not.toBe(first);
          expect(odooProcesses(join(dir, "odoo.conf"))).toEqual([now.pid!]);
        } finally {
          await rt.stop();
        }
        expect(await waitGone(join(dir, "odoo.conf"))).toEqual([]);
      },
      T,
    );

    test(
      "firstStartArgs (a preview's -i/-u) go to the first start only: not to a crash respawn nor a restart",
      async () => {
        const dir = fresh();
        const rt = new ManagedRuntime({
          connection: await connect(),
          name: "once",
          odooBin: [STAND_IN_ODOO],
          workDir: dir,
          db: "acme_prod",
          firstStartArgs: ["--stand-in-first-start"],
          backoff: { initialMs: 100, maxMs: 100 },
        });
        // The stand-in appends each boot's arguments to <data_dir>/stand-in-boots.
        const boots = () =>
          readFileSync(join(dir, "data", "stand-in-boots"), "utf8")
            .trim()
            .split("\n")
            .map((l) => (JSON.parse(l) as string[]).includes("--stand-in-first-start"));
        try {
          await rt.start();
          await rt.waitReady({ timeoutMs: 20_000 });
          expect(boots()).toEqual([true]);
          const crash = join(dir, "data", "stand-in-crash");
          writeFileSync(crash, "");
          const until = Date.now() + 15_000;
          while (boots().length < 2 && Date.now() < until) await Bun.sleep(20);
          rmSync(crash);
          await rt.waitReady({ timeoutMs: 20_000 });
          await rt.restart();
          await rt.waitReady({ timeoutMs: 20_000 });
          const seen = boots();
          expect(seen[0]).toBe(true);
          expect(seen.length).toBeGreaterThanOrEqual(3);
          expect(seen.slice(1).every((first) => !first)).toBe(true);
        } finally {
          await rt.stop();
        }
      },
      T,
    );

    test(
      "kill -9 of odoodeck leaves no orphan Odoo (the child dies with it; nothing to re-adopt)",
      async () => {
        const dir = fresh();
        const args = ["tests/helpers/runtime-child.ts", dir];
        if (where === "SSH") args.push(JSON.stringify(await sshConn()));
        const child = Bun.spawn([process.execPath, ...args], { stdout: "pipe", stderr: "inherit" });
        try {
          const reader = child.stdout.getReader();
          const { value } = await reader.read();
          const { pid } = JSON.parse(new TextDecoder().decode(value)) as { pid: number };
          expect(odooProcesses(join(dir, "odoo.conf"))).toEqual([pid]);
          process.kill(child.pid, "SIGKILL");
          expect(await waitGone(join(dir, "odoo.conf"))).toEqual([]);
        } finally {
          child.kill("SIGKILL");
        }
      },
      T,
    );
  });
}
