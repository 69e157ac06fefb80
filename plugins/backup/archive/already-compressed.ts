/**
 * Whether a file is already compressed, from its first bytes: deflating a JPEG, PNG, zip (docx,
 * xlsx, odt), gzip or video again costs CPU for a few bytes at best, so Odoo's zip stores them
 * (ZIP_STORED). Most of an Odoo filestore is such files (attachments, product images); Odoo's
 * restore reads stored and deflated entries alike (Python's zipfile).
 */
const MAGICS: number[][] = [
  [0xff, 0xd8, 0xff], // JPEG
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46, 0x38], // GIF
  [0x50, 0x4b, 0x03, 0x04], // zip: docx, xlsx, odt, jar…
  [0x1f, 0x8b], // gzip
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0x42, 0x5a, 0x68], // bzip2
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x52, 0x61, 0x72, 0x21], // rar
  [0x49, 0x44, 0x33], // mp3 (ID3)
  [0x4f, 0x67, 0x67, 0x53], // ogg
  [0x1a, 0x45, 0xdf, 0xa3], // webm, mkv
];

export function isAlreadyCompressed(head: Uint8Array): boolean {
  if (MAGICS.some((m) => m.length <= head.length && m.every((b, i) => head[i] === b))) return true;
  // RIFF…WEBP (webp), …ftyp (mp4, mov, heic, avif)
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return true;
  return head.length >= 8 && ascii(4, 8) === "ftyp";
}

/** The same test for Python's zipfile writer (ZIP_PY): the magic numbers as a bytes tuple. */
export function pythonMagics(): string {
  const lit = (m: number[]) => `b"${m.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}"`;
  return `(${MAGICS.map(lit).join(", ")})`;
}
