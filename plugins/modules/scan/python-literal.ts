/**
 * A tolerant reader of Python literals (dicts, sets, lists, tuples, strings, numbers, True/False/None),
 * enough for Odoo's `__manifest__.py`. Nothing is evaluated: anything outside the literal subset
 * (a name, a call, an operator) is a syntax error that names the line.
 */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

export class PythonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
    this.name = "PythonSyntaxError";
  }
}

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "0": "\0",
};

class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  get line(): number {
    return this.src.slice(0, this.pos).split("\n").length;
  }

  fail(msg: string): never {
    throw new PythonSyntaxError(msg, this.line);
  }

  /** Skips whitespace, newlines, comments and line continuations. */
  skip(): void {
    for (;;) {
      const m = /^(?:\s+|#[^\n]*|\\\n)/.exec(this.src.slice(this.pos, this.pos + 4096));
      if (!m?.[0].length) return;
      this.pos += m[0].length;
    }
  }

  peek(): string {
    this.skip();
    return this.src[this.pos] ?? "";
  }

  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }

  value(): PyValue {
    const ch = this.peek();
    if (ch === "{") return this.dictOrSet();
    if (ch === "[") return this.seq("[", "]");
    if (ch === "(") return this.paren();
    if (/['"]/.test(ch) || /^[rRuUbB]{1,2}['"]/.test(this.src.slice(this.pos, this.pos + 3)))
      return this.strings();
    if (/[-+0-9.]/.test(ch)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos))?.[0];
    // `set()` is the one call ast.literal_eval accepts: the empty set
    if (word === "set" && /^set\s*\(\s*\)/.test(this.src.slice(this.pos))) {
      this.pos += /^set\s*\(\s*\)/.exec(this.src.slice(this.pos))![0].length;
      return [];
    }
    if (word === "True" || word === "False" || word === "None") {
      this.pos += word.length;
      return word === "True" ? true : word === "False" ? false : null;
    }
    if (!ch) this.fail("unexpected end of file");
    return this.fail(word ? `"${word}" is not a literal` : `unexpected "${ch}"`);
  }

  /** `{k: v, …}` is a dict, `{a, b}` a set (read as an array, e.g. crm_livechat's depends). */
  dictOrSet(): PyValue {
    const start = this.pos;
    this.expect("{");
    if (this.peek() === "}") {
      this.pos = start;
      return this.dict();
    }
    this.value();
    const isSet = this.peek() !== ":";
    this.pos = start;
    return isSet ? this.seq("{", "}") : this.dict();
  }

  dict(): { [key: string]: PyValue } {
    this.expect("{");
    const out: { [key: string]: PyValue } = {};
    while (this.peek() !== "}") {
      const key = this.value();
      if (typeof key !== "string" && typeof key !== "number") this.fail("dictionary keys must be strings");
      this.expect(":");
      out[String(key)] = this.value();
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "}") this.fail('expected "," or "}"');
    }
    this.pos++;
    return out;
  }

  seq(open: string, close: string): PyValue[] {
    this.expect(open);
    const out: PyValue[] = [];
    while (this.peek() !== close) {
      out.push(this.value());
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== close) this.fail(`expected "," or "${close}"`);
    }
    this.pos++;
    return out;
  }

  /** `(x)` is x, `(x,)` and `(x, y)` are tuples (read as arrays). */
  paren(): PyValue {
    const start = this.pos;
    this.expect("(");
    if (this.peek() === ")") {
      this.pos++;
      return [];
    }
    const first = this.value();
    if (this.peek() === ")") {
      this.pos++;
      return first;
    }
    this.pos = start;
    return this.seq("(", ")");
  }

  /** Adjacent string literals concatenate, as in Python. */
  strings(): string {
    let out = this.string();
    while (this.peek() && /^[rRuUbB]{0,2}['"]/.test(this.src.slice(this.pos, this.pos + 3)))
      out += this.string();
    return out;
  }

  string(): string {
    this.skip();
    const prefix = /^[rRuUbB]{0,2}/.exec(this.src.slice(this.pos))![0];
    const raw = /r/i.test(prefix);
    this.pos += prefix.length;
    const q = this.src[this.pos];
    const triple = this.src.startsWith(q.repeat(3), this.pos);
    const end = triple ? q.repeat(3) : q;
    this.pos += end.length;
    let out = "";
    for (;;) {
      if (this.pos >= this.src.length) this.fail("unterminated string");
      const c = this.src[this.pos];
      if (this.src.startsWith(end, this.pos)) {
        this.pos += end.length;
        return out;
      }
      if (c === "\n" && !triple) this.fail("unterminated string");
      if (c === "\\" && !raw) {
        const n = this.src[this.pos + 1];
        if (n === "\n") out += "";
        else out += ESCAPES[n] ?? `\\${n}`;
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  number(): number {
    const m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?)/.exec(
      this.src.slice(this.pos),
    );
    if (!m) this.fail("invalid number");
    this.pos += m[0].length;
    return Number(m[0].replaceAll("_", ""));
  }
}

/**
 * Parses the single literal a manifest holds. Throws PythonSyntaxError on anything else.
 * @example parsePythonLiteral("{'name': 'CRM', 'version': '1.8', 'depends': ['base']}")
 */
export function parsePythonLiteral(src: string): PyValue {
  const r = new Reader(src.replace(/\r\n?/g, "\n").replace(/^\uFEFF/, ""));
  const v = r.value();
  if (r.peek()) r.fail(`unexpected "${r.src[r.pos]}" after the literal`);
  return v;
}
