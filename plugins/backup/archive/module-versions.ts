/**
 * Odoo's manifest.json lists each installed module with its `latest_version`
 * (odoo/service/db.py dump_db_manifest). A native backup records module names only, so the
 * versions are read from the `COPY public.ir_module_module` block of dump.sql while it streams
 * into the zip: one byte search per chunk until the block, a few hundred lines decoded, then
 * nothing more for the rest of the dump.
 */
const HEAD = Buffer.from("\nCOPY public.ir_module_module (");
const END = "\n\\.\n";

/** Text COPY escapes: \N is NULL; backslash sequences are rare in names and versions. */
function copyValue(v: string): string | null {
  if (v === "\\N") return null;
  return v.replace(/\\(.)/g, (_, c: string) => ({ t: "\t", n: "\n", r: "\r", "\\": "\\" })[c] ?? c);
}

export class ModuleVersionScanner {
  private carry = Buffer.alloc(0);
  private block: string | null = null;
  private readonly dec = new TextDecoder();
  private done = false;
  /** name → latest_version of installed modules; null until the block was read whole. */
  result: Record<string, string> | null = null;

  push(chunk: Uint8Array): void {
    if (this.done) return;
    if (this.block === null) {
      const buf = Buffer.concat([this.carry, chunk]);
      const at = buf.indexOf(HEAD);
      if (at < 0) {
        this.carry = Buffer.from(buf.subarray(Math.max(0, buf.length - HEAD.length)));
        return;
      }
      this.carry = Buffer.alloc(0);
      this.block = "";
      chunk = buf.subarray(at + 1);
    }
    this.block += this.dec.decode(chunk, { stream: true });
    const end = this.block.indexOf(END);
    if (end >= 0) this.finish(this.block.slice(0, end));
    else if (this.block.length > 64 * 1024 * 1024) this.done = true; // not Odoo's table: give up
  }

  private finish(text: string): void {
    this.done = true;
    const [head, ...rows] = text.split("\n");
    const cols =
      /\(([^)]*)\)/
        .exec(head)?.[1]
        .split(",")
        .map((c) => c.trim().replace(/^"|"$/g, "")) ?? [];
    const [name, state, version] = ["name", "state", "latest_version"].map((c) => cols.indexOf(c));
    if (name < 0 || state < 0 || version < 0) return;
    const out: Record<string, string> = {};
    for (const row of rows) {
      const v = row.split("\t");
      const n = copyValue(v[name] ?? "");
      if (n && copyValue(v[state] ?? "") === "installed") out[n] = copyValue(v[version] ?? "") ?? "";
    }
    this.result = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
