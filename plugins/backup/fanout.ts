/**
 * Copies one stream to several sinks at the pace of the slowest one (bounded memory), hashing and
 * counting on the way. A failing sink fails the whole copy: a backup is never "green" with a
 * destination that did not get every byte.
 */
import { createHash } from "node:crypto";

export type Sink = (data: ReadableStream<Uint8Array>) => Promise<void>;

export interface Copied {
  bytes: number;
  sha256: string;
}

const HIGH_WATER = 4 * 1024 * 1024;

export async function fanOut(
  src: ReadableStream<Uint8Array>,
  sinks: Sink[],
  onProgress?: (bytes: number) => void,
): Promise<Copied> {
  const hash = createHash("sha256");
  const pipes = sinks.map(() => new TransformStream<Uint8Array, Uint8Array>({}, new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER })));
  const writers = pipes.map((p) => p.writable.getWriter());
  const done = sinks.map((sink, i) => sink(pipes[i].readable));
  // Rejects as soon as any sink fails; never resolves otherwise.
  const firstFailure = new Promise<never>((_, reject) => {
    for (const d of done) d.catch(reject);
  });
  firstFailure.catch(() => {});
  let bytes = 0;
  try {
    for await (const chunk of src) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      await Promise.race([Promise.all(writers.map((w) => w.ready)), firstFailure]);
      for (const w of writers) w.write(chunk).catch(() => {});
      onProgress?.(bytes);
    }
    await Promise.race([Promise.all(writers.map((w) => w.close())), firstFailure]);
    await Promise.all(done);
  } catch (e) {
    for (const w of writers) w.abort(e).catch(() => {});
    await Promise.allSettled(done);
    throw e;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** SHA-256 and size of a stream, read once. */
export async function digest(src: ReadableStream<Uint8Array>): Promise<Copied> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of src) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { bytes, sha256: hash.digest("hex") };
}
