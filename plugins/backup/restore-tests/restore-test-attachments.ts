/**
 * The attachment check of a restore test: every `ir_attachment.store_fname` of the restored
 * database must have its file in the restored filestore, and the file's SHA-1 must be the
 * attachment's `checksum` (Odoo names stored files `<2 hex>/<sha1 of the content>`).
 *
 * The hashing runs on the target server in ONE `xargs -0 sha1sum` over the whole list (fed on
 * stdin, read back line by line), so it costs one round trip whatever the filestore's size and
 * odoodeck's memory holds only the expected hashes, never file contents.
 */
import { AppError, type Connection, type odoo } from "../../../server/sdk/index.ts";

export interface AttachmentCheck {
  /** Attachment rows with a store_fname. */
  rows: number;
  /** Distinct files they point to (several rows may share one file). */
  files: number;
  /** Files found and hashed. */
  hashed: number;
  missing: string[];
  mismatched: Array<{ file: string; expected: string; actual: string }>;
  /** store_fname values that are not a relative path inside the filestore. */
  unsafe: string[];
  /** Files without a usable checksum: only their presence was checked. */
  unchecked: number;
  /** The restored filestore folder does not exist at all. */
  folderMissing: boolean;
}

const SHA1 = /^[0-9a-f]{40}$/;
// The folder comes in as $1; names come on stdin, NUL-separated: nothing is pasted into the script.
const HASH_SCRIPT = 'cd "$1" 2>/dev/null || exit 3; exec xargs -0 -r sha1sum --';

/** A relative path that stays inside the filestore and that sha1sum prints without escaping. */
export function isSafeStoreFname(f: string): boolean {
  return (
    f.length > 0 &&
    !f.startsWith("/") &&
    !/[\\\n\r\0]/.test(f) &&
    !f.split("/").some((s) => s === ".." || s === "." || s === "")
  );
}

/** store_fname → expected SHA-1 (the checksum column, else the file's own name), or null. */
export async function expectedHashes(
  db: odoo.OdooDb,
): Promise<{ rows: number; want: Map<string, string | null> }> {
  const list = await db.query<{ f: string; c: string | null; n: string }>(
    `SELECT store_fname AS f, min(checksum) AS c, count(*) AS n
       FROM ir_attachment WHERE store_fname IS NOT NULL GROUP BY store_fname ORDER BY store_fname`,
  );
  const want = new Map<string, string | null>();
  let rows = 0;
  for (const r of list) {
    rows += Number(r.n);
    const base = r.f.slice(r.f.lastIndexOf("/") + 1);
    const c = (r.c ?? "").trim().toLowerCase();
    want.set(r.f, SHA1.test(c) ? c : SHA1.test(base) ? base : null);
  }
  return { rows, want };
}

/** Splits a byte stream into text lines as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  }
  buf += dec.decode();
  if (buf) yield buf;
}

export async function checkAttachments(
  conn: Connection,
  db: odoo.OdooDb,
  filestoreDir: string,
  signal?: AbortSignal,
): Promise<AttachmentCheck> {
  const { rows, want } = await expectedHashes(db);
  const out: AttachmentCheck = {
    rows,
    files: want.size,
    hashed: 0,
    missing: [],
    mismatched: [],
    unsafe: [],
    unchecked: 0,
    folderMissing: false,
  };
  const names: string[] = [];
  for (const [f, h] of want) {
    if (!isSafeStoreFname(f)) out.unsafe.push(f);
    else {
      names.push(f);
      if (!h) out.unchecked++;
    }
  }
  const seen = new Set<string>();
  if (names.length) {
    const p = conn.spawn(["sh", "-c", HASH_SCRIPT, "odoodeck-sha1", filestoreDir], { stdin: true, signal });
    const feed = (async () => {
      const w = p.stdin!.getWriter();
      const enc = new TextEncoder();
      // ~1 MiB writes: the list streams to the server instead of being built as one string
      let batch: string[] = [];
      let size = 0;
      for (const f of names) {
        batch.push(f);
        size += f.length + 1;
        if (size >= 1 << 20) {
          await w.write(enc.encode(`${batch.join("\0")}\0`));
          batch = [];
          size = 0;
        }
      }
      if (batch.length) await w.write(enc.encode(`${batch.join("\0")}\0`));
      await w.close();
    })();
    const stderr = new Response(p.stderr).text();
    for await (const line of lines(p.stdout)) {
      const m = /^([0-9a-f]{40}) [ *](.+)$/.exec(line);
      if (!m) continue;
      const [, actual, file] = m;
      seen.add(file);
      out.hashed++;
      const expected = want.get(file);
      if (expected && expected !== actual) out.mismatched.push({ file, expected, actual });
    }
    await feed.catch(() => {}); // the script exits without reading when the folder is absent
    const [code, err] = await Promise.all([p.exited, stderr]);
    // 3: no folder (every file missing); 123: xargs saw sha1sum fail on a missing file
    if (signal?.aborted) throw new AppError("E_CANCELLED");
    if (code === 3) out.folderMissing = true;
    else if (code !== 0 && code !== 123)
      throw new AppError("E_COMMAND_FAILED", `Hashing the restored filestore failed (exit ${code})`, {
        hint: err.trim().slice(0, 300),
      });
  }
  for (const f of names) if (!seen.has(f)) out.missing.push(f);
  return out;
}

/** The check's one line, naming the first few problems. */
export function describeAttachmentCheck(r: AttachmentCheck): { ok: boolean; message: string } {
  const first = (xs: string[]) => xs.slice(0, 5).join(", ") + (xs.length > 5 ? ", …" : "");
  const problems: string[] = [];
  if (r.missing.length)
    problems.push(
      `${r.missing.length} missing${r.folderMissing ? " (no filestore folder at all)" : ""}: ${first(r.missing)}`,
    );
  if (r.mismatched.length)
    problems.push(
      `${r.mismatched.length} with another SHA-1 than their checksum: ${first(r.mismatched.map((m) => m.file))}`,
    );
  if (r.unsafe.length)
    problems.push(`${r.unsafe.length} store_fname outside the filestore: ${first(r.unsafe)}`);
  const what = `${r.rows} attachment rows, ${r.files} files`;
  if (problems.length) return { ok: false, message: `${what}: ${problems.join("; ")}` };
  return {
    ok: true,
    message: `${what}: all present, ${r.hashed - r.unchecked} SHA-1 verified${r.unchecked ? ` (${r.unchecked} without a checksum: presence only)` : ""}`,
  };
}
