/**
 * An Odoo in a Docker container (found by discovery): the docker CLI through the instance's
 * connection. Odoo logs to stderr in the official image, so logs() returns both streams.
 */
import type { Connection } from "../connections/types.ts";
import { PolledRuntime, type ReachSpec } from "./polled-runtime.ts";
import { checkName, runTool } from "./run-tool.ts";
import type { Runtime, RuntimeState, RuntimeStatus } from "./types.ts";

const STATES: Record<string, RuntimeState> = {
  running: "running",
  restarting: "starting",
  created: "stopped",
  exited: "stopped",
  paused: "stopped",
  removing: "stopping",
  dead: "error",
};

interface DockerState {
  Status?: string;
  Pid?: number;
  StartedAt?: string;
  ExitCode?: number;
}

export class DockerRuntime extends PolledRuntime implements Runtime {
  readonly kind = "docker" as const;
  readonly container: string;

  constructor(conn: Connection, container: string, reach: ReachSpec) {
    super(conn, reach);
    this.container = checkName(container, "container");
  }

  get label(): string {
    return `container ${this.container}`;
  }

  async start(): Promise<void> {
    this.markStart();
    await runTool(this.conn, ["docker", "start", this.container]);
  }

  async stop(): Promise<void> {
    await runTool(this.conn, ["docker", "stop", this.container]);
  }

  async restart(): Promise<void> {
    this.markStart();
    await runTool(this.conn, ["docker", "restart", this.container]);
  }

  async status(): Promise<RuntimeStatus> {
    const out = await runTool(this.conn, [
      "docker",
      "inspect",
      "--format",
      "{{json .State}}",
      this.container,
    ]);
    const s = JSON.parse(out.trim() || "{}") as DockerState;
    const state = STATES[s.Status ?? ""] ?? "error";
    // An exit with an error code is a crash, not a stop someone asked for.
    const crashed = s.Status === "exited" && (s.ExitCode ?? 0) !== 0 && s.ExitCode !== 143;
    return {
      state: crashed ? "error" : state,
      pid: s.Pid || null,
      since: state === "running" && s.StartedAt ? new Date(s.StartedAt).toISOString() : null,
      detail: s.Status === "exited" ? `exited (${s.ExitCode ?? "?"})` : (s.Status ?? "unknown"),
    };
  }

  async logs(opts: { lines?: number } = {}): Promise<string> {
    const res = await this.conn.exec(
      ["docker", "logs", "--tail", String(opts.lines ?? 200), this.container],
      {
        timeoutMs: 30_000,
      },
    );
    return `${res.stdout}${res.stderr}`;
  }
}
