import type { CheckDef, Measurement } from "../types.ts";
import { countWorkerRestarts } from "./worker-log.ts";

/** How much of the end of the log is read: enough for an hour of a busy server, bounded. */
export const LOG_TAIL_BYTES = 4 * 1024 * 1024;
const HOUR = 3_600_000;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Worker deaths in the last hour, from the end of the instance's logfile. */
export const workerRestartsCheck: CheckDef = {
  id: "worker_restarts",
  label: "Worker restarts (1 h)",
  unit: "/h",
  thresholds: { warning: 3, critical: 10, direction: "above" },
  async run(target, signal): Promise<Measurement> {
    const { settings } = await target.odoo();
    const logfile = settings.logfile;
    if (!logfile)
      return {
        status: "unknown",
        message:
          "no logfile in odoo.conf: Odoo logs to stderr (usually the journal); set logfile to count worker restarts",
      };
    if (!logfile.startsWith("/"))
      return { status: "unknown", message: `logfile ${logfile} is relative: set an absolute path` };
    const conn = await target.instance.connection();
    const st = await conn.stat(logfile);
    if (!st) return { status: "unknown", message: `logfile ${logfile} does not exist on ${conn.label}` };
    const r = await conn.exec(["tail", "-c", String(LOG_TAIL_BYTES), "--", logfile], {
      signal,
      timeoutMs: 20_000,
    });
    if (r.code !== 0)
      return {
        status: "unknown",
        message: `cannot read ${logfile} on ${conn.label}: ${r.stderr.trim().slice(0, 200) || `exit code ${r.code}`}`,
      };
    const now = Date.now();
    const c = countWorkerRestarts(r.stdout, now - HOUR);
    const parts: string[] = [];
    if (c.timeout) parts.push(`${plural(c.timeout, "timeout")} (limit_time_real)`);
    if (c.memory) parts.push(`${c.memory} over limit_memory_soft`);
    if (c.crash) parts.push(plural(c.crash, "crash", "crashes"));
    if (c.reload) parts.push(`${plural(c.reload, "server reload")} on a limit (threaded mode)`);
    let message = c.restarts
      ? `${plural(c.restarts, "worker restart")} in the last hour: ${parts.join(", ")}`
      : "no abnormal worker restart in the last hour";
    if (c.recycled) message += `; ${c.recycled} recycled normally (limit_request, cron max age)`;
    if (settings.workers === 0 && !c.reload) message += " (workers = 0: threaded mode)";
    // A log busier than the tail we read: the count covers less than the hour.
    const coveredMinutes =
      st.size > LOG_TAIL_BYTES && c.oldest != null && c.oldest > now - HOUR
        ? Math.max(0, Math.floor((now - c.oldest) / 60_000))
        : 60;
    if (coveredMinutes < 60)
      message += `; the last ${LOG_TAIL_BYTES / 1024 / 1024} MB of ${logfile} cover only ${coveredMinutes} min`;
    const last = c.last.timeout ?? c.last.memory ?? c.last.crash ?? c.last.reload;
    if (last) message += `; last: ${last.slice(0, 160)}`;
    return {
      value: c.restarts,
      data: {
        timeouts: c.timeout,
        memory_limit: c.memory,
        crashes: c.crash,
        limit_reloads: c.reload,
        recycled: c.recycled,
        spawned: c.spawned,
        covered_minutes: coveredMinutes,
      },
      message,
    };
  },
};
