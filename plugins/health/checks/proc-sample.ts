/**
 * Finds the Odoo processes of an instance on its server and samples their memory and CPU, with
 * one `sh -c` of a constant script: user-supplied values (conf path, unit, pid) only ever travel
 * as positional arguments, never inside the script text.
 *
 * How the processes are found, in order:
 *  1. `$3`, a root pid given by the caller (a container's main process from `docker inspect`);
 *  2. the systemd unit `$2`: its MainPID (`systemctl show -p MainPID`);
 *  3. a scan of /proc/<pid>/cmdline for `-c <conf>`, `--config <conf>`, `--config=<conf>` or
 *     `-c<conf>` with the exact conf path `$1` (what odoo-bin itself accepts).
 * Then every descendant of those roots is added: prefork workers rename themselves with
 * setproctitle ("odoo: WorkerHTTP …"), so their command line no longer names the conf.
 * CPU comes from two readings of utime+stime in /proc/<pid>/stat, one second apart, measured
 * against /proc/uptime; memory is the resident set (stat field 24, in pages) and the virtual
 * size (field 23, what Odoo compares with limit_memory_soft).
 */
export const PROC_SAMPLE_SCRIPT = `
conf=$1; unit=$2; root=$3
roots=""; how=""
if [ -n "$root" ]; then roots=$root; how="container main process $root"; fi
if [ -z "$roots" ] && [ -n "$unit" ] && command -v systemctl >/dev/null 2>&1; then
  mp=$(systemctl show -p MainPID "$unit" 2>/dev/null | sed -n 's/^MainPID=//p')
  if [ -n "$mp" ] && [ "$mp" != 0 ]; then roots=$mp; how="main PID $mp of systemd unit $unit"; fi
fi
if [ -z "$roots" ]; then
  how="command lines with -c $conf"
  for f in $(grep -lF -e "$conf" /proc/[0-9]*/cmdline 2>/dev/null); do
    p=\${f#/proc/}; p=\${p%/cmdline}
    [ "$p" = "$$" ] && continue
    if { tr '\\000' '\\n' < "$f"; } 2>/dev/null | awk -v c="$conf" '
      ($0 == c && (prev == "-c" || prev == "--config")) || $0 == "--config=" c || $0 == "-c" c { found = 1 }
      { prev = $0 } END { exit !found }'; then roots="$roots $p"; fi
  done
fi
echo "how $how"
# With hidepid, processes of other users are invisible: "none found" would be a false alarm.
grep -Eq '^proc /proc proc .*hidepid=(1|2|invisible|noaccess)' /proc/mounts 2>/dev/null && [ "$(id -u)" != 0 ] && echo "hidden 1"
echo "clk $(getconf CLK_TCK 2>/dev/null || echo 100)"
echo "page $(getconf PAGESIZE 2>/dev/null || echo 4096)"
echo "cpus $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)"
sed -n 's/^MemTotal: *\\([0-9]*\\) kB/memtotal_kb \\1/p' /proc/meminfo
[ -z "$roots" ] && exit 0
# pid ppid ticks vsize rss of every process; comm may hold spaces and ")" so cut at the last ") ".
snap() {
  cat "$@" 2>/dev/null | awk '{ pid = $1; r = $0; sub(/^.*\\) /, "", r); split(r, f, " ");
    print pid, f[2], f[12] + f[13], f[21], f[22] }'
}
all=$(snap /proc/[0-9]*/stat)
pids=$(echo "$all" | awk -v roots="$roots" '
  BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) sel[r[i]] = 1 }
  { parent[$1] = $2 }
  END {
    do { more = 0; for (p in parent) if (!(p in sel) && (parent[p] in sel)) { sel[p] = 1; more = 1 } } while (more)
    for (p in sel) if (p in parent) print p
  }')
[ -z "$pids" ] && exit 0
files=""; for p in $pids; do files="$files /proc/$p/stat"; done
read up0 idle < /proc/uptime
first=$(snap $files)
sleep 1
read up1 idle < /proc/uptime
echo "elapsed $up0 $up1"
echo "$first" | sed 's/^/a /'
snap $files | sed 's/^/b /'
`;

export interface ProcSample {
  /** How the processes were found, in words (shown to the user). */
  how: string;
  /** /proc hides other users' processes from the user odoodeck connects as. */
  hidden: boolean;
  clockTicks: number;
  pageSize: number;
  cpus: number;
  memTotalBytes: number | null;
  /** Wall-clock seconds between the two CPU readings. */
  elapsed: number;
  processes: Array<{
    pid: number;
    ppid: number;
    rssBytes: number;
    vmsBytes: number;
    cpuTicks: number | null;
  }>;
}

/** Parses what PROC_SAMPLE_SCRIPT printed. */
export function parseProcSample(text: string): ProcSample {
  const s: ProcSample = {
    how: "",
    hidden: false,
    clockTicks: 100,
    pageSize: 4096,
    cpus: 1,
    memTotalBytes: null,
    elapsed: 0,
    processes: [],
  };
  const first = new Map<number, number>();
  const second = new Map<number, { ppid: number; ticks: number; vsize: number; rss: number }>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    const key = sp < 0 ? line : line.slice(0, sp);
    const rest = sp < 0 ? "" : line.slice(sp + 1);
    const nums = rest.trim().split(/\s+/).map(Number);
    if (key === "how") s.how = rest.trim();
    else if (key === "hidden") s.hidden = true;
    else if (key === "clk" && nums[0] > 0) s.clockTicks = nums[0];
    else if (key === "page" && nums[0] > 0) s.pageSize = nums[0];
    else if (key === "cpus" && nums[0] > 0) s.cpus = nums[0];
    else if (key === "memtotal_kb" && nums[0] > 0) s.memTotalBytes = nums[0] * 1024;
    else if (key === "elapsed" && nums.length === 2) s.elapsed = Math.max(0, nums[1] - nums[0]);
    else if ((key === "a" || key === "b") && nums.length === 5 && nums.every(Number.isFinite)) {
      const [pid, ppid, ticks, vsize, rss] = nums;
      if (key === "a") first.set(pid, ticks);
      else second.set(pid, { ppid, ticks, vsize, rss });
    }
  }
  // A process that ended between the two readings is gone: it is not counted.
  for (const [pid, b] of second) {
    const a = first.get(pid);
    s.processes.push({
      pid,
      ppid: b.ppid,
      rssBytes: b.rss * s.pageSize,
      vmsBytes: b.vsize,
      cpuTicks: a == null ? null : Math.max(0, b.ticks - a),
    });
  }
  s.processes.sort((x, y) => x.pid - y.pid);
  return s;
}

/** Totals: RSS sum, largest virtual size, CPU in % of one core and of the whole server. */
export function summarize(s: ProcSample) {
  const rssBytes = s.processes.reduce((n, p) => n + p.rssBytes, 0);
  const largest = s.processes.reduce<ProcSample["processes"][number] | null>(
    (a, p) => (!a || p.vmsBytes > a.vmsBytes ? p : a),
    null,
  );
  const ticks = s.processes.reduce((n, p) => n + (p.cpuTicks ?? 0), 0);
  const coreSeconds = s.elapsed > 0 ? ticks / s.clockTicks / s.elapsed : null;
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    count: s.processes.length,
    rssBytes,
    largestVmsBytes: largest?.vmsBytes ?? 0,
    /** 100 = one CPU core fully busy. */
    cpuCorePercent: coreSeconds == null ? null : round1(coreSeconds * 100),
    /** 100 = every CPU of the server fully busy. */
    cpuServerPercent: coreSeconds == null ? null : round1((coreSeconds * 100) / Math.max(1, s.cpus)),
  };
}
