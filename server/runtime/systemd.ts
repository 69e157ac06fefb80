/**
 * An Odoo run by a systemd unit (found by discovery, or the transient unit of a managed Odoo):
 * systemctl and journalctl through the instance's connection, argument arrays only.
 */
import type { Connection } from "../connections/types.ts";
import { PolledRuntime, type ReachSpec } from "./polled-runtime.ts";
import { checkName, runTool } from "./run-tool.ts";
import type { Runtime, RuntimeState, RuntimeStatus } from "./types.ts";

const STATES: Record<string, RuntimeState> = {
  active: "running",
  reloading: "running",
  inactive: "stopped",
  activating: "starting",
  deactivating: "stopping",
  failed: "error",
};

/** Parses `systemctl show -p …` output ("Key=Value" lines). */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

export class SystemdRuntime extends PolledRuntime implements Runtime {
  readonly kind = "systemd" as const;
  readonly unit: string;

  constructor(conn: Connection, unit: string, reach: ReachSpec) {
    super(conn, reach);
    this.unit = checkName(unit.endsWith(".service") ? unit : `${unit}.service`, "systemd unit");
  }

  get label(): string {
    return `systemd unit ${this.unit}`;
  }

  async start(): Promise<void> {
    this.markStart();
    await runTool(this.conn, ["systemctl", "start", this.unit]);
  }

  async stop(): Promise<void> {
    await runTool(this.conn, ["systemctl", "stop", this.unit]);
  }

  async restart(): Promise<void> {
    this.markStart();
    await runTool(this.conn, ["systemctl", "restart", this.unit]);
  }

  async status(): Promise<RuntimeStatus> {
    const show = parseShow(
      await runTool(this.conn, [
        "systemctl",
        "show",
        this.unit,
        "--property=ActiveState,SubState,MainPID,ExecMainStartTimestamp,LoadState",
      ]),
    );
    const pid = Number(show.MainPID) || null;
    const since = show.ExecMainStartTimestamp ? new Date(show.ExecMainStartTimestamp) : null;
    return {
      state: STATES[show.ActiveState] ?? "error",
      pid,
      since: since && !Number.isNaN(since.getTime()) && pid ? since.toISOString() : null,
      detail:
        show.LoadState === "not-found" ? "unit not found" : `${show.ActiveState} (${show.SubState ?? "?"})`,
    };
  }

  async logs(opts: { lines?: number } = {}): Promise<string> {
    return runTool(this.conn, [
      "journalctl",
      "--unit",
      this.unit,
      "--lines",
      String(opts.lines ?? 200),
      "--no-pager",
      "--output",
      "cat",
    ]);
  }
}
