/**
 * Backups and the garbage collector of one destination's object store must not overlap: a sweep
 * while a backup is writing would delete objects the backup has uploaded but not yet listed in a
 * published index. Backups share the lock (and wait for a running sweep); a sweep takes it alone
 * and never waits: it answers E_BUSY, and the next prune sweeps instead. In-process: one odoodeck
 * per destination.
 */
import { AppError } from "../../../server/sdk/index.ts";

interface State {
  writers: number;
  sweeping: Promise<void> | null;
}
const states = new Map<string, State>();
const state = (id: string) => {
  let s = states.get(id);
  if (!s) states.set(id, (s = { writers: 0, sweeping: null }));
  return s;
};

/** Holds destination `id` for a backup's writes (after any sweep there); call the result to release. */
export async function acquireWrite(id: string): Promise<() => void> {
  const s = state(id);
  while (s.sweeping) await s.sweeping;
  s.writers++;
  let held = true;
  return () => {
    if (held) s.writers--;
    held = false;
  };
}

/** Runs a backup's writes to destination `id`, after any sweep there has finished. */
export async function withWriteLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireWrite(id);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Runs a sweep of destination `id` alone; E_BUSY while a backup writes there. */
export async function withSweepLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
  const s = state(id);
  if (s.writers || s.sweeping)
    throw new AppError("E_BUSY", `A backup is writing to ${id}: its objects are not swept now`, {
      hint: "Unreferenced objects are freed by the next prune",
    });
  let done!: () => void;
  s.sweeping = new Promise((r) => {
    done = r;
  });
  try {
    return await fn();
  } finally {
    s.sweeping = null;
    done();
  }
}
