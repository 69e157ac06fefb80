import { masking, odoo } from "odoodeck/sdk";
import { isSecret, shown } from "./secrets.ts";

/** One line of the Config tab. `value` is already masked when the key holds a secret. */
export interface ConfRow {
  key: string;
  value: string | null;
  /** The literal text in the file, masked like `value` ("False" where value is null). */
  literal: string | null;
  default: string | null;
  known: boolean;
  differs: boolean;
  secret: boolean;
  line: number | null;
  help: string;
}

export interface ConfNotice {
  severity: "warning" | "error" | "info";
  line?: number;
  message: string;
}

/** Odoo's defaults compare after its own normalisation: "False" and unset are the same thing. */
function sameAsDefault(key: string, value: string | null, def: string | null): boolean {
  if (odoo.isBooleanOption(key)) {
    const a = odoo.parseConfBool(value) ?? false;
    const b = odoo.parseConfBool(def) ?? false;
    return a === b;
  }
  const norm = (v: string | null) => (v == null || v === "" ? null : v.trim());
  if (norm(value) === norm(def)) return true;
  const n1 = Number(value);
  const n2 = Number(def);
  return value != null && def != null && Number.isFinite(n1) && Number.isFinite(n2) && n1 === n2;
}

/** The [options] section as rows, in file order, with Odoo 17's default and a one-line explanation. */
export function confRows(conf: odoo.ParsedConf): ConfRow[] {
  const keys = Object.keys(conf.raw).sort((a, b) => (conf.lines[a] ?? 0) - (conf.lines[b] ?? 0));
  return keys.map((key) => {
    const value = conf.options[key] ?? null;
    const spec = odoo.ODOO17_DEFAULTS[key];
    const secret = isSecret(key, conf.raw[key]);
    return {
      key,
      value: secret ? (value == null ? null : masking.maskValue(value)) : value,
      literal: secret ? masking.maskValue(conf.raw[key]) : conf.raw[key],
      default: spec ? shown(key, spec.default) : null,
      known: !!spec,
      differs: spec ? !sameAsDefault(key, value, spec.default) : true,
      secret,
      line: conf.lines[key] ?? null,
      help: spec?.help ?? "Not an Odoo 17 option: Odoo ignores it (or an addon reads it)",
    };
  });
}

/** Parser warnings plus what Odoo silently ignores (other sections, `%` read literally). */
export function confNotices(conf: odoo.ParsedConf): ConfNotice[] {
  const out: ConfNotice[] = conf.warnings.map((w) => ({ ...w }));
  for (const [name, keys] of Object.entries(conf.sections)) {
    const n = Object.keys(keys).length;
    out.push({
      severity: "info",
      message: `Section [${name}] (${n} key${n === 1 ? "" : "s"}) is ignored by Odoo's own options; only an addon that reads it (e.g. queue_job) uses it.`,
    });
  }
  for (const [key, raw] of Object.entries(conf.raw)) {
    if (raw.includes("%") && key !== "dbfilter")
      out.push({
        severity: "info",
        line: conf.lines[key],
        message: `"${key}" contains "%": Odoo reads it literally (no interpolation).`,
      });
  }
  return out;
}
