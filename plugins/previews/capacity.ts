/**
 * Room on the server before a preview is made or woken: free disk under the previews' folder,
 * available memory, and at most `max_running` previews running (the least recently used stop).
 */
import type { Connection } from "../../server/sdk/index.ts";

export async function freeDiskMb(conn: Connection, path: string): Promise<number | null> {
  const res = await conn.exec(["df", "-Pk", "--", path], { timeoutMs: 15_000 });
  const cols = res.stdout.trim().split("\n").pop()?.split(/\s+/) ?? [];
  const kb = Number(cols[3]);
  return res.code === 0 && Number.isFinite(kb) ? Math.floor(kb / 1024) : null;
}

export async function freeMemoryMb(conn: Connection): Promise<number | null> {
  const res = await conn.exec(["cat", "/proc/meminfo"], { timeoutMs: 15_000 });
  const kb = Number(/^MemAvailable:\s+(\d+) kB/m.exec(res.stdout)?.[1]);
  return Number.isFinite(kb) ? Math.floor(kb / 1024) : null;
}

/** Least recently used first: the ones to stop when more than `max` would run. */
export function toStop<T extends { name: string; lastUsedAt: string; promoted: boolean }>(
  running: T[],
  max: number,
  except: string,
): T[] {
  const others = running.filter((p) => p.name !== except && !p.promoted);
  const over = running.filter((p) => p.name !== except).length + 1 - max;
  if (over <= 0) return [];
  return [...others].sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt)).slice(0, over);
}
