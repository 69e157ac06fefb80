/**
 * A managed Odoo as a transient systemd unit (`systemd-run`), where the server runs systemd:
 * systemd supervises it (Restart=on-failure every 2 s), it outlives an odoodeck
 * restart, and a new odoodeck re-adopts it by its unit name. Status and journal go through the
 * systemd runtime on that unit.
 */
import type { Connection } from "../connections/types.ts";
import { runTool } from "./run-tool.ts";
import { SystemdRuntime } from "./systemd.ts";
import type { RuntimeStatus } from "./types.ts";

/** True when systemd is the server's init (`systemctl is-system-running`: running or degraded). */
export async function hasSystemd(conn: Connection): Promise<boolean> {
  const res = await conn.exec(["systemctl", "is-system-running"], { timeoutMs: 10_000 }).catch(() => null);
  return /^(running|degraded)\b/.test(res?.stdout.trim() ?? "");
}

export class TransientUnit {
  readonly unit: SystemdRuntime;

  constructor(
    private readonly conn: Connection,
    readonly unitName: string,
    private readonly argv: string[],
    private readonly workDir: string,
    reach: { baseUrl: string; db: string },
  ) {
    this.unit = new SystemdRuntime(conn, unitName, reach);
  }

  /** `once` is added to this run's command line (systemd's own restarts of it repeat it). */
  async start(once: string[] = []): Promise<void> {
    const s = await this.unit.status();
    if (s.state === "running" || s.state === "starting") return;
    // A stopped transient unit is garbage-collected (--collect): start means create it again.
    await runTool(this.conn, [
      "systemd-run",
      `--unit=${this.unit.unit}`,
      "--collect",
      `--working-directory=${this.workDir}`,
      "--property=Restart=on-failure",
      // RestartSteps/RestartMaxDelaySec (a growing delay) need systemd 254: a fixed delay works everywhere.
      "--property=RestartSec=2s",
      "--property=StartLimitIntervalSec=0",
      "--property=KillMode=control-group",
      "--property=TimeoutStopSec=25s",
      "--",
      ...this.argv,
      ...once,
    ]);
  }

  async stop(): Promise<void> {
    const s = await this.unit.status();
    if (s.state === "stopped" && s.detail === "unit not found") return;
    await this.unit.stop();
  }

  status(): Promise<RuntimeStatus> {
    return this.unit.status();
  }
}
