/** Parsers for the text of df, /proc/loadavg and /proc/meminfo (pure, unit-tested). */

export interface DfRow {
  filesystem: string;
  total: number;
  used: number;
  free: number;
  mount: string;
}

/** `df -P -B1 …` or `df -Pi …`: POSIX format, one line per path (duplicates kept, in order). */
export function parseDf(text: string): DfRow[] {
  const rows: DfRow[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [total, used, free] = [Number(f[1]), Number(f[2]), Number(f[3])];
    // Filesystems without inode accounting (btrfs, some overlays) print "-" or 0.
    if (!Number.isFinite(total) || !Number.isFinite(free)) continue;
    rows.push({ filesystem: f[0], total, used, free, mount: f.slice(5).join(" ") });
  }
  return rows;
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every(Number.isFinite)) throw new Error(`unexpected /proc/loadavg: ${text.slice(0, 60)}`);
  return { load1: a, load5: b, load15: c };
}

/** Values in bytes. MemAvailable is what the kernel says can be used without swapping. */
export function parseMeminfo(text: string): { total: number; available: number } {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m").exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb("MemTotal");
  const available = kb("MemAvailable") ?? (kb("MemFree") ?? 0) + (kb("Cached") ?? 0) + (kb("Buffers") ?? 0);
  if (!total) throw new Error("MemTotal missing from /proc/meminfo");
  return { total, available };
}
