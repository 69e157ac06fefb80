/** Streams a ustar archive of known-size files (a native backup folder, for download). */
export interface TarInput {
  path: string;
  size: number;
  open(): ReadableStream<Uint8Array>;
  /** Permission bits (default 0644). */
  mode?: number;
}

function header(path: string, size: number, mtime: number, mode = 0o644): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (s: string, off: number, len: number) => h.set(enc.encode(s).subarray(0, len), off);
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, "0");
  if (enc.encode(path).byteLength > 100) throw new Error(`tar: name too long: ${path}`);
  put(path, 0, 100);
  put(oct(mode, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  if (size < 8 ** 11) put(oct(size, 12), 124, 12);
  else {
    // GNU base-256 for sizes beyond 8 GiB
    h[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256;
      v = Math.floor(v / 256);
    }
  }
  put(oct(Math.floor(mtime / 1000), 12), 136, 12);
  put("        ", 148, 8);
  h[156] = 48; // "0": regular file
  put("ustar\u000000", 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${oct(sum, 7)}\u0000 `, 148, 8);
  return h;
}

export function tarStream(files: TarInput[], mtime = Date.now()): ReadableStream<Uint8Array> {
  async function* gen() {
    for (const f of files) {
      yield header(f.path, f.size, mtime, f.mode);
      let n = 0;
      for await (const chunk of f.open()) {
        n += chunk.byteLength;
        yield chunk;
      }
      if (n !== f.size) throw new Error(`tar: ${f.path} changed size while being read (${n} ≠ ${f.size})`);
      if (n % 512) yield new Uint8Array(512 - (n % 512));
    }
    yield new Uint8Array(1024);
  }
  const it = gen();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await it.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
