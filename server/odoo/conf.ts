import { AppError } from "../errors.ts";
import { isBooleanOption } from "./conf-defaults.ts";

/**
 * Reads odoo.conf the way Odoo does: Python's RawConfigParser (no `%` interpolation, `=` or `:`
 * delimiters, full-line `#`/`;` comments, indented continuation lines, lowercase keys), then
 * Odoo's own rule that "", "None" and "False" mean "not set" — except for boolean options, where
 * "False" is a real value (list_db = False).
 */
export interface ConfFinding {
  severity: "warning" | "error";
  line?: number;
  message: string;
}

export interface ParsedConf {
  /** The [options] section; null means present but "not set" (False/None/empty). */
  options: Record<string, string | null>;
  /** The literal [options] values, before False/None became null. */
  raw: Record<string, string>;
  /** Every section but [options] (Odoo ignores them for its options). */
  sections: Record<string, Record<string, string>>;
  warnings: ConfFinding[];
  /** Line (1-based) where each [options] key is defined (the last one, for duplicates). */
  lines: Record<string, number>;
}

export const MAX_CONF_BYTES = 1024 * 1024;

const SECTION_RE = /^\[(.+)\]/;
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/;

export function decodeConf(input: string | Uint8Array, warnings: ConfFinding[]): string {
  if (typeof input === "string") return input;
  if (input.byteLength > MAX_CONF_BYTES) throw tooBig(input.byteLength);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    warnings.push({
      severity: "warning",
      message: "The file is not valid UTF-8; it was read as Latin-1. Odoo may fail to read it.",
    });
    return new TextDecoder("latin1").decode(input);
  }
}

export function tooBig(size: number): AppError {
  return new AppError("E_CONF_INVALID", `The configuration file is too large (${size} bytes)`, {
    hint: "An odoo.conf is a few kilobytes; check that the path points at the right file",
  });
}

export function parseOdooConf(input: string | Uint8Array): ParsedConf {
  const warnings: ConfFinding[] = [];
  let text = decodeConf(input, warnings);
  if (text.length > MAX_CONF_BYTES) throw tooBig(text.length);
  if (text.startsWith("\ufeff")) {
    text = text.slice(1);
    warnings.push({
      severity: "warning",
      line: 1,
      message: "The file starts with a byte-order mark; Python's parser chokes on it: save it without BOM.",
    });
  }
  const all: Record<string, Record<string, string[]>> = {};
  const keyLines: Record<string, Record<string, number>> = {};
  const sectionLine: Record<string, number> = {};
  let section: string | null = null;
  let key: string | null = null;
  let keyIndent = Number.MAX_SAFE_INTEGER;

  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    const no = i + 1;
    const trimmed = line.trim();
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) return; // comments never end a value
    if (trimmed === "") {
      if (section && key)
        all[section][key].push(""); // blank lines inside values are kept, trailing ones trimmed
      else keyIndent = Number.MAX_SAFE_INTEGER;
      return;
    }
    const indent = line.length - line.trimStart().length;
    if (section && key && indent > keyIndent) {
      all[section][key].push(trimmed);
      return;
    }
    keyIndent = indent;
    const header = SECTION_RE.exec(trimmed);
    if (header) {
      section = header[1];
      key = null;
      // Odoo reads the file with RawConfigParser in strict mode: a repeated section or option
      // raises DuplicateSectionError / DuplicateOptionError and Odoo does not start.
      if (all[section])
        warnings.push({
          severity: "error",
          line: no,
          message: `Section [${section}] appears twice (first at line ${sectionLine[section]}): Odoo refuses to start (Python's DuplicateSectionError).`,
        });
      else sectionLine[section] = no;
      all[section] ??= {};
      keyLines[section] ??= {};
      return;
    }
    const opt = OPTION_RE.exec(trimmed);
    if (!section) {
      warnings.push({
        severity: "error",
        line: no,
        message: "A line before the first [section] header: Odoo cannot read this file.",
      });
      return;
    }
    if (!opt || opt[1].trim() === "") {
      warnings.push({
        severity: "error",
        line: no,
        message: `Line is neither "key = value", a [section] nor a comment: Odoo refuses the file.`,
      });
      key = null;
      return;
    }
    key = opt[1].trimEnd().toLowerCase();
    if (all[section][key]) {
      // Keys are compared lowercased, as configparser does: "Workers" and "workers" are one key.
      warnings.push({
        severity: "error",
        line: no,
        message: `"${key}" is set twice in [${section}] (line ${keyLines[section][key]} and line ${no}): Odoo refuses to start (Python's DuplicateOptionError). Remove one; the last value is shown here.`,
      });
    }
    all[section][key] = [opt[3]];
    keyLines[section][key] = no;
  });

  const join = (v: string[]) => v.join("\n").trimEnd();
  const defaults = Object.fromEntries(Object.entries(all.DEFAULT ?? {}).map(([k, v]) => [k, join(v)]));
  if (!all.options) {
    throw new AppError("E_CONF_INVALID", "The file has no [options] section", {
      hint: "Odoo reads its settings from an [options] section: add the line [options] above the settings",
      details: { warnings },
    });
  }
  const raw: Record<string, string> = { ...defaults };
  for (const [k, v] of Object.entries(all.options)) raw[k] = join(v);
  const options: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(raw)) options[k] = normalizeValue(k, v);

  const sections: Record<string, Record<string, string>> = {};
  for (const [name, keys] of Object.entries(all)) {
    if (name === "options" || name === "DEFAULT") continue;
    sections[name] = { ...defaults };
    for (const [k, v] of Object.entries(keys)) sections[name][k] = join(v);
  }
  return { options, raw, sections, warnings, lines: keyLines.options };
}

function normalizeValue(key: string, value: string): string | null {
  if (value === "" || value === "None") return null;
  if (value === "False" && !isBooleanOption(key)) return null;
  return value;
}

/** Odoo's boolean reading (configmanager._check_bool); undefined when the text is not a boolean. */
export function parseConfBool(value: string | null | undefined): boolean | undefined {
  if (value == null) return undefined;
  const v = value.trim().toLowerCase();
  if (["1", "yes", "true", "on"].includes(v)) return true;
  if (["0", "no", "false", "off"].includes(v)) return false;
  return undefined;
}

export { deriveInstanceSettings, type InstanceSettings } from "./instance-settings.ts";
