/**
 * What the systemd and docker runtimes share: Odoo is reached on a known URL, readiness is
 * timed from the last start or restart, and "alive" is whatever the process manager says.
 */
import type { Connection } from "../connections/types.ts";
import { waitForOdoo } from "./readiness.ts";
import type { Readiness, RuntimeStatus, WaitReadyOptions } from "./types.ts";

export interface ReachSpec {
  /** Where Odoo answers, seen from its server, e.g. "http://127.0.0.1:8069". */
  baseUrl: string;
  /** The instance's database, for /web/login?db= on Odoo without /web/health. */
  db: string | null;
}

export abstract class PolledRuntime {
  lastReady: Readiness | null = null;
  protected startedAt = Date.now();

  constructor(
    protected readonly conn: Connection,
    protected readonly reach: ReachSpec,
  ) {}

  abstract status(): Promise<RuntimeStatus>;

  /** Where Odoo answers, seen from its server. */
  get reachUrl(): string {
    return this.reach.baseUrl;
  }

  /** Call at each start/restart: readiness counts from here. */
  protected markStart(): void {
    this.startedAt = Date.now();
    this.lastReady = null;
  }

  async waitReady(opts: WaitReadyOptions = {}): Promise<Readiness> {
    this.lastReady = await waitForOdoo(this.conn, this.reach.baseUrl, this.reach.db, this.startedAt, {
      ...opts,
      alive: async () => {
        const s = await this.status();
        return s.state === "running" || s.state === "starting";
      },
    });
    return this.lastReady;
  }
}
