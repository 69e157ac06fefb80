/**
 * Ships the local WAL archive to the instance's non-local destinations (a server over SSH, S3):
 * every segment pg_receivewal has closed (never a `.partial`: it is still being written), every
 * timeline history file, and every complete base backup. Destinations come already wrapped (age
 * encryption for non-local ones, see destinations/resolve.ts), so nothing leaves in clear.
 *
 * Layout at a destination, beside the backups: `pitr/<instance id>/wal/<segment>`,
 * `pitr/<instance id>/base/<name>/<file>` (its odoodeck-base.json last: a base without it is not
 * complete) and `pitr/<instance id>/shipped.json`, the shipped-up-to marker naming the newest
 * segment and the base backups there — what a recovery from that destination reads first.
 * What was shipped where is also kept locally (`<archive>/shipped/<dest>.json`) so a pass does
 * not list the destination, and archive health can tell the backlog.
 *
 * Also shipped: the segment pg_receivewal is still writing, as `wal/<segment>.partial` (partial.ts),
 * so a quiet server's last commits are not only on this machine; and after each pass the
 * destination's retention (retention.ts) deletes what no kept base backup needs. A failed pass
 * sets the destination's back-off (`retryAt`): the loop leaves it alone until then.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "../../../../server/sdk/index.ts";
import type { Destination } from "../../destinations/types.ts";
import { type BaseBackup, listBaseBackups } from "../base-backup.ts";
import { parseSegment } from "../wal-segments.ts";
import { type PartialShipped, shipPartial } from "./partial.ts";
import { pruneDestination } from "./retention.ts";

export const BASE_META = "odoodeck-base.json";
const HISTORY = /^[0-9A-F]{8}\.history$/;

/** Where an instance's shipped archive lives at a destination. */
export const remoteRoot = (instanceId: number) => `pitr/${instanceId}`;

/** The shipped-up-to marker written at the destination after every pass that shipped something. */
export interface ShippedMarker {
  instanceId: number;
  /** Newest segment shipped (closed segments only), and when it was closed. */
  upTo: string | null;
  upToAt: string | null;
  /** Base backups complete at the destination, oldest first (`dir` is the folder there). */
  bases: BaseBackup[];
  writtenAt: string;
  /** The oldest segment that may still be there (retention deleted everything before it). */
  walFrom?: string | null;
  /** Base backups retention deleted there: never listed again, even from an older local state. */
  pruned?: string[];
  /** Base backups out of the marker whose files retention has not finished deleting. */
  prunePending?: string[];
  /** The segment still being written, shipped as `<name>.partial`; `at`: its last change. */
  partial?: { name: string; at: string; bytes: number } | null;
}

/** What this machine knows it shipped to one destination (and the last failure, for health). */
export interface ShipState {
  dest: string;
  upTo: string | null;
  upToAt: string | null;
  history: string[];
  bases: string[];
  shippedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Failed passes in a row, and when the loop tries again (exponential back-off). */
  failures: number;
  retryAt: string | null;
  /** The `.partial` last shipped there. */
  partial: PartialShipped | null;
}

export interface ShipResult {
  dest: string;
  segments: number;
  bases: number;
  bytes: number;
  upTo: string | null;
  /** The `.partial` shipped this pass (null: none, or unchanged). */
  partial: string | null;
  /** What retention deleted there: base backups, and segments (count). */
  prunedBases: string[];
  prunedSegments: number;
}

/** Back-off after `failures` failed passes in a row: first, doubled each time, capped. */
export interface Backoff {
  firstMs: number;
  capMs: number;
}
export const DEFAULT_BACKOFF: Backoff = { firstMs: 10_000, capMs: 300_000 };
export const backoffMs = (failures: number, b: Backoff = DEFAULT_BACKOFF) =>
  Math.min(b.capMs, b.firstMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));

const stateDir = (archiveDir: string) => join(archiveDir, "shipped");
const stateFile = (archiveDir: string, dest: string) =>
  join(stateDir(archiveDir), `${dest.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);

export async function readShipStates(archiveDir: string): Promise<ShipState[]> {
  const names = await readdir(stateDir(archiveDir)).catch(() => [] as string[]);
  const out: ShipState[] = [];
  for (const n of names.filter((n) => n.endsWith(".json")).sort()) {
    const text = await readFile(join(stateDir(archiveDir), n), "utf8").catch(() => null);
    if (text) out.push(JSON.parse(text) as ShipState);
  }
  return out;
}

export async function readState(archiveDir: string, dest: string): Promise<ShipState> {
  const text = await readFile(stateFile(archiveDir, dest), "utf8").catch(() => null);
  const empty: ShipState = {
    dest,
    upTo: null,
    upToAt: null,
    history: [],
    bases: [],
    shippedAt: null,
    lastError: null,
    lastErrorAt: null,
    failures: 0,
    retryAt: null,
    partial: null,
  };
  return text ? { ...empty, ...(JSON.parse(text) as ShipState) } : empty;
}

export async function saveState(archiveDir: string, s: ShipState): Promise<void> {
  await mkdir(stateDir(archiveDir), { recursive: true, mode: 0o700 });
  const path = stateFile(archiveDir, s.dest);
  await writeFile(`${path}.tmp`, JSON.stringify(s, null, 1));
  await rename(`${path}.tmp`, path);
}

/** Records that a destination could not even be reached or set up (health shows it, the alert fires). */
export async function recordShipError(
  archiveDir: string,
  dest: string,
  message: string,
  backoff: Backoff = DEFAULT_BACKOFF,
): Promise<void> {
  if (!existsSync(archiveDir)) return;
  await saveState(archiveDir, failed(await readState(archiveDir, dest), message, backoff));
}

function failed(st: ShipState, message: string, backoff: Backoff): ShipState {
  const failures = (st.failures ?? 0) + 1;
  const now = Date.now();
  return {
    ...st,
    lastError: message.slice(0, 300),
    lastErrorAt: new Date(now).toISOString(),
    failures,
    retryAt: new Date(now + backoffMs(failures, backoff)).toISOString(),
  };
}

/** Forgets destinations no longer configured, so they raise no alert (shipping again is idempotent). */
export async function forgetOtherDestinations(archiveDir: string, keep: string[]): Promise<void> {
  const wanted = new Set(keep.map((d) => stateFile(archiveDir, d)));
  for (const n of await readdir(stateDir(archiveDir)).catch(() => [] as string[])) {
    const p = join(stateDir(archiveDir), n);
    if (n.endsWith(".json") && !wanted.has(p)) await rm(p, { force: true });
  }
}

/** Closed segments (and history files) in the local archive, in WAL order, with size and time. */
export async function closedSegments(walDir: string) {
  const out: Array<{ name: string; bytes: number; at: Date }> = [];
  for (const f of (await readdir(walDir).catch(() => [] as string[])).sort()) {
    const seg = parseSegment(f);
    if (!seg || seg.partial) continue;
    const s = await stat(join(walDir, f)).catch(() => null);
    if (s) out.push({ name: f, bytes: s.size, at: s.mtime });
  }
  return out;
}

/**
 * Copies one local file to `rel`, durably and whole: already there at the same size is done
 * (a pass interrupted after the upload); folders get a temporary name renamed at the end; the
 * size read back must match (through the encryption wrapper: the plaintext's).
 */
async function putFile(d: Destination, rel: string, local: string, signal?: AbortSignal): Promise<number> {
  const bytes = (await stat(local)).size;
  if ((await d.size(rel)) === bytes) return 0;
  const src = () => Bun.file(local).stream();
  if (d.atomicObjects) await d.write(rel, src(), signal);
  else {
    const slash = rel.lastIndexOf("/");
    const tmp = `${rel.slice(0, slash)}/.${rel.slice(slash + 1)}.part`;
    await d.remove(tmp);
    await d.write(tmp, src(), signal);
    await d.remove(rel); // a shorter copy left by an older run
    await d.rename(tmp, rel);
  }
  const back = await d.size(rel);
  if (back !== bytes)
    throw new AppError("E_BACKUP_CORRUPT", `${d.where(rel)} holds ${back ?? "no"} bytes, ${bytes} were sent`);
  return bytes;
}

/** Writes the marker whole: S3 objects appear atomically; folders swap a `.next` copy in. */
async function putMarker(d: Destination, instanceId: number, m: ShippedMarker): Promise<void> {
  const rel = `${remoteRoot(instanceId)}/shipped.json`;
  const body = () => new Blob([JSON.stringify(m, null, 1)]).stream();
  if (d.atomicObjects) return d.write(rel, body());
  await d.write(`${rel}.next`, body());
  await d.remove(rel);
  await d.rename(`${rel}.next`, rel);
}

/** Reads a destination's marker (null: nothing shipped there for that instance). */
export async function readMarker(d: Destination, instanceId: number): Promise<ShippedMarker | null> {
  const rel = `${remoteRoot(instanceId)}/shipped.json`;
  for (const r of [rel, `${rel}.next`]) {
    if ((await d.size(r)) === null) continue;
    return JSON.parse(await new Response(d.read(r)).text()) as ShippedMarker;
  }
  return null;
}

/**
 * The marker never says less than the destination holds: after the local archive was lost (or
 * its shipping state), what is shipped there stays listed, and the mark never moves back.
 */
export function mergeMarker(old: ShippedMarker | null, now: ShippedMarker): ShippedMarker {
  if (!old) return now;
  const pruned = [...new Set([...(old.pruned ?? []), ...(now.pruned ?? [])])].sort();
  const bases = new Map(old.bases.map((b) => [b.name, b]));
  for (const b of now.bases) bases.set(b.name, b);
  for (const n of pruned) bases.delete(n);
  const newer = !old.upTo || (now.upTo !== null && now.upTo > old.upTo);
  const upTo = newer ? now.upTo : old.upTo;
  const seq = (n: string) => parseSegment(n)?.seq ?? 0n;
  const later = (a?: string | null, b?: string | null) =>
    !a ? (b ?? null) : !b ? a : seq(a) > seq(b) ? a : b;
  const partial = [old.partial, now.partial]
    .filter((p): p is NonNullable<ShippedMarker["partial"]> => !!p && (!upTo || p.name > upTo))
    .sort((a, b) => a.name.localeCompare(b.name) || a.at.localeCompare(b.at))
    .at(-1);
  return {
    ...now,
    upTo,
    upToAt: newer ? now.upToAt : old.upToAt,
    bases: [...bases.values()].sort((a, b) => a.name.localeCompare(b.name)),
    walFrom: later(old.walFrom, now.walFrom),
    pruned,
    prunePending: now.prunePending ?? old.prunePending ?? [],
    partial: partial ?? null,
  };
}

export interface ShipOptions {
  instanceId: number;
  archiveDir: string;
  walDir: string;
  dest: Destination;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Base backups kept at the destination (the newest ones; at least 1); unset: keep everything. */
  keepBases?: number;
  /** Ship the `.partial` at most this often (ms) when it changed; unset: 60 s; 0: every pass. */
  partialEveryMs?: number;
  backoff?: Backoff;
}

/**
 * One pass to one destination: base backups not shipped yet, then closed segments after the
 * shipped-up-to mark, then the marker. A failure is recorded (archive health shows it) and thrown.
 */
export async function shipOnce(o: ShipOptions): Promise<ShipResult> {
  const d = o.dest;
  const root = remoteRoot(o.instanceId);
  // No local archive (lost, or not made yet): nothing to ship, and no folder made in its place
  // with the wrong owner.
  const res: ShipResult = {
    dest: d.id,
    segments: 0,
    bases: 0,
    bytes: 0,
    upTo: null,
    partial: null,
    prunedBases: [],
    prunedSegments: 0,
  };
  if (!existsSync(o.walDir)) return res;
  const st = await readState(o.archiveDir, d.id);
  res.upTo = st.upTo;
  try {
    const bases = await listBaseBackups(o.archiveDir);
    for (const b of bases.filter((b) => !st.bases.includes(b.name))) {
      const files = (await readdir(b.dir)).filter((f) => f !== BASE_META).sort();
      for (const f of [...files, BASE_META])
        res.bytes += await putFile(d, `${root}/base/${b.name}/${f}`, join(b.dir, f), o.signal);
      st.bases.push(b.name);
      res.bases++;
      await saveState(o.archiveDir, st);
      o.log?.(`base backup ${b.name} shipped to ${d.id}`);
    }
    for (const h of (await readdir(o.walDir).catch(() => [] as string[])).filter((f) => HISTORY.test(f))) {
      if (st.history.includes(h)) continue;
      res.bytes += await putFile(d, `${root}/wal/${h}`, join(o.walDir, h), o.signal);
      st.history.push(h);
    }
    const closed = await closedSegments(o.walDir);
    for (const seg of closed) {
      if (st.upTo && seg.name <= st.upTo) continue;
      if (o.signal?.aborted) throw new AppError("E_CANCELLED", "WAL shipping was stopped");
      res.bytes += await putFile(d, `${root}/wal/${seg.name}`, join(o.walDir, seg.name), o.signal);
      st.upTo = seg.name;
      st.upToAt = seg.at.toISOString();
      res.segments++;
      if (st.partial && st.partial.name <= seg.name) {
        // closed and shipped whole: its partial copy there is stale
        await d.remove(`${root}/wal/${st.partial.name}.partial`);
        st.partial = null;
      }
      await saveState(o.archiveDir, st);
    }
    const partial = await shipPartial({ d, root, st, walDir: o.walDir, everyMs: o.partialEveryMs ?? 60_000 });
    if (partial) {
      st.partial = partial;
      res.partial = partial.name;
      res.bytes += partial.bytes;
      await saveState(o.archiveDir, st);
    }
    let marker: ShippedMarker | null = null;
    if (res.segments || res.bases || res.partial || !st.shippedAt) {
      const shipped = bases
        .filter((b) => st.bases.includes(b.name))
        .map((b) => ({ ...b, dir: `${root}/base/${b.name}` }));
      const first = closed[0]?.name ?? null;
      marker = mergeMarker(await readMarker(d, o.instanceId), {
        instanceId: o.instanceId,
        upTo: st.upTo,
        upToAt: st.upToAt,
        bases: shipped,
        writtenAt: new Date().toISOString(),
        walFrom: null,
        partial: st.partial ? { name: st.partial.name, at: st.partial.at, bytes: st.partial.bytes } : null,
      });
      // the first pass there: everything shipped starts at the first closed segment here
      if (!marker.walFrom && first) marker.walFrom = first;
      await putMarker(d, o.instanceId, marker);
    }
    // only after a pass that shipped something: a new base backup is what makes an old one due,
    // and an idle pass costs no request (an interrupted deletion resumes on the next such pass)
    if (o.keepBases !== undefined && marker) {
      const pruned = await pruneDestination({
        d,
        instanceId: o.instanceId,
        keep: o.keepBases,
        marker,
        write: (m) => putMarker(d, o.instanceId, m),
        signal: o.signal,
      });
      res.prunedBases = pruned.bases;
      res.prunedSegments = pruned.segments;
      if (pruned.bases.length)
        o.log?.(
          `retention at ${d.id}: deleted base backup(s) ${pruned.bases.join(", ")}, ${pruned.segments} segment(s)`,
        );
    }
    st.shippedAt = new Date().toISOString();
    st.lastError = null;
    st.lastErrorAt = null;
    st.failures = 0;
    st.retryAt = null;
    await saveState(o.archiveDir, st);
    res.upTo = st.upTo;
    return res;
  } catch (e) {
    await saveState(o.archiveDir, failed(st, (e as Error).message, o.backoff ?? DEFAULT_BACKOFF)).catch(
      () => {},
    );
    throw e;
  }
}
