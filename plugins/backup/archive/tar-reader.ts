/**
 * A streaming reader for the tar files GNU tar writes (ustar, GNU long names, pax paths): hands
 * each regular file to a callback as a stream of chunks, never holding a whole file in memory.
 */
export interface TarEntry {
  path: string;
  size: number;
  mode: number;
  mtime: number;
}

class ByteReader {
  #buf: Uint8Array = new Uint8Array(0);
  #it: AsyncIterator<Uint8Array>;
  #ended = false;
  constructor(src: AsyncIterable<Uint8Array>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  async #fill(min: number): Promise<boolean> {
    while (this.#buf.byteLength < min && !this.#ended) {
      const r = await this.#it.next();
      if (r.done) this.#ended = true;
      else this.#buf = this.#buf.byteLength ? concat(this.#buf, r.value) : r.value;
    }
    return this.#buf.byteLength >= min;
  }
  async exact(n: number): Promise<Uint8Array | null> {
    if (!(await this.#fill(n))) return null;
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
  /** Yields the next n bytes in pieces as they arrive. */
  async *pieces(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill(1))) throw new Error("tar: unexpected end of archive");
      const take = Math.min(left, this.#buf.byteLength);
      const piece = this.#buf.subarray(0, take);
      this.#buf = this.#buf.subarray(take);
      left -= take;
      yield piece;
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

const dec = new TextDecoder();
const str = (b: Uint8Array, off: number, len: number) => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return dec.decode(z === -1 ? s : s.subarray(0, z));
};
function num(b: Uint8Array, off: number, len: number): number {
  if (b[off] & 0x80) {
    // GNU base-256 for sizes beyond 8 GiB
    let v = b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  return Number.parseInt(str(b, off, len).trim() || "0", 8);
}

async function collect(it: AsyncGenerator<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p.slice());
  return dec.decode(Buffer.concat(parts));
}

export async function readTar(
  src: AsyncIterable<Uint8Array>,
  onFile: (e: TarEntry, data: AsyncGenerator<Uint8Array>) => Promise<void>,
): Promise<void> {
  const r = new ByteReader(src);
  let longName: string | null = null;
  for (;;) {
    const h = await r.exact(512);
    if (!h || h.every((x) => x === 0)) return;
    const size = num(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const padded = Math.ceil(size / 512) * 512;
    const prefix = str(h, 345, 155);
    let path = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    if (type === "L" || type === "x") {
      const body = await collect(r.pieces(padded));
      if (type === "L") longName = body.slice(0, size).replace(/\0.*$/s, "");
      else longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.slice(0, size))?.[1] ?? null;
      continue;
    }
    longName = null;
    path = path.replace(/^(\.\/)+/, "");
    if (type === "0" || type === "7") {
      const entry = { path, size, mode: num(h, 100, 8), mtime: num(h, 136, 12) };
      const body = r.pieces(size);
      await onFile(entry, body);
      for await (const _ of body); // the callback may stop early: skip the rest
      if (padded > size) await r.exact(padded - size);
    } else if (padded) {
      for await (const _ of r.pieces(padded));
    }
  }
}
