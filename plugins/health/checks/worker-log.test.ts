import { describe, expect, test } from "bun:test";
import { countWorkerRestarts } from "./worker-log.ts";

const NOW = Date.parse("2026-11-23T10:30:00Z");
const HOUR_AGO = NOW - 3_600_000;
/** A line as Odoo 17 writes it (UTC, trailing space from the empty perf_info). */
const line = (minutesAgo: number, pid: number, level: string, logger: string, msg: string) => {
  const t = new Date(NOW - minutesAgo * 60_000)
    .toISOString()
    .replace("T", " ")
    .replace(".", ",")
    .slice(0, 23);
  return `${t} ${pid} ${level} ? ${logger}: ${msg} `;
};

describe("worker restarts in Odoo's log", () => {
  test("each kind of death is counted, normal recycling is not, old lines are ignored", () => {
    const log = [
      "ed', 'error'] in a cut first line: 2026-11-23 10:00:00,000 1 ERROR ? odoo.service.server: WorkerHTTP (1) timeout after 120s",
      line(90, 4100, "ERROR", "odoo.service.server", "WorkerHTTP (4111) timeout after 120s"),
      line(50, 4100, "INFO", "odoo.service.server", "Worker WorkerHTTP (4120) alive"),
      line(40, 4100, "ERROR", "odoo.service.server", "WorkerHTTP (4120) timeout after 120s"),
      line(40, 4100, "ERROR", "odoo.service.server", "WorkerHTTP (4120) timeout after 120s"),
      line(35, 4100, "ERROR", "odoo.service.server", "WorkerCron (4102) timeout after 600s"),
      line(
        30,
        4121,
        "INFO",
        "odoo.service.server",
        "Worker (4121) virtual memory limit (2254857216) reached.",
      ),
      line(
        29,
        4121,
        "INFO",
        "odoo.service.server",
        "Worker (4121) exiting. request_count: 311, registry count: 1.",
      ),
      line(
        20,
        4122,
        "ERROR",
        "odoo.service.server",
        "Worker WorkerHTTP (4122) Exception occurred, exiting...",
      ),
      "Traceback (most recent call last):",
      '  File "/opt/odoo/odoo17/odoo/service/server.py", line 1112, in _runloop',
      "MemoryError",
      line(10, 4123, "INFO", "odoo.service.server", "Worker (4123) max request (8192) reached."),
      line(9, 4102, "INFO", "odoo.service.server", "WorkerCron (4124) max age (3600s) reached."),
      line(8, 4100, "INFO", "odoo.service.server", "Worker WorkerHTTP (4125) alive"),
      line(5, 4100, "INFO", "odoo.addons.acme.models", "WorkerHTTP (9) timeout after 1s"),
      line(2, 4130, "WARNING", "odoo.service.server", "Gevent virtual memory limit reached: 2254857216"),
    ].join("\n");
    const c = countWorkerRestarts(log, HOUR_AGO);
    expect(c).toMatchObject({
      timeout: 2,
      memory: 2,
      crash: 1,
      reload: 0,
      restarts: 5,
      recycled: 2,
      spawned: 2,
      oldest: NOW - 90 * 60_000,
    });
    expect(c.last.timeout).toBe("WorkerCron (4102) timeout after 600s");
    expect(c.last.memory).toBe("Gevent virtual memory limit reached: 2254857216");
  });

  test('text after "timeout after Ns" (as patched servers add) still counts', () => {
    const log = line(
      1,
      7,
      "ERROR",
      "odoo.service.server",
      "WorkerHTTP (77) timeout after 120s while /web/dataset/call_kw",
    );
    expect(countWorkerRestarts(log, HOUR_AGO).timeout).toBe(1);
  });

  test("threaded mode: a reload on a limit counts once", () => {
    const log = [
      line(3, 9, "WARNING", "odoo.service.server", "Server memory limit (2254857216) reached."),
      line(
        3,
        9,
        "INFO",
        "odoo.service.server",
        "Dumping stacktrace of limit exceeding threads before reloading",
      ),
      line(3, 9, "INFO", "odoo.service.server", "Initiating server reload"),
      line(1, 9, "CRITICAL", "odoo.service.server", "Critial worker error (4190)"),
    ].join("\n");
    expect(countWorkerRestarts(log, HOUR_AGO)).toMatchObject({ reload: 1, crash: 1, restarts: 2 });
  });

  test("a quiet log: nothing, and the oldest time read", () => {
    const c = countWorkerRestarts(
      line(
        5,
        1,
        "INFO",
        "werkzeug",
        '127.0.0.1 - - [23/Nov/2026 10:25:00] "GET /web/health HTTP/1.1" 200 - 1 0.001 0.002',
      ),
      HOUR_AGO,
    );
    expect(c).toMatchObject({ restarts: 0, spawned: 0, oldest: NOW - 5 * 60_000 });
    expect(countWorkerRestarts("", HOUR_AGO).oldest).toBeNull();
  });
});
