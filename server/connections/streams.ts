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
