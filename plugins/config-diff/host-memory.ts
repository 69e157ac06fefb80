import type { Connection } from "odoodeck/sdk";

/** MemTotal of the instance's server in bytes, read from /proc/meminfo; null when unknown. */
export async function serverMemoryBytes(conn: Connection): Promise<number | null> {
  try {
    // /proc files report size 0: some stream readers stop early, so fall back to cat.
    const text = await new Response(conn.readFile("/proc/meminfo")).text();
    const fromStream = parseMemTotal(text);
    if (fromStream != null) return fromStream;
    return parseMemTotal((await conn.run(["cat", "/proc/meminfo"], { timeoutMs: 10_000 })).stdout);
  } catch {
    return null;
  }
}

export function parseMemTotal(meminfo: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : null;
}
