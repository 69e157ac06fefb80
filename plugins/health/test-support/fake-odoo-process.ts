/**
 * A real long-running process tree that looks like a prefork Odoo to anyone reading /proc:
 * `<dir>/odoo-bin -c <conf>` (a Python script) with workers forked from it that rename
 * themselves "odoo: WorkerHTTP" / "odoo: WorkerCron" (as setproctitle does in Odoo, so their
 * command line no longer names the conf). SIGUSR1 makes the main process hold 96 MB more,
 * SIGUSR2 keeps it busy on the CPU for 3 s. It exits on SIGTERM, when its parent goes, or
 * after 10 minutes, and takes its workers along.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = `#!/usr/bin/python3
import os, signal, sys, time
parent = os.getppid()
kids = []
for title in ("odoo: WorkerHTTP", "odoo: WorkerHTTP", "odoo: WorkerCron"):
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/sleep", [title, "600"])
    kids.append(pid)
held = []
def grow(*_):
    held.append(b"x" * (96 * 1024 * 1024))
def burn(*_):
    end = time.time() + 3
    while time.time() < end:
        pass
def stop(*_):
    for k in kids:
        try:
            os.kill(k, signal.SIGTERM)
        except OSError:
            pass
    sys.exit(0)
signal.signal(signal.SIGUSR1, grow)
signal.signal(signal.SIGUSR2, burn)
signal.signal(signal.SIGTERM, stop)
started = time.time()
while os.getppid() == parent and time.time() - started < 600:
    time.sleep(0.2)
stop()
`;

export interface FakeOdooProcess {
  pid: number;
  /** Pids whose parent is the main process. */
  children(): number[];
  /** Resident memory of the main process, from /proc (bytes). */
  rss(): number;
  stop(): Promise<void>;
}

let dir: string | null = null;

/** Path of the fake odoo-bin (written once per test run). */
export function fakeOdooBin(): string {
  dir ??= mkdtempSync(join(tmpdir(), "fake-odoo-bin-"));
  const path = join(dir, "odoo-bin");
  writeFileSync(path, SCRIPT);
  chmodSync(path, 0o755);
  return path;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}

/** Starts `odoo-bin <args…>` and resolves once its three workers run. */
export async function startFakeOdoo(args: string[]): Promise<FakeOdooProcess> {
  const proc = Bun.spawn([fakeOdooBin(), ...args], { stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 200 && childrenOf(proc.pid).length < 3; i++) await Bun.sleep(25);
  // A worker has exec'd once its command line is the new title.
  for (let i = 0; i < 200; i++) {
    const titles = childrenOf(proc.pid).map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8");
      } catch {
        return "";
      }
    });
    if (titles.length === 3 && titles.every((t) => t.startsWith("odoo: Worker"))) break;
    await Bun.sleep(25);
  }
  return {
    pid: proc.pid,
    children: () => childrenOf(proc.pid),
    rss() {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"));
      return m ? Number(m[1]) * 1024 : 0;
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
