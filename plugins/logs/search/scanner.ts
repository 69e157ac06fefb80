import { AppError, type ErrorCode, type InstanceHandle, type PluginContext, toAppError } from "odoodeck/sdk";
import { instanceLogs, recentFiles } from "../sources/instance-logs.ts";
import type { LogsSettings } from "../settings.ts";
import { LogsStore, type ScanRow } from "../store.ts";
import { type ErrorGroup, errorsSummary } from "./summary.ts";

/** Payload of `logs.new_error` (the health plugin's errors check consumes it). */
export interface NewErrorEvent {
  instanceId: number;
  instanceName: string;
  signature: string;
  level: string;
  logger: string;
  /** First line of the latest occurrence, secrets masked. */
  message: string;
  exception?: string;
  count: number;
  /** As written in the log (server-local time). */
  lastSeen: string | null;
  /** When odoodeck noticed it (ISO). */
  at: string;
}

/**
 * Reads each instance's recent errors and announces signatures never seen before. The first
 * successful scan of an instance only learns what is there (no burst of alerts on install).
 */
export class ErrorScanner {
  readonly store: LogsStore;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #abort: AbortController | null = null;
  #running: Promise<unknown> | null = null;

  constructor(readonly ctx: PluginContext<LogsSettings>) {
    this.store = new LogsStore(ctx.db);
  }

  async scanInstance(inst: InstanceHandle, signal?: AbortSignal): Promise<ScanRow & { fresh: ErrorGroup[] }> {
    const hours = (await this.ctx.settings()).scan_hours;
    const prev = await this.store.lastScan(inst.id);
    const now = new Date().toISOString();
    let row: ScanRow;
    let announce: ErrorGroup[] = [];
    try {
      const l = await instanceLogs(this.store, inst);
      const paths = recentFiles(l, hours);
      if (!paths.length && l.confProblem)
        throw new AppError(l.confProblem.code as ErrorCode, l.confProblem.message, {
          hint: l.confProblem.hint,
        });
      const groups = paths.length ? await errorsSummary(l.conn, paths, { hours, signal }) : [];
      const fresh = await this.store.recordSignatures(inst.id, groups);
      announce = prev?.okAt ? fresh : [];
      for (const g of announce) {
        const e: NewErrorEvent = {
          instanceId: inst.id,
          instanceName: inst.name,
          signature: g.signature,
          level: g.level,
          logger: g.logger,
          message: g.message,
          ...(g.exception ? { exception: g.exception } : {}),
          count: g.count,
          lastSeen: g.lastSeen,
          at: now,
        };
        this.ctx.events.emit("logs.new_error", e);
      }
      row = {
        instanceId: inst.id,
        scannedAt: now,
        okAt: now,
        hours,
        errors: groups.reduce((n, g) => n + g.count, 0),
        kinds: groups.length,
        newKinds: announce.length,
        error: null,
      };
    } catch (e) {
      const err = toAppError(e);
      this.ctx.log.warn(`error scan of ${inst.name} failed`, { code: err.code, error: err.message });
      row = {
        instanceId: inst.id,
        scannedAt: now,
        okAt: prev?.okAt ?? null,
        hours,
        errors: 0,
        kinds: 0,
        newKinds: 0,
        error: `${err.message} [${err.code}]`,
      };
    }
    await this.store.saveScan(row);
    return { ...row, fresh: announce };
  }

  async scanAll(signal?: AbortSignal): Promise<ScanRow[]> {
    const out: ScanRow[] = [];
    for (const inst of await this.ctx.instances.list()) {
      if (signal?.aborted) break;
      out.push(await this.scanInstance(inst, signal));
    }
    return out;
  }

  /** Scans every `ms`; the first run waits (at most a minute) so short CLI commands never scan. */
  startLoop(ms: number): void {
    this.stopTimer();
    if (ms <= 0) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    const tick = (delay: number) => {
      this.#timer = setTimeout(async () => {
        this.#running = this.scanAll(signal).catch((e) =>
          this.ctx.log.error("error scan failed", { error: String(e) }),
        );
        await this.#running;
        this.#running = null;
        if (!signal.aborted) tick(ms);
      }, delay);
      (this.#timer as { unref?: () => void }).unref?.();
    };
    tick(Math.min(ms, 60_000));
  }

  async stopLoop(): Promise<void> {
    this.stopTimer();
    await this.#running;
  }

  private stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#abort?.abort();
    this.#abort = null;
  }
}

const scanners = new WeakMap<object, ErrorScanner>();

/** One scanner per plugin context (the job, the loop and the routes share it). */
export function scannerOf(ctx: PluginContext<LogsSettings>): ErrorScanner {
  let s = scanners.get(ctx);
  if (!s) scanners.set(ctx, (s = new ErrorScanner(ctx)));
  return s;
}
