import type { CheckResult } from "../types.ts";
import { SEVERITY } from "../types.ts";

/** Escapes a label value per the Prometheus text exposition format. */
export const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

type Labels = Record<string, string>;

/** Builds the text exposition: HELP/TYPE once per family, then samples. */
export class MetricsText {
  #families = new Map<string, { help: string; type: string; samples: string[] }>();

  add(
    name: string,
    type: "gauge" | "counter",
    help: string,
    value: number | null | undefined,
    labels: Labels = {},
  ) {
    if (value == null || !Number.isFinite(value)) return;
    let f = this.#families.get(name);
    if (!f) {
      f = { help, type, samples: [] };
      this.#families.set(name, f);
    }
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    f.samples.push(`${name}${l.length ? `{${l.join(",")}}` : ""} ${value}`);
  }

  toString(): string {
    const out: string[] = [];
    for (const [name, f] of this.#families) {
      out.push(
        `# HELP ${name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
        `# TYPE ${name} ${f.type}`,
        ...f.samples,
      );
    }
    return `${out.join("\n")}\n`;
  }
}

/** Per-instance metrics from each check's newest result. */
export function addInstanceMetrics(
  m: MetricsText,
  inst: { id: number; name: string },
  latest: CheckResult[],
) {
  const labels = { instance: inst.name, instance_id: String(inst.id) };
  const by = new Map(latest.map((r) => [r.check, r]));
  for (const r of latest)
    m.add(
      "odoodeck_health_check_status",
      "gauge",
      "Check status: 0 ok, 1 unknown, 2 warning, 3 critical",
      SEVERITY[r.status],
      { ...labels, check: r.check },
    );
  const http = by.get("http");
  if (http) {
    m.add(
      "odoodeck_instance_up",
      "gauge",
      "1 when the Odoo HTTP endpoint answers (ok or warning)",
      http.status === "ok" || http.status === "warning" ? 1 : 0,
      labels,
    );
    m.add(
      "odoodeck_http_response_seconds",
      "gauge",
      "Response time of /web/health or /web/login",
      http.value == null ? null : http.value / 1000,
      labels,
    );
  }
  const disk = by.get("disk");
  m.add(
    "odoodeck_disk_free_ratio",
    "gauge",
    "Free space ratio of the fullest filesystem holding the data dir or filestore",
    disk?.value == null ? null : disk.value / 100,
    labels,
  );
  m.add("odoodeck_disk_free_bytes", "gauge", "Free bytes on that filesystem", disk?.data?.free_bytes, labels);
  const mem = by.get("memory");
  m.add(
    "odoodeck_memory_used_ratio",
    "gauge",
    "Memory used ratio of the server (1 - MemAvailable/MemTotal)",
    mem?.value == null ? null : mem.value / 100,
    labels,
  );
  const crons = by.get("crons");
  m.add("odoodeck_cron_overdue", "gauge", "Active crons overdue by more than one hour", crons?.value, labels);
  m.add(
    "odoodeck_cron_lag_seconds",
    "gauge",
    "How far the most overdue active cron is behind",
    crons?.data?.lag_seconds,
    labels,
  );
  const mq = by.get("mail_queue");
  m.add("odoodeck_mail_queue_outgoing", "gauge", "Mails waiting to be sent", mq?.data?.outgoing, labels);
  m.add(
    "odoodeck_mail_queue_stuck",
    "gauge",
    "Outgoing mails older than the stuck threshold",
    mq?.value,
    labels,
  );
  m.add(
    "odoodeck_mail_exceptions",
    "gauge",
    "Mails in state exception",
    by.get("mail_exceptions")?.value,
    labels,
  );
  m.add(
    "odoodeck_backup_age_seconds",
    "gauge",
    "Age of the last successful backup",
    by.get("backup_age")?.data?.age_seconds,
    labels,
  );
  m.add(
    "odoodeck_restore_test_age_seconds",
    "gauge",
    "Age of the last verified restore",
    by.get("restore_test_age")?.data?.age_seconds,
    labels,
  );
  m.add(
    "odoodeck_tls_expiry_days",
    "gauge",
    "Days until the public certificate expires",
    by.get("tls")?.value,
    labels,
  );
  addOdooProcessMetrics(m, labels, by);
}

/** Odoo's own processes, its container and its workers' restarts. */
function addOdooProcessMetrics(m: MetricsText, labels: Labels, by: Map<string, CheckResult>) {
  const procs = by.get("odoo_processes");
  m.add(
    "odoodeck_odoo_processes",
    "gauge",
    "Odoo processes found on the server (main process, workers and their children)",
    procs?.data?.processes,
    labels,
  );
  m.add(
    "odoodeck_odoo_memory_rss_bytes",
    "gauge",
    "Resident memory of all the Odoo processes together",
    by.get("odoo_memory")?.data?.rss_bytes,
    labels,
  );
  const cpu = by.get("odoo_cpu");
  m.add(
    "odoodeck_odoo_cpu_ratio",
    "gauge",
    "Share of the server's CPU capacity used by the Odoo processes (1 = every CPU busy)",
    cpu?.value == null ? null : cpu.value / 100,
    labels,
  );
  m.add(
    "odoodeck_odoo_cpu_cores",
    "gauge",
    "CPU cores kept busy by the Odoo processes (1 = one full core)",
    cpu?.data?.cpu_core_percent == null ? null : cpu.data.cpu_core_percent / 100,
    labels,
  );
  m.add(
    "odoodeck_odoo_worker_restarts",
    "gauge",
    "Abnormal worker restarts (timeout, memory limit, crash) in the last hour, from the logfile",
    by.get("worker_restarts")?.value,
    labels,
  );
  const ct = by.get("container");
  m.add(
    "odoodeck_container_running",
    "gauge",
    "1 when the instance's container is running",
    ct?.data?.running,
    labels,
  );
  m.add(
    "odoodeck_container_restart_count",
    "gauge",
    "Restart count of the instance's container (docker inspect RestartCount)",
    ct?.data?.restart_count,
    labels,
  );
  m.add(
    "odoodeck_container_oom_killed",
    "gauge",
    "1 when the container's last exit was an out-of-memory kill",
    ct?.data?.oom_killed,
    labels,
  );
}

/** odoodeck's own process metrics. */
export function addProcessMetrics(m: MetricsText, startedAt: number) {
  const mem = process.memoryUsage();
  m.add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes", mem.rss);
  m.add(
    "process_start_time_seconds",
    "gauge",
    "Start time of the process since the Unix epoch in seconds",
    Math.round(startedAt / 1000),
  );
  m.add(
    "odoodeck_uptime_seconds",
    "gauge",
    "Seconds since odoodeck started",
    Math.round((Date.now() - startedAt) / 1000),
  );
  m.add("odoodeck_heap_used_bytes", "gauge", "JavaScript heap in use", mem.heapUsed);
  m.add("odoodeck_heap_total_bytes", "gauge", "JavaScript heap reserved", mem.heapTotal);
}
