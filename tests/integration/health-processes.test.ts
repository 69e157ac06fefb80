import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import { runCheck } from "../../plugins/health/engine/runner.ts";
import { makeTarget } from "../../plugins/health/target.ts";
import { type FakeOdooProcess, startFakeOdoo } from "../../plugins/health/test-support/fake-odoo-process.ts";
import type { CheckResult } from "../../plugins/health/types.ts";
import { createToken } from "../../server/auth/tokens.ts";
import type { InstanceHandle, PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES_DIR } from "../helpers/fixtures.ts";
import { getSshd, type TestSshd } from "../helpers/sshd.ts";

// A process sample takes a second; over SSH on a loaded 2-CPU box, several.
setDefaultTimeout(60_000);

let t: TestApp;
let sshd: TestSshd;
let ctx: PluginContext<any>;
let mon: HealthMonitor;
let sshServerId: number;
const dir = mkdtempSync(join(tmpdir(), "health-procs-"));
const logfile = join(dir, "odoo.log");
const conf = join(dir, "odoo.conf");
const conf2 = join(dir, "odoo-second.conf");
const procs: FakeOdooProcess[] = [];
const decoys: Array<ReturnType<typeof Bun.spawn>> = [];
let odoo: FakeOdooProcess;

writeFileSync(
  conf,
  `[options]\ndata_dir = ${dir}\nworkers = 2\nmax_cron_threads = 1\nlimit_memory_soft = 2147483648\nlogfile = ${logfile}\n`,
);
writeFileSync(conf2, `[options]\ndata_dir = ${dir}\n`);

/** A log line as Odoo 17 writes it: UTC time, pid, level, db, logger, message (and a trailing space). */
function odooLine(minutesAgo: number, pid: number, level: string, message: string): string {
  const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return `${at.slice(0, 10)} ${at.slice(11, 19)},${at.slice(20, 23)} ${pid} ${level} ? odoo.service.server: ${message} \n`;
}

async function addSshServer(): Promise<number> {
  await t.admin.page("/servers");
  const res = await t.admin.post("/servers/new", {
    name: "ssh-loopback",
    kind: "ssh",
    host: sshd.host,
    port: String(sshd.port),
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  expect(res.status).toBe(303);
  return Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
}

let seq = 0;
async function instance(opts: {
  confPath: string;
  ssh?: boolean;
  service?: string;
  container?: string;
  production?: boolean;
}): Promise<InstanceHandle> {
  const id = await t.addLocalInstance({
    name: `procs-${++seq}`,
    confPath: opts.confPath,
    service: opts.service ?? null,
    production: opts.production,
  });
  await t.core.db
    .updateTable("instances")
    .set({
      container: opts.container ?? null,
      ...(opts.ssh ? { server_id: sshServerId } : {}),
    })
    .where("id", "=", id)
    .execute();
  return ctx.instances.get(id);
}

async function run(check: string, inst: InstanceHandle): Promise<CheckResult> {
  const def = mon.checks.find((c) => c.id === check)!;
  const override = (await mon.store.overrides(inst.id)).get(check);
  return runCheck(def, makeTarget(inst), { timeoutMs: 45_000, override });
}

async function setOverride(inst: InstanceHandle, check: string, body: Record<string, unknown>) {
  await t.admin.page(`/p/health/i/${inst.id}/`);
  const { status } = await t.admin.request("PUT", `/api/v1/health/i/${inst.id}/overrides/${check}`, {
    json: body,
  });
  expect(status).toBe(200);
}

beforeAll(async () => {
  [t, sshd] = await Promise.all([startTestApp({ plugins: [health] }), getSshd()]);
  ctx = t.core.host.records.find((r) => r.id === "health")!.ctx!;
  mon = monitorOf(ctx);
  await mon.stopLoop();
  sshServerId = await addSshServer();
  odoo = await startFakeOdoo(["-c", conf]);
  procs.push(odoo);
  procs.push(await startFakeOdoo([`--config=${conf2}`]));
  // Processes that name the conf without being Odoo started with it must not count.
  decoys.push(Bun.spawn(["tail", "-f", conf], { stdout: "ignore" }));
  decoys.push(Bun.spawn(["sleep", "600", "-c", `${conf}.bak`], { stdout: "ignore", stderr: "ignore" }));
}, 60_000);

afterAll(async () => {
  for (const d of decoys) d.kill();
  for (const p of procs) await p.stop();
  await t.stop();
});

describe("Odoo processes: found, measured, thresholds", () => {
  test("local: the main process and its three renamed workers, with memory and CPU", async () => {
    expect(odoo.children()).toHaveLength(3);
    const inst = await instance({ confPath: conf });
    const [p, m, c] = await Promise.all([
      run("odoo_processes", inst),
      run("odoo_memory", inst),
      run("odoo_cpu", inst),
    ]);
    expect(p).toMatchObject({
      status: "ok",
      value: 4,
      message: `4 processes running (found by command lines with -c ${conf})`,
    });
    expect(m.status).toBe("ok");
    expect(m.value!).toBeGreaterThan(1);
    expect(m.data!.rss_bytes).toBeGreaterThan(odoo.rss());
    expect(m.data!.processes).toBe(4);
    expect(m.data!.limit_memory_soft_bytes).toBe(2147483648);
    expect(m.message).toMatch(
      /^[\d.]+ MB resident in 4 processes \([\d.]+% of [\d.]+ MB\); largest virtual size [\d.]+ MB of limit_memory_soft 2048 MB$/,
    );
    expect(c.status).toBe("ok");
    expect(c.value!).toBeGreaterThanOrEqual(0);
    expect(c.message).toMatch(/^[\d.]+% of \d+ CPUs? \([\d.]+% of one core\) over 1\.\d s in 4 processes$/);
  });

  test("--config=<conf> is found too, and only that instance's processes count", async () => {
    const inst = await instance({ confPath: conf2 });
    expect(await run("odoo_processes", inst)).toMatchObject({ status: "ok", value: 4 });
  });

  test("over SSH: the same processes, read through the real sshd", async () => {
    const inst = await instance({ confPath: conf, ssh: true });
    const [p, m] = await Promise.all([run("odoo_processes", inst), run("odoo_memory", inst)]);
    expect(p).toMatchObject({ status: "ok", value: 4 });
    expect(m.data!.rss_bytes).toBeGreaterThan(0);
    expect(m.data!.processes).toBe(4);
  });

  test("memory that grows past an instance's override turns the check to warning", async () => {
    const inst = await instance({ confPath: conf });
    const before = await run("odoo_memory", inst);
    await setOverride(inst, "odoo_memory", { warning: before.value! + 48, critical: before.value! + 4096 });
    expect((await run("odoo_memory", inst)).status).toBe("ok");
    const rss0 = odoo.rss();
    process.kill(odoo.pid, "SIGUSR1");
    for (let i = 0; i < 200 && odoo.rss() < rss0 + 90 * 1024 * 1024; i++) await Bun.sleep(25);
    const after = await run("odoo_memory", inst);
    expect(after.value!).toBeGreaterThan(before.value! + 90);
    expect(after.status).toBe("warning");
  });

  test("a busy Odoo is seen on the CPU; with a low override it is a warning", async () => {
    const inst = await instance({ confPath: conf });
    await setOverride(inst, "odoo_cpu", { warning: 1, critical: 1000 });
    process.kill(odoo.pid, "SIGUSR2"); // three seconds of busy loop
    const r = await run("odoo_cpu", inst);
    expect(r.value!).toBeGreaterThanOrEqual(1);
    expect(r.data!.cpu_core_percent).toBeGreaterThan(0);
    expect(r.status).toBe("warning");
  });

  test("no Odoo process: a warning for a plain instance, critical for one with a service, and how it searched", async () => {
    const nowhere = join(dir, "not-running.conf");
    writeFileSync(nowhere, "[options]\n");
    const plain = await run("odoo_processes", await instance({ confPath: nowhere }));
    expect(plain).toMatchObject({
      status: "warning",
      value: 0,
      message: `no Odoo process found on local (searched: command lines with -c ${nowhere})`,
    });
    // systemd is not running here: the unit's MainPID cannot be read, the scan still runs.
    const svc = await instance({ confPath: nowhere, service: "odoo-acme" });
    expect(await run("odoo_processes", svc)).toMatchObject({ status: "critical", value: 0 });
    expect(await run("odoo_memory", svc)).toMatchObject({
      status: "unknown",
      message: "no Odoo process to measure",
    });
  });
});

describe("container state", () => {
  test("docker without a daemon: unknown, saying docker is not available on that server", async () => {
    const inst = await instance({ confPath: "/etc/odoo/odoo.conf", container: "odoo17-acme" });
    const r = await run("container", inst);
    expect(r.status).toBe("unknown");
    expect(r.message).toStartWith("docker not available on local: ");
    expect(r.message).toContain("Cannot connect to the Docker daemon");
    // The processes of a container are found through it: the same reason is given.
    const p = await run("odoo_processes", inst);
    expect(p.status).toBe("unknown");
    expect(p.message).toStartWith("cannot find the container's processes: docker not available on local");
  });

  test("the same over SSH names the SSH server", async () => {
    const inst = await instance({ confPath: "/etc/odoo/odoo.conf", container: "odoo17-acme", ssh: true });
    const r = await run("container", inst);
    expect(r.status).toBe("unknown");
    expect(r.message).toStartWith(`docker not available on ${sshd.username}@${sshd.host}:${sshd.port}: `);
  });

  test("a server without the docker command at all", async () => {
    const inst = await instance({ confPath: "/etc/odoo/odoo.conf", container: "odoo17-acme" });
    const path = process.env.PATH;
    process.env.PATH = "/usr/bin:/bin"; // docker lives in /usr/local/bin here
    try {
      expect(await run("container", inst)).toMatchObject({
        status: "unknown",
        message: "docker not available on local: the docker command is not installed",
      });
    } finally {
      process.env.PATH = path;
    }
  });

  test("an instance without a container has no container check", async () => {
    const def = mon.checks.find((c) => c.id === "container")!;
    expect(def.applies!(await instance({ confPath: conf }))).toBe(false);
  });
});

describe("worker restarts from the logfile", () => {
  beforeAll(() => {
    // The real fixture log (a day old), then the last two hours of a prefork server in trouble.
    copyFileSync(join(FIXTURES_DIR, "odoo.log"), logfile);
    appendFileSync(
      logfile,
      [
        odooLine(110, 4100, "ERROR", "WorkerHTTP (4101) timeout after 120s"),
        odooLine(95, 4103, "INFO", "Worker (4103) virtual memory limit (2254857216) reached."),
        odooLine(50, 4100, "INFO", "Worker WorkerHTTP (4110) alive"),
        odooLine(40, 4100, "ERROR", "WorkerHTTP (4110) timeout after 120s"),
        odooLine(38, 4100, "ERROR", "WorkerCron (4104) timeout after 600s"),
        odooLine(30, 4111, "INFO", "Worker (4111) virtual memory limit (2254857216) reached."),
        odooLine(30, 4111, "INFO", "Worker (4111) exiting. request_count: 311, registry count: 1."),
        odooLine(20, 4112, "ERROR", "Worker WorkerHTTP (4112) Exception occurred, exiting..."),
        "Traceback (most recent call last):\n",
        '  File "/opt/odoo/odoo17/odoo/service/server.py", line 1112, in _runloop\n',
        "MemoryError\n",
        odooLine(10, 4113, "INFO", "Worker (4113) max request (8192) reached."),
        odooLine(9, 4100, "INFO", "Worker WorkerHTTP (4114) alive"),
      ].join(""),
    );
  });

  test("local: 4 restarts in the last hour is a warning, with the causes", async () => {
    const r = await run("worker_restarts", await instance({ confPath: conf }));
    expect(r).toMatchObject({
      status: "warning",
      value: 4,
      data: { timeouts: 2, memory_limit: 1, crashes: 1, recycled: 1, spawned: 2, covered_minutes: 60 },
    });
    expect(r.message).toBe(
      "4 worker restarts in the last hour: 2 timeouts (limit_time_real), 1 over limit_memory_soft, 1 crash; 1 recycled normally (limit_request, cron max age); last: WorkerCron (4104) timeout after 600s",
    );
  });

  test("over SSH: same count; six more timeouts make it critical", async () => {
    const inst = await instance({ confPath: conf, ssh: true });
    expect(await run("worker_restarts", inst)).toMatchObject({ status: "warning", value: 4 });
    for (let i = 0; i < 6; i++)
      appendFileSync(logfile, odooLine(1, 4100, "ERROR", `WorkerHTTP (${4200 + i}) timeout after 120s`));
    expect(await run("worker_restarts", inst)).toMatchObject({ status: "critical", value: 10 });
  });

  test("no logfile, or a logfile that is not there: unknown, and why", async () => {
    expect(await run("worker_restarts", await instance({ confPath: conf2 }))).toMatchObject({
      status: "unknown",
      message:
        "no logfile in odoo.conf: Odoo logs to stderr (usually the journal); set logfile to count worker restarts",
    });
    const gone = join(dir, "gone.conf");
    writeFileSync(gone, `[options]\nlogfile = ${dir}/missing.log\n`);
    expect(await run("worker_restarts", await instance({ confPath: gone }))).toMatchObject({
      status: "unknown",
      message: `logfile ${dir}/missing.log does not exist on local`,
    });
  });
});

describe("health tab and /metrics", () => {
  let inst: InstanceHandle;
  beforeAll(async () => {
    inst = await instance({ confPath: conf });
    await mon.checkInstance(inst);
    await mon.checkInstance(inst);
  });

  test("the health tab lists the new checks and charts them", async () => {
    const { res, html } = await t.admin.page(`/p/health/i/${inst.id}/`);
    expect(res.status).toBe(200);
    expect(html).toContain("Odoo processes");
    expect(html).toContain("4 processes running");
    expect(html).toMatch(/<svg[^>]*aria-label="Odoo memory \(RSS\)" data-points="2"/);
    expect(html).toMatch(/<svg[^>]*aria-label="Odoo CPU \(share of the server\)" data-points="2"/);
    expect(html).toMatch(/<svg[^>]*aria-label="Worker restarts in the last hour" data-points="2"/);
  });

  test("/metrics carries process count, memory, CPU and worker restarts, as valid Prometheus text", async () => {
    const admin = await t.core.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", "admin")
      .executeTakeFirstOrThrow();
    const { token } = await createToken(
      t.core.db,
      { id: Number(admin.id), role: "admin" },
      { name: "prometheus", role: "viewer" },
    );
    const res = await fetch(`${t.url}/api/v1/health/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const fams = parsePrometheus(await res.text());
    const value = (name: string) => {
      const f = fams.find((x) => x.name === name);
      const m = f?.metrics.find((x) => x.labels?.instance === inst.name);
      return m ? Number(m.value) : undefined;
    };
    expect(value("odoodeck_odoo_processes")).toBe(4);
    expect(value("odoodeck_odoo_memory_rss_bytes")!).toBeGreaterThan(96 * 1024 * 1024);
    expect(value("odoodeck_odoo_cpu_ratio")!).toBeGreaterThanOrEqual(0);
    expect(value("odoodeck_odoo_cpu_cores")!).toBeGreaterThanOrEqual(0);
    expect(value("odoodeck_odoo_worker_restarts")).toBe(10);
    expect(fams.find((f) => f.name === "odoodeck_odoo_processes")?.help).toContain("Odoo processes");
  });
});
