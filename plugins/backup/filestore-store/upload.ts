/**
 * Uploads the objects each destination lacks, straight from the instance's server: the missing
 * files travel as tar batches (one process and one stream per ~1,000 files, so SSH costs no round
 * trip per file), each entry hashed on the way and written under a temporary name, renamed once
 * whole (S3: the object appears when its upload completed). Where every call is a round trip (a
 * server over SSH, S3) small objects go in groups (`writeMany`), not ~6 calls apiece. A file whose
 * bytes no longer match the hash it was indexed with fails the backup: the index must describe
 * what is stored.
 */
import { createHash } from "node:crypto";
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import { type Destination, MANY_BYTES, MANY_FILES, type SmallFile } from "../destinations/types.ts";
import { fanOut } from "../archive/fanout.ts";
import { produce } from "../archive/pipeline.ts";
import { readTar } from "../archive/tar-reader.ts";
import { type IndexEntry, objectRel, SMALL_OBJECT } from "./layout.ts";
import { listObjects } from "./listing.ts";

const BATCH = 1000;
const IN_FLIGHT = 8;

export interface UploadResult {
  /** Per destination id: objects and bytes written there (what this backup moved). */
  written: Map<string, { objects: number; bytes: number }>;
  /** Per destination id: why it failed (the others went on). */
  errors: Map<string, unknown>;
}

function tmpRel(sha: string): string {
  return `${objectRel(sha).replace(/[^/]+$/, "")}.${sha}.partial`;
}

/** Writes one object: temporary name and rename on folders; E_CONFLICT means it is there already. */
async function putObject(d: Destination, sha: string, data: Uint8Array, signal?: AbortSignal) {
  const body = new Blob([data as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>;
  if (d.atomicObjects) return d.write(objectRel(sha), body, signal);
  const tmp = tmpRel(sha);
  await d.write(tmp, body, signal);
  try {
    await d.rename(tmp, objectRel(sha));
  } catch (e) {
    if (toAppError(e).code !== "E_CONFLICT") throw e;
    await d.remove(tmp);
  }
}

export async function uploadMissing(
  conn: Connection,
  filestoreDir: string,
  files: IndexEntry[],
  dests: Destination[],
  o: { signal?: AbortSignal; onBytes?: (n: number) => void; log?: (line: string) => void } = {},
): Promise<UploadResult> {
  const res: UploadResult = { written: new Map(), errors: new Map() };
  const lacking = new Map<string, Destination[]>(); // sha → destinations without it
  const byHash = new Map<string, IndexEntry>();
  for (const f of files) if (!byHash.has(f.sha256)) byHash.set(f.sha256, f);
  for (const d of dests) {
    res.written.set(d.id, { objects: 0, bytes: 0 });
    try {
      const have = await listObjects(d);
      let n = 0;
      for (const sha of byHash.keys())
        if (!have.has(sha)) {
          lacking.set(sha, [...(lacking.get(sha) ?? []), d]);
          n++;
        }
      o.log?.(`${d.id}: holds ${have.size} objects, ${n} of this filestore's ${byHash.size} are new there`);
    } catch (e) {
      res.errors.set(d.id, e);
    }
  }
  const wanted = [...lacking.keys()].map((sha) => byHash.get(sha)!);
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    p.finally(() => pending.delete(p));
  };
  // Per destination that batches: the small objects waiting for its next writeMany.
  const queued = new Map<Destination, { files: SmallFile[]; bytes: number }>();
  let groupsInFlight = 0; // each holds up to MANY_BYTES in memory: two at most
  const flush = (d: Destination) => {
    const q = queued.get(d);
    if (!q?.files.length) return;
    queued.delete(d);
    groupsInFlight++;
    track(
      d.writeMany!(q.files, o.signal)
        .finally(() => groupsInFlight--)
        .then(
          () => {
            const w = res.written.get(d.id)!;
            w.objects += q.files.length;
            w.bytes += q.bytes;
          },
          (e) => void res.errors.set(d.id, e),
        ),
    );
  };
  const store = (sha: string, data: Uint8Array) => {
    for (const d of lacking.get(sha) ?? []) {
      if (res.errors.has(d.id)) continue;
      if (d.writeMany) {
        const q = queued.get(d) ?? { files: [], bytes: 0 };
        queued.set(d, q);
        q.files.push({ rel: objectRel(sha), data });
        q.bytes += data.byteLength;
        if (q.files.length >= MANY_FILES || q.bytes >= MANY_BYTES) flush(d);
        continue;
      }
      const p: Promise<void> = putObject(d, sha, data, o.signal).then(
        () => {
          const w = res.written.get(d.id)!;
          w.objects++;
          w.bytes += data.byteLength;
        },
        (e) => void res.errors.set(d.id, e),
      );
      track(p);
    }
  };
  for (let i = 0; i < wanted.length; i += BATCH) {
    const batch = wanted.slice(i, i + BATCH);
    const expect = new Map(batch.map((f) => [f.path, f.sha256]));
    const tar = produce(conn, ["tar", "-C", filestoreDir, "-cf", "-", "--", ...batch.map((f) => f.path)], {
      compress: false,
      signal: o.signal,
      what: "tar of new filestore files",
    });
    try {
      await readTar(tar.stdout, async (e, body) => {
        const sha = expect.get(e.path);
        if (!sha) return;
        if (e.size > SMALL_OBJECT) {
          await Promise.all(pending);
          return storeLarge(e.path, sha, body, lacking.get(sha) ?? [], res, o.signal);
        }
        const parts: Uint8Array[] = [];
        for await (const p of body) parts.push(p);
        const data = Buffer.concat(parts);
        const got = createHash("sha256").update(data).digest("hex");
        if (got !== sha) throw changed(e.path);
        o.onBytes?.(data.byteLength);
        store(sha, data);
        while (pending.size >= IN_FLIGHT || groupsInFlight >= 2) await Promise.race(pending);
      });
      await tar.finished;
    } catch (e) {
      tar.kill();
      await tar.finished.catch(() => {});
      throw e;
    }
  }
  for (const d of [...queued.keys()]) flush(d);
  await Promise.all(pending);
  return res;
}

const changed = (path: string) =>
  new AppError("E_COMMAND_FAILED", `Filestore file ${path} changed while the backup read it`, {
    hint: "Odoo never rewrites a filestore file; something else did. Run the backup again",
  });

/** A big file: one read of the tar entry feeds every destination (bounded memory), hashed on the way. */
async function storeLarge(
  path: string,
  sha: string,
  body: AsyncGenerator<Uint8Array>,
  targets: Destination[],
  res: UploadResult,
  signal?: AbortSignal,
): Promise<void> {
  const src = new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await body.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
  });
  const live = targets.filter((d) => !res.errors.has(d.id));
  const at = (d: Destination) => (d.atomicObjects ? objectRel(sha) : tmpRel(sha));
  const r = await fanOut(
    src,
    live.map((d) => (data) => d.write(at(d), data, signal)),
  );
  if (r.sha256 !== sha) {
    await Promise.all(live.map((d) => d.remove(at(d)).catch(() => {})));
    throw changed(path);
  }
  await Promise.all(
    live.map(async (d, i) => {
      if (r.errors[i]) return void res.errors.set(d.id, r.errors[i]);
      try {
        if (!d.atomicObjects)
          await d.rename(tmpRel(sha), objectRel(sha)).catch(async (e) => {
            if (toAppError(e).code !== "E_CONFLICT") throw e;
            await d.remove(tmpRel(sha));
          });
        const w = res.written.get(d.id)!;
        w.objects++;
        w.bytes += r.bytes;
      } catch (e) {
        res.errors.set(d.id, e);
      }
    }),
  );
}
