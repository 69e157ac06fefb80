/**
 * Copies one stream to several sinks at the pace of the slowest one (bounded memory), hashing and
 * counting on the way. A sink that fails is dropped and its error returned, so the other
 * destinations still get a complete copy; the copy fails only when every sink failed. The caller
 * turns any sink error into a failed backup: never "green" with a destination missing bytes.
 */
import { createHash } from "node:crypto";
import { AppError, fileChunks } from "../../../server/sdk/index.ts";

export type Sink = (data: ReadableStream<Uint8Array>) => Promise<void>;

export interface Copied {
  bytes: number;
  sha256: string;
  /** One entry per sink: null when it got every byte. */
  errors: (unknown | null)[];
}

const HIGH_WATER = 4 * 1024 * 1024;

export async function fanOut(
  src: ReadableStream<Uint8Array>,
  sinks: Sink[],
  onProgress?: (bytes: number) => void,
): Promise<Copied> {
  const hash = createHash("sha256");
  const pipes = sinks.map(
    () =>
      new TransformStream<Uint8Array, Uint8Array>(
        {},
        new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER }),
      ),
  );
  const writers = pipes.map((p) => p.writable.getWriter());
  const errors: (unknown | null)[] = sinks.map(() => null);
  const done = sinks.map((sink, i) =>
    sink(pipes[i].readable).catch((e) => {
      errors[i] = e ?? new Error("sink failed");
      writers[i].abort(e).catch(() => {}); // wakes a writer waiting on `ready`
    }),
  );
  const live = () => writers.filter((_, i) => errors[i] === null);
  let bytes = 0;
  try {
    for await (const chunk of src) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await Promise.all(live().map((w) => w.ready.catch(() => {})));
      const targets = live();
      if (targets.length === 0) throw errors.find((e) => e !== null);
      for (const w of targets) w.write(chunk).catch(() => {});
      onProgress?.(bytes);
    }
    await Promise.all(live().map((w) => w.close().catch(() => {})));
    await Promise.all(done);
  } catch (e) {
    for (const w of writers) w.abort(e).catch(() => {});
    await Promise.all(done);
    throw e;
  }
  if (errors.every((e) => e !== null)) throw errors[0];
  return { bytes, sha256: hash.digest("hex"), errors };
}

/** SHA-256 and size of a stream, read once. */
export async function digest(src: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of src) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * sha256 of a file, read through one reused 1 MiB buffer: no allocation per chunk, so hashing a
 * 10 GB part leaves nothing for the garbage collector (a chunked stream cost ~40 MB of RSS).
 */
export async function sha256File(
  path: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number }> {
  const h = new Bun.CryptoHasher("sha256");
  let bytes = 0;
  for await (const chunk of fileChunks(path)) {
    if (signal?.aborted) throw new AppError("E_CANCELLED");
    h.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: h.digest("hex"), bytes };
}
