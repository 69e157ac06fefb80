/**
 * An Odoo that odoodeck runs itself, from an install or a git checkout on a server: previews,
 * restore tests and copies. odoodeck writes its conf (free port, own data_dir and logfile) into
 * `workDir` and runs it as a transient systemd unit where the server has systemd, else as a
 * supervised child that dies with odoodeck (see lifeline.ts).
 */
import type { Connection } from "../connections/types.ts";
import { AppError } from "../errors.ts";
import { type BackoffOptions, ChildSupervisor, type SupervisorEvent } from "./managed-child.ts";
import { freePortOn, managedPaths, renderManagedConf } from "./managed-conf.ts";
import { hasSystemd, TransientUnit } from "./managed-unit.ts";
import { waitForOdoo } from "./readiness.ts";
import { checkName } from "./run-tool.ts";
import type { Readiness, Runtime, RuntimeStatus, WaitReadyOptions } from "./types.ts";

export interface ManagedSpec {
  connection: Connection;
  /** Short name, unique per server: the unit becomes `odoodeck-<name>.service`. */
  name: string;
  /** How to run Odoo on the server, e.g. ["/opt/odoo/odoo-bin"] or ["/venv/bin/python3", "/src/odoo-bin"]. */
  odooBin: string[];
  /** A folder on the server that odoodeck owns for this Odoo (conf, data_dir, logfile). */
  workDir: string;
  db: string;
  /** Fixed port; by default a free one is picked at the first start and kept. */
  httpPort?: number;
  /** More odoo.conf options (addons_path, db_host, db_user, db_password…). */
  options?: Record<string, string | number | boolean | null>;
  /**
   * Arguments added to this runtime's first start only, e.g. Odoo's `-i`/`-u`: Odoo 17 installs,
   * then serves, in one boot. Later starts and restarts run without them, and so does a child's
   * respawn after a crash; a transient unit's own restart (systemd) repeats its command line, where
   * `-u` upgrades again and `-i` of an installed module does nothing.
   */
  firstStartArgs?: string[];
  /** "auto" (default): a transient unit where systemd runs, else a child. */
  mode?: "auto" | "unit" | "child";
  backoff?: BackoffOptions;
  onEvent?: (e: SupervisorEvent) => void;
}

export class ManagedRuntime implements Runtime {
  readonly kind = "managed" as const;
  lastReady: Readiness | null = null;
  #host: ChildSupervisor | TransientUnit | null = null;
  #port: number | null;
  #startedAt = Date.now();
  #firstStartArgs: string[];

  constructor(readonly spec: ManagedSpec) {
    checkName(spec.name, "managed Odoo");
    if (!spec.odooBin.length || !spec.workDir.startsWith("/"))
      throw new AppError("E_VALIDATION", "A managed Odoo needs odoo-bin and an absolute work folder");
    this.#port = spec.httpPort ?? null;
    this.#firstStartArgs = [...(spec.firstStartArgs ?? [])];
  }

  get label(): string {
    const how = this.#host instanceof TransientUnit ? "transient unit" : "child";
    return `managed ${this.spec.name} (${how} on ${this.spec.connection.label})`;
  }

  /** Where Odoo answers, seen from its server; null before the first start picked a port. */
  get baseUrl(): string | null {
    return this.#port ? `http://127.0.0.1:${this.#port}` : null;
  }

  get paths() {
    return managedPaths(this.spec.workDir);
  }

  async start(): Promise<void> {
    this.#startedAt = Date.now();
    this.lastReady = null;
    const host = await this.#prepare();
    const once = this.#firstStartArgs;
    this.#firstStartArgs = [];
    await host.start(once);
  }

  async stop(): Promise<void> {
    await this.#host?.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async status(): Promise<RuntimeStatus> {
    if (this.#host) return this.#host.status();
    return { state: "stopped", pid: null, since: null, detail: "never started" };
  }

  async logs(opts: { lines?: number } = {}): Promise<string> {
    const { conn, path } = { conn: this.spec.connection, path: this.paths.logfile };
    const st = await conn.stat(path);
    if (!st) return "";
    // The tail is enough: a log of weeks is not read whole for its last lines.
    const text = await new Response(conn.readFile(path, { start: Math.max(0, st.size - 512 * 1024) })).text();
    return text
      .split("\n")
      .slice(-(opts.lines ?? 200) - 1)
      .join("\n");
  }

  async waitReady(opts: WaitReadyOptions = {}): Promise<Readiness> {
    if (!this.baseUrl) throw new AppError("E_NOT_READY", `${this.spec.name} was never started`);
    this.lastReady = await waitForOdoo(this.spec.connection, this.baseUrl, this.spec.db, this.#startedAt, {
      ...opts,
      alive: async () => (await this.status()).state !== "stopped",
    });
    if (this.#host instanceof ChildSupervisor) this.#host.markHealthy();
    return this.lastReady;
  }

  /** Writes the conf (atomically) and decides, once, how the process is run. */
  async #prepare(): Promise<ChildSupervisor | TransientUnit> {
    const { connection: conn, workDir } = this.spec;
    this.#port ??= await freePortOn(conn);
    await conn.mkdir(this.paths.dataDir, { recursive: true, mode: 0o700 });
    const conf = renderManagedConf({
      workDir,
      httpPort: this.#port,
      db: this.spec.db,
      options: this.spec.options,
    });
    await conn.writeFile(this.paths.conf, conf, { mode: 0o600 });
    if (this.#host) return this.#host;
    const argv = [...this.spec.odooBin, "-c", this.paths.conf];
    const mode = this.spec.mode ?? "auto";
    const unit = mode === "unit" || (mode === "auto" && (await hasSystemd(conn)));
    this.#host = unit
      ? new TransientUnit(conn, `odoodeck-${this.spec.name}`, argv, workDir, {
          baseUrl: this.baseUrl!,
          db: this.spec.db,
        })
      : new ChildSupervisor(conn, argv, this.spec.backoff ?? {}, (e) => this.spec.onEvent?.(e));
    return this.#host;
  }
}
