/** Small stream helpers shared by the connection kinds. */

export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

export function toByteStream(
  data: ReadableStream<Uint8Array> | Uint8Array | string,
): ReadableStream<Uint8Array> {
  if (data instanceof ReadableStream) return data;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new ReadableStream({
    start(c) {
      if (bytes.byteLength) c.enqueue(bytes);
      c.close();
    },
  });
}

/** Reads a stream to the end, keeping at most `max` bytes (the rest is drained, not kept). */
export async function collectText(
  stream: ReadableStream<Uint8Array>,
  max = DEFAULT_MAX_OUTPUT,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  for await (const chunk of stream) {
    if (kept >= max) continue;
    const part = chunk.byteLength + kept > max ? chunk.subarray(0, max - kept) : chunk;
    chunks.push(part);
    kept += part.byteLength;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Passes a stream through, reporting the running byte count (progress of data being sent). */
export function countBytes(
  src: ReadableStream<Uint8Array>,
  onBytes?: (total: number) => void,
): ReadableStream<Uint8Array> {
  if (!onBytes) return src;
  let total = 0;
  return src.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        total += chunk.byteLength;
        onBytes(total);
        c.enqueue(chunk);
      },
    }),
  );
}
