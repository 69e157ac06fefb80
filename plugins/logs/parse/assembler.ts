import { bodyLine, cleanLine, parseHeader } from "./parser.ts";
import type { LogRecord } from "./record.ts";

/** A record never holds more than this; a 5 MB line costs 64 KiB, not 5 MB. */
export const MAX_RECORD_BYTES = 64 * 1024;

export interface AssemblerOptions {
  /** Byte offset of the first byte pushed (when reading from the middle of a file). */
  offset?: number;
  /** File line number of the first line pushed; 0 when unknown (every record then gets line 0). */
  line?: number;
  maxRecordBytes?: number;
}

const decoder = new TextDecoder("utf-8"); // not fatal: invalid bytes become U+FFFD

/**
 * Turns bytes into records as they arrive: splits lines (LF or CRLF), joins continuation lines to
 * the record before them, caps every record, and tracks byte offsets so a reader can resume.
 */
export class RecordAssembler {
  private readonly max: number;
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private lineTruncated = false;
  private lineStart: number;
  private lineNo: number;
  private readonly lineKnown: boolean;
  /** Line number just past the pending record's last line. */
  private pendingNext = 0;
  private pos: number;
  private pending: LogRecord | null = null;
  private pendingBytes = 0;
  private out: LogRecord[] = [];
  /** Offset just past the last record handed out: a safe place to resume from. */
  consumed: number;
  /** File line number at `consumed` (0: unknown), so a follower resumes with file line numbers. */
  consumedLine: number;

  constructor(opts: AssemblerOptions = {}) {
    this.max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
    this.pos = this.lineStart = this.consumed = opts.offset ?? 0;
    this.lineNo = this.consumedLine = opts.line ?? 1;
    this.lineKnown = this.lineNo > 0;
  }

  /** Where following resumes after what was handed out: "<id>:<offset>" plus ":<line>" when known. */
  cursorFor(id: string, r?: LogRecord): string {
    const [end, line] = r
      ? [r.end, r.line ? r.line + (r.span ?? 1 + r.continuation.length) : 0]
      : [this.consumed, this.consumedLine];
    return line ? `${id}:${end}:${line}` : `${id}:${end}`;
  }

  /** Feeds bytes; returns the records completed so far (a record completes when the next starts). */
  push(chunk: Uint8Array): LogRecord[] {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(10, from);
      const stop = nl === -1 ? chunk.length : nl;
      this.keep(chunk.subarray(from, stop));
      this.pos += stop - from;
      if (nl === -1) break;
      this.pos += 1;
      this.endLine();
      from = nl + 1;
    }
    return this.take();
  }

  /** Hands out the record waiting for continuation lines (when the writer has gone quiet). */
  flush(): LogRecord[] {
    this.emitPending();
    return this.take();
  }

  /** End of input: a last line without a line break still counts. */
  end(): LogRecord[] {
    if (this.partBytes > 0 || this.lineTruncated) this.endLine();
    return this.flush();
  }

  /** True when bytes of an unfinished line are buffered. */
  get midLine(): boolean {
    return this.partBytes > 0 || this.lineTruncated;
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const room = this.max - this.partBytes;
    if (room <= 0) {
      this.lineTruncated = true;
      return;
    }
    const piece = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (piece.length < bytes.length) this.lineTruncated = true;
    // Copy: the caller may reuse its buffer.
    this.parts.push(piece.slice());
    this.partBytes += piece.length;
  }

  private endLine(): void {
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    const text = cleanLine(this.partBytes ? decoder.decode(bytes) : "");
    const truncated = this.lineTruncated;
    const start = this.lineStart;
    const lineNo = this.lineKnown ? this.lineNo++ : 0;
    const size = this.partBytes;
    this.parts = [];
    this.partBytes = 0;
    this.lineTruncated = false;
    this.lineStart = this.pos;
    const header = parseHeader(text);
    const p = this.pending;
    if (!header && p && !p.raw) {
      // A continuation line (traceback) belongs to the record above it.
      if (this.pendingBytes + size > this.max) p.truncated = true;
      else {
        p.continuation.push(bodyLine(text));
        this.pendingBytes += size + 1;
      }
      if (truncated) p.truncated = true;
      p.end = this.pos;
      p.span = (p.span ?? 1) + 1;
      this.pendingNext = this.lineNo;
      return;
    }
    this.emitPending();
    const base = { offset: start, end: this.pos, line: lineNo, span: 1, continuation: [], truncated };
    this.pending = header
      ? { ...base, ...header, raw: false }
      : {
          ...base,
          time: null,
          ts: null,
          pid: null,
          level: null,
          db: null,
          logger: null,
          message: bodyLine(text),
          raw: true,
        };
    this.pendingBytes = size;
    this.pendingNext = this.lineNo;
  }

  private emitPending(): void {
    if (!this.pending) return;
    this.out.push(this.pending);
    this.consumed = this.pending.end;
    this.consumedLine = this.lineKnown ? this.pendingNext : 0;
    this.pending = null;
  }

  private take(): LogRecord[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Reads a whole stream into records, one batch at a time. */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
  opts: AssemblerOptions & { signal?: AbortSignal } = {},
): AsyncGenerator<LogRecord> {
  const asm = new RecordAssembler(opts);
  const reader = stream.getReader();
  try {
    while (true) {
      if (opts.signal?.aborted) return;
      const { done, value } = await reader.read();
      if (done) break;
      yield* asm.push(value);
    }
    yield* asm.end();
  } finally {
    await reader.cancel().catch(() => {});
  }
}
