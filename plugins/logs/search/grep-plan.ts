import type { LogFilter } from "./filter.ts";
import { ANSI_ERE } from "../parse/parser.ts";
import { LEVELS, levelRank } from "../parse/record.ts";

/**
 * Turns a filter into one grep pattern, so the byte-level scan runs in grep on the server and
 * only matching lines travel. grep takes one condition; the full filter is applied again in
 * JavaScript on the records it finds, so the pattern only has to be a superset.
 */
export interface GrepPlan {
  /** Arguments after `grep`: -F/-E, maybe -i, then -e <pattern>. */
  args: string[];
  /** The pattern matches header lines only (no match inside a traceback). */
  headerOnly: boolean;
}

const ERE_SPECIAL = /[.[\]()*+?{}|^$\\]/g;
const ereEscape = (s: string) => s.replace(ERE_SPECIAL, "\\$&");

/** A JavaScript regex in ERE terms, or null when it uses syntax ERE lacks (lookaround, lazy…). */
export function toEre(js: string): string | null {
  if (/\(\?|[*+?}]\?|\\[1-9bBkpPuxc0]/.test(js)) return null;
  let out = "";
  for (let i = 0; i < js.length; i++) {
    const ch = js[i];
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = js[++i];
    if (next === undefined) return null;
    if (next === "d") out += "[0-9]";
    else if (next === "D") out += "[^0-9]";
    else if (next === "s") out += "[[:space:]]";
    else if (next === "S") out += "[^[:space:]]";
    else if (next === "w") out += "[[:alnum:]_]";
    else if (next === "W") out += "[^[:alnum:]_]";
    else if (/[^A-Za-z0-9]/.test(next)) out += `\\${next}`;
    else return null; // \t, \n and the like: let JavaScript do it
  }
  // Classes written with escapes inside brackets do not translate: refuse them.
  if (/\[[^\]]*\[\[:/.test(out)) return null;
  return out;
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

export function grepPlan(f: LogFilter): GrepPlan | null {
  // Case-insensitive in the C locale only folds ASCII: other text is left to JavaScript.
  if (f.text && isAscii(f.text)) return { args: ["-F", "-i", "-e", f.text], headerOnly: false };
  if (f.regex) {
    const ere = toEre(f.regex);
    if (ere !== null && isAscii(ere)) return { args: ["-E", "-i", "-e", ere], headerOnly: false };
  }
  if (!f.level && !f.db && f.pid === undefined && !f.logger) return null;
  const levels = f.level
    ? f.levelOnly
      ? [f.level]
      : LEVELS.filter((l) => levelRank(l) >= levelRank(f.level!))
    : null;
  // The level names as Odoo writes them (DEBUG_RPC… count as DEBUG).
  const lv = levels
    ? `(${levels.map((l) => (l === "DEBUG" ? "DEBUG[A-Z_]*" : l === "WARNING" ? "WARNING|WARN" : l === "CRITICAL" ? "CRITICAL|FATAL" : l)).join("|")})`
    : "[A-Z_]+";
  const pid = f.pid !== undefined ? String(f.pid) : "[0-9]+";
  const db = f.db ? ereEscape(f.db) : "[^ ]+";
  const logger = f.logger ? `${ereEscape(f.logger)}(\\.[^ :]*)?` : "[^ :]+";
  // A coloured level (Odoo's log_color on a tty) is wrapped in ANSI codes.
  const re = `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]{12} ${pid} ${ANSI_ERE}${lv}${ANSI_ERE} ${db} ${logger}:`;
  return { args: ["-E", "-e", re], headerOnly: true };
}
