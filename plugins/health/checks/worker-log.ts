/**
 * Counts Odoo worker deaths in a piece of its log. The messages are Odoo's own, from
 * odoo/service/server.py (PreforkServer, Worker, WorkerCron, ThreadedServer; 14.0 to 18.0),
 * all logged by "odoo.service.server":
 *
 *   ERROR    "%s (%s) timeout after %ss"                     parent SIGKILLs a worker (limit_time_real[_cron])
 *   INFO     "Worker (%d) virtual memory limit (%s) reached." worker recycles itself (limit_memory_soft)
 *   WARNING  "Gevent virtual memory limit reached: %s"        the websocket process does the same
 *   ERROR    "Worker (%s) Exception occurred, exiting..."     worker crashed (also "Worker %s (%s) …")
 *   CRITICAL "Critial worker error (%s)"                      worker exited 3: the server stops (sic)
 *   INFO     "Dumping stacktrace of limit exceeding threads before reloading"
 *                                                             threaded mode: the server reloads on a limit
 *   INFO     "Worker (%d) max request (%s) reached."          normal recycling (limit_request)
 *   INFO     "WorkerCron (%s) max age (%ss) reached."         normal recycling (limit_time_worker_cron)
 *   INFO     "Worker %s (%s) alive"                           a worker (re)started
 */

/** Odoo's line header: `%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s`. */
const HEADER_RE =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) (\d+) ([A-Z_]+) (\S+) ([^\s:]+): ?(.*)$/;

type Kind = "timeout" | "memory" | "crash" | "reload" | "recycled" | "spawned";

const PATTERNS: Array<[Kind, RegExp]> = [
  ["timeout", /^(\w+) \((\d+)\) timeout after \d+s/],
  ["memory", /^Worker \((\d+)\) virtual memory limit \(\d+\) reached/],
  ["memory", /^Gevent virtual memory limit reached/],
  ["crash", /^Worker (?:\w+ )?\((\d+)\) Exception occurred, exiting/],
  ["crash", /^Critial worker error \((\d+)\)/],
  ["reload", /^Dumping stacktrace of limit exceeding threads before reloading/],
  ["recycled", /^Worker \((\d+)\) max request \(\d+\) reached/],
  ["recycled", /^WorkerCron \((\d+)\) max age \(\d+s\) reached/],
  ["spawned", /^Worker \w+ \((\d+)\) alive/],
];

export interface WorkerRestarts {
  /** Abnormal deaths: timeouts + memory + crashes + limit reloads. */
  restarts: number;
  timeout: number;
  memory: number;
  crash: number;
  reload: number;
  /** Normal recycling after limit_request / limit_time_worker_cron (not counted as restarts). */
  recycled: number;
  spawned: number;
  /** Time of the oldest line read (ms, UTC), or null when no line had a header. */
  oldest: number | null;
  /** One example line per kind, newest, for the message. */
  last: Partial<Record<Kind, string>>;
}

/**
 * Counts the events of lines stamped at or after `since` (ms since epoch; Odoo logs in UTC).
 * The same worker is counted once per kind even when Odoo repeats the line.
 */
export function countWorkerRestarts(text: string, since: number): WorkerRestarts {
  const out: WorkerRestarts = {
    restarts: 0,
    timeout: 0,
    memory: 0,
    crash: 0,
    reload: 0,
    recycled: 0,
    spawned: 0,
    oldest: null,
    last: {},
  };
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const c = line.charCodeAt(0);
    if (c < 48 || c > 57) continue; // continuation lines (tracebacks) and a cut first line
    const m = HEADER_RE.exec(line);
    if (!m) continue;
    const ts = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
    if (out.oldest == null || ts < out.oldest) out.oldest = ts;
    if (ts < since || m[11] !== "odoo.service.server") continue;
    const message = m[12].trimEnd();
    for (const [kind, re] of PATTERNS) {
      const hit = re.exec(message);
      if (!hit) continue;
      const pid = hit[hit.length - 1] && /^\d+$/.test(hit[hit.length - 1]) ? hit[hit.length - 1] : `${ts}`;
      const key = `${kind}:${pid}`;
      if (!seen.has(key)) {
        seen.add(key);
        out[kind]++;
        out.last[kind] = message;
      }
      break;
    }
  }
  out.restarts = out.timeout + out.memory + out.crash + out.reload;
  return out;
}
