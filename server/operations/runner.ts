import { randomUUID } from "node:crypto";
import { AppError, toAppError } from "../errors.ts";
import type {
  EventBus,
  OperationSnapshot,
  OperationSpec,
  OperationsApi,
  OperationStepState,
  StepApi,
} from "../sdk/types.ts";
import { OWNER, ownerAlive } from "../process-owner.ts";
import { acquireLock, releaseLock } from "./locks.ts";
import type { CoreDb } from "../db/schema.ts";

interface Live {
  snap: OperationSnapshot;
  abort: AbortController;
  log: string[];
  /** Holds the instance lock: its own, or its parent's. */
  holdsLock?: boolean;
}

const MAX_LOG_LINES = 5000;

/**
 * Long operations: named steps with progress, a live log, cancel through AbortSignal, a result per
 * step. Snapshots are persisted so finished operations stay listed after a restart, and a run that
 * was going when the process died is marked `interrupted` at the next start.
 */
export class Operations {
  #live = new Map<string, Live>();
  constructor(
    private readonly db: CoreDb,
    private readonly bus: EventBus,
  ) {}

  forPlugin(plugin: string): Omit<OperationsApi, "declare" | "invoke" | "finished"> {
    return {
      start: (spec) => this.start(plugin, spec),
      get: (id) => this.get(id),
      cancel: (id) => this.cancel(id),
    };
  }

  start<R>(
    plugin: string,
    spec: OperationSpec<R>,
  ): { id: string; done: Promise<OperationSnapshot>; started: Promise<void> } {
    const id = randomUUID();
    const snap: OperationSnapshot = {
      id,
      plugin,
      kind: spec.kind,
      title: spec.title,
      instanceId: spec.instanceId ?? null,
      actor: spec.actor,
      status: "running",
      steps: spec.steps.map((name) => ({ name, status: "pending" })),
      currentStep: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      ...(spec.parentId ? { parentId: spec.parentId } : {}),
    };
    const live: Live = { snap, abort: new AbortController(), log: [] };
    this.#live.set(id, live);
    let onStarted!: (err?: unknown) => void;
    const started = new Promise<void>(
      (resolve, reject) => (onStarted = (err) => (err ? reject(err) : resolve())),
    );
    started.catch(() => {}); // callers that never await it must not see an unhandled rejection
    const done = this.#run(live, spec, onStarted);
    return { id, done, started };
  }

  /**
   * A child runs under a parent that is still running on the same instance; the parent's lock (if
   * it took one) covers both, and cancelling the parent cancels the child.
   */
  #attachToParent(live: Live, parentId: string): boolean {
    const parent = this.#live.get(parentId);
    if (!parent || parent.snap.status !== "running")
      throw new AppError("E_VALIDATION", `Parent operation ${parentId} is not running`);
    if (parent.snap.instanceId !== live.snap.instanceId)
      throw new AppError("E_VALIDATION", "A child operation must be on its parent's instance");
    const ps = parent.abort.signal;
    if (ps.aborted) live.abort.abort();
    else ps.addEventListener("abort", () => live.abort.abort(ps.reason), { once: true });
    return parent.holdsLock === true;
  }

  async #run<R>(
    live: Live,
    spec: OperationSpec<R>,
    onStarted: (err?: unknown) => void,
  ): Promise<OperationSnapshot> {
    const { snap } = live;
    let locked = false;
    let lastPublish = 0;
    const publish = (force = false) => {
      const now = Date.now();
      if (!force && now - lastPublish < 200) return; // progress is throttled, state changes are not
      lastPublish = now;
      this.bus.emit("operation.updated", structuredClone(snap));
    };
    const log = (line: string) => {
      live.log.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
      if (live.log.length > MAX_LOG_LINES) live.log.splice(0, live.log.length - MAX_LOG_LINES);
    };
    try {
      await this.db
        .insertInto("operations")
        .values({
          id: snap.id,
          plugin: snap.plugin,
          kind: snap.kind,
          title: snap.title,
          instance_id: snap.instanceId,
          actor: snap.actor,
          status: "running",
          started_at: snap.startedAt,
          snapshot: JSON.stringify(snap),
          owner: OWNER,
        })
        .execute();
      const parentLocked = spec.parentId ? this.#attachToParent(live, spec.parentId) : false;
      if (parentLocked) live.holdsLock = true;
      else if (spec.lock) {
        if (snap.instanceId == null)
          throw new AppError("E_INTERNAL", "A locking operation needs an instance");
        await acquireLock(this.db, snap.instanceId, snap.title, snap.id);
        locked = live.holdsLock = true;
      }
      publish(true);
      onStarted();
      const step = async <T>(name: string, fn: (s: StepApi) => Promise<T>): Promise<T> => {
        let st = snap.steps.find((s) => s.name === name);
        if (!st) snap.steps.push((st = { name, status: "pending" }));
        if (live.abort.signal.aborted) throw new AppError("E_CANCELLED");
        st.status = "running";
        st.startedAt = new Date().toISOString();
        snap.currentStep = name;
        log(`▶ ${name}`);
        publish(true);
        const stepState = st;
        try {
          const result = await fn({
            signal: live.abort.signal,
            log,
            progress: (p) => {
              Object.assign(stepState, p);
              if (p.percent === undefined && p.bytesTotal)
                stepState.percent = Math.min(100, (100 * (p.bytesDone ?? 0)) / p.bytesTotal);
              publish();
            },
          });
          stepState.status = "ok";
          stepState.result = result;
          return result;
        } catch (e) {
          const err = toAppError(e);
          stepState.status = err.code === "E_CANCELLED" || live.abort.signal.aborted ? "cancelled" : "error";
          stepState.error = err.toJSON();
          throw err;
        } finally {
          stepState.finishedAt = new Date().toISOString();
          log(`${stepState.status === "ok" ? "✓" : "✗"} ${name}`);
          publish(true);
        }
      };
      snap.result = await spec.run({ id: snap.id, step, signal: live.abort.signal, log });
      snap.status = "ok";
      for (const s of snap.steps) if (s.status === "pending") s.status = "skipped";
    } catch (e) {
      const err = toAppError(e);
      onStarted(err); // no-op once it had started
      snap.status = err.code === "E_CANCELLED" || live.abort.signal.aborted ? "cancelled" : "error";
      snap.error = err.toJSON();
      log(`operation ${snap.status}: ${err.message}`);
      for (const s of snap.steps) if (s.status === "pending") s.status = "skipped";
    } finally {
      if (locked) await releaseLock(this.db, snap.instanceId!, snap.id).catch(() => {});
      snap.finishedAt = new Date().toISOString();
      snap.currentStep = null;
      await this.db
        .updateTable("operations")
        .set({
          status: snap.status,
          finished_at: snap.finishedAt,
          snapshot: JSON.stringify(snap),
          log: live.log.join("\n"),
        })
        .where("id", "=", snap.id)
        .execute()
        .catch(() => {});
      this.bus.emit("operation.finished", structuredClone(snap));
      // Keep the finished one in memory briefly so a page that polls right after still sees the log.
      setTimeout(() => this.#live.delete(snap.id), 60_000).unref?.();
    }
    return snap;
  }

  get(id: string): OperationSnapshot | null {
    return this.#live.get(id)?.snap ?? null;
  }

  async load(id: string): Promise<{ snap: OperationSnapshot; log: string } | null> {
    const live = this.#live.get(id);
    if (live) return { snap: live.snap, log: live.log.join("\n") };
    const row = await this.db
      .selectFrom("operations")
      .select(["snapshot", "log"])
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? { snap: JSON.parse(row.snapshot), log: row.log ?? "" } : null;
  }

  async list(limit = 50, instanceId?: number): Promise<OperationSnapshot[]> {
    let q = this.db.selectFrom("operations").select("snapshot").orderBy("started_at", "desc").limit(limit);
    if (instanceId !== undefined) q = q.where("instance_id", "=", instanceId);
    const rows = await q.execute();
    return rows.map((r) => this.#live.get(JSON.parse(r.snapshot).id)?.snap ?? JSON.parse(r.snapshot));
  }

  cancel(id: string): boolean {
    const live = this.#live.get(id);
    if (!live || live.snap.status !== "running") return false;
    live.abort.abort(new AppError("E_CANCELLED", "Cancelled by a user"));
    return true;
  }

  /**
   * Marks operations that were running when their process stopped. Those of a process that still
   * runs (the server, while a CLI command starts beside it) are left alone.
   */
  async markInterrupted(): Promise<number> {
    const rows = (
      await this.db
        .selectFrom("operations")
        .select(["id", "snapshot", "owner"])
        .where("status", "=", "running")
        .execute()
    ).filter((r) => !ownerAlive(r.owner));
    for (const r of rows) {
      const snap = JSON.parse(r.snapshot) as OperationSnapshot;
      snap.status = "interrupted";
      for (const s of snap.steps)
        if (s.status === "running" || s.status === "pending")
          s.status = s.status === "running" ? "error" : "skipped";
      await this.db
        .updateTable("operations")
        .set({ status: "interrupted", snapshot: JSON.stringify(snap), finished_at: new Date().toISOString() })
        .where("id", "=", r.id)
        .execute();
    }
    return rows.length;
  }

  cancelAll(): void {
    for (const l of this.#live.values())
      if (l.snap.status === "running")
        l.abort.abort(new AppError("E_CANCELLED", "odoodeck is shutting down"));
  }
}

export type { OperationStepState };
