import { compileFilter, type LevelCounts, type LogFilter } from "../search/filter.ts";
import type { LogRecord } from "../parse/record.ts";

/** Matching records kept for one view never hold more than this, whatever the record cap. */
export const WINDOW_BYTE_BUDGET = 16 * 1024 * 1024;

/**
 * Gathers a view: the counts per level of the records that pass every filter but the level one
 * (the badges a user clicks to narrow), and the matching records, the last `max` (tail) or the
 * first `max` (from a time). Memory is bounded by `max` and a byte budget, not by the file.
 */
export class WindowCollector {
  readonly counts: LevelCounts = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0, RAW: 0 };
  lines = 0;
  total = 0;
  matched = 0;
  /** Set once records past `until` arrive (a log is in time order): reading can stop. */
  done = false;
  private kept: LogRecord[] = [];
  private head = 0;
  private bytes = 0;
  private readonly match: (r: LogRecord) => boolean;
  private readonly matchButLevel: (r: LogRecord) => boolean;

  constructor(
    private readonly filter: LogFilter,
    private readonly max: number,
    private readonly keepLast: boolean,
  ) {
    this.match = compileFilter(filter);
    this.matchButLevel = compileFilter({ ...filter, level: undefined, levelOnly: undefined });
  }

  add(r: LogRecord): void {
    if (this.filter.until !== undefined && r.ts !== null && r.ts >= this.filter.until && !this.keepLast)
      this.done = true;
    this.total++;
    this.lines += 1 + r.continuation.length;
    if (!this.matchButLevel(r)) return;
    this.counts[r.level ?? "RAW"]++;
    if (!this.match(r)) return;
    this.matched++;
    if (!this.keepLast) {
      if (this.kept.length < this.max) this.kept.push(r);
      return;
    }
    this.kept.push(r);
    this.bytes += r.end - r.offset;
    while (this.kept.length - this.head > this.max || this.bytes > WINDOW_BYTE_BUDGET) {
      const old = this.kept[this.head++];
      this.bytes -= old.end - old.offset;
    }
    // Compact now and then so dropped records can be collected.
    if (this.head > 4096 && this.head > this.kept.length / 2) {
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }

  records(): LogRecord[] {
    return this.head ? this.kept.slice(this.head) : this.kept;
  }
}
