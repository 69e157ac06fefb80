import type { InstanceHandle } from "../../../server/sdk/index.ts";
import type { CheckDef, CheckTarget, Measurement, Thresholds } from "../types.ts";
import { containerOf } from "./container.ts";
import { PROC_SAMPLE_SCRIPT, parseProcSample, type ProcSample, summarize } from "./proc-sample.ts";

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

/** Default memory limits: 70% and 90% of the server's RAM, in MB (the check's unit). */
export function memoryThresholds(memTotalBytes: number): Thresholds {
  return { warning: mb(memTotalBytes * 0.7), critical: mb(memTotalBytes * 0.9), direction: "above" };
}

type Found =
  | { unknown: string }
  | { sample: ProcSample; sum: ReturnType<typeof summarize>; where: string; softLimit: number | null };

/** An instance that must be running: a dead Odoo there is critical rather than a warning. */
export const expectsToRun = (inst: InstanceHandle) => !!(inst.service || inst.container || inst.production);

async function softLimitOf(target: CheckTarget): Promise<number | null> {
  const conf = await target.odoo().catch(() => null);
  const raw = conf?.conf.options.limit_memory_soft;
  const n = raw == null ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** One sample of the instance's Odoo processes per run, shared by the three checks below. */
function findProcesses(target: CheckTarget, signal: AbortSignal): Promise<Found> {
  return target.shared("odoo-processes", async () => {
    const inst = target.instance;
    let root = "";
    if (inst.container) {
      const info = await containerOf(target, signal);
      if ("unavailable" in info)
        return { unknown: `cannot find the container's processes: ${info.unavailable}` };
      if (!info.state.Pid) return { unknown: `container ${inst.container} is ${info.state.Status}` };
      root = String(info.state.Pid);
    }
    const conn = await inst.connection();
    const [r, softLimit] = await Promise.all([
      conn.exec(["sh", "-c", PROC_SAMPLE_SCRIPT, "sh", inst.confPath, inst.service ?? "", root], {
        signal,
        timeoutMs: 20_000,
        env: { LC_ALL: "C" },
      }),
      softLimitOf(target),
    ]);
    if (r.code !== 0)
      return {
        unknown: `could not list processes on ${conn.label}: ${r.stderr.trim().slice(0, 200) || `exit code ${r.code}`}`,
      };
    const sample = parseProcSample(r.stdout);
    return { sample, sum: summarize(sample), where: conn.label, softLimit };
  });
}

export const processesCheck: CheckDef = {
  id: "odoo_processes",
  label: "Odoo processes",
  timeoutMs: 30_000,
  async run(target, signal): Promise<Measurement> {
    const f = await findProcesses(target, signal);
    if ("unknown" in f) return { status: "unknown", message: f.unknown };
    const { sum, sample } = f;
    if (!sum.count && sample.hidden)
      return {
        status: "unknown",
        message: `no Odoo process visible on ${f.where}: /proc is mounted with hidepid, so other users' processes are hidden from the user odoodeck connects as`,
      };
    if (!sum.count)
      return {
        status: expectsToRun(target.instance) ? "critical" : "warning",
        value: 0,
        data: { processes: 0 },
        message: `no Odoo process found on ${f.where} (searched: ${sample.how})`,
      };
    return {
      value: sum.count,
      data: { processes: sum.count },
      message: `${sum.count} process${sum.count === 1 ? "" : "es"} running (found by ${sample.how})`,
    };
  },
};

export const odooMemoryCheck: CheckDef = {
  id: "odoo_memory",
  label: "Odoo memory (RSS)",
  unit: "MB",
  // Used only when the server's total memory cannot be read.
  thresholds: { warning: 4096, critical: 8192, direction: "above" },
  timeoutMs: 30_000,
  async run(target, signal): Promise<Measurement> {
    const f = await findProcesses(target, signal);
    if ("unknown" in f) return { status: "unknown", message: f.unknown };
    const { sum, sample, softLimit } = f;
    if (!sum.count) return { status: "unknown", message: "no Odoo process to measure" };
    const total = sample.memTotalBytes;
    const share = total ? ` (${Math.round((sum.rssBytes / total) * 1000) / 10}% of ${mb(total)} MB)` : "";
    const soft = softLimit
      ? `; largest virtual size ${mb(sum.largestVmsBytes)} MB of limit_memory_soft ${mb(softLimit)} MB`
      : `; largest virtual size ${mb(sum.largestVmsBytes)} MB`;
    return {
      value: mb(sum.rssBytes),
      data: {
        rss_bytes: sum.rssBytes,
        processes: sum.count,
        largest_vms_bytes: sum.largestVmsBytes,
        ...(softLimit ? { limit_memory_soft_bytes: softLimit } : {}),
        ...(total ? { mem_total_bytes: total } : {}),
      },
      thresholds: total ? memoryThresholds(total) : undefined,
      message: `${mb(sum.rssBytes)} MB resident in ${sum.count} process${sum.count === 1 ? "" : "es"}${share}${soft}`,
    };
  },
};

export const odooCpuCheck: CheckDef = {
  id: "odoo_cpu",
  label: "Odoo CPU",
  unit: "%",
  thresholds: { warning: 80, critical: 95, direction: "above" },
  timeoutMs: 30_000,
  async run(target, signal): Promise<Measurement> {
    const f = await findProcesses(target, signal);
    if ("unknown" in f) return { status: "unknown", message: f.unknown };
    const { sum, sample } = f;
    if (!sum.count) return { status: "unknown", message: "no Odoo process to measure" };
    if (sum.cpuServerPercent == null) return { status: "unknown", message: "the CPU could not be sampled" };
    return {
      value: sum.cpuServerPercent,
      data: { cpu_core_percent: sum.cpuCorePercent ?? 0, cpus: sample.cpus },
      message: `${sum.cpuServerPercent}% of ${sample.cpus} CPU${sample.cpus === 1 ? "" : "s"} (${sum.cpuCorePercent}% of one core) over ${sample.elapsed.toFixed(1)} s in ${sum.count} process${sum.count === 1 ? "" : "es"}`,
    };
  },
};
