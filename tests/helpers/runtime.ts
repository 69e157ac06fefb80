/** Shared pieces of the runtime tests: the stand-in Odoo and tools, and a look at the process tree. */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const STAND_IN_ODOO = resolve(import.meta.dir, "stand-in-odoo/odoo-bin");
/** `docker`, `systemctl`, `journalctl` stand-ins (no daemon, no systemd as PID 1 here). */
export const STAND_IN_TOOLS = resolve(import.meta.dir, "stand-in-tools");

export function freeLocalPort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/**
 * Pids of live Odoo processes (odoo-bin itself, not a wrapper around it) whose command line
 * mentions `marker` (their conf path): what `ps` would show a user.
 */
export function odooProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat[stat.lastIndexOf(")") + 2] === "Z") continue;
      const isOdoo = argv[0].endsWith("odoo-bin") || argv[1]?.endsWith("odoo-bin");
      if (isOdoo && argv.some((a) => a.includes(marker))) out.push(Number(name));
    } catch {}
  }
  return out;
}

/** Waits up to `ms` for every Odoo process of `marker` to end; returns those still alive. */
export async function waitGone(marker: string, ms = 10_000): Promise<number[]> {
  const until = Date.now() + ms;
  let left = odooProcesses(marker);
  while (left.length && Date.now() < until) {
    await Bun.sleep(50);
    left = odooProcesses(marker);
  }
  return left;
}
