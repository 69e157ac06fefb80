import { odoo } from "odoodeck/sdk";
import { type ConfNotice, type ConfRow, confNotices, confRows } from "./conf-rows.ts";
import { type AddonsPathEntry, type DiffEntry, diffAddonsPaths, diffMaps } from "./diff.ts";
import { type Finding, findRisks } from "./findings.ts";
import type { InstanceConfig, ReadProblem } from "./read-instance.ts";
import { isSecret, shown } from "./secrets.ts";

/** The Config tab and `GET /i/:id` answer: every secret already masked. */
export interface ConfigView {
  instance: InstanceConfig["instance"];
  confPath: string;
  error: ReadProblem | null;
  rows: ConfRow[];
  notices: ConfNotice[];
  addonsPaths: string[];
  dbName: string | null;
  /** Sections other than [options] ([queue_job]…): Odoo ignores them, addons read them. */
  sections: Array<{ name: string; values: MaskedValue[] }>;
  params: MaskedValue[] | null;
  paramsError: ReadProblem | null;
  findings: Finding[];
}

type MaskedValue = { key: string; value: string | null; secret: boolean };

const masked = (values: Record<string, string | null>): MaskedValue[] =>
  Object.entries(values).map(([key, value]) => ({
    key,
    value: shown(key, value),
    secret: isSecret(key, value),
  }));

/**
 * The conf as compared between instances: [options] keys as they are, other sections' keys
 * prefixed with their section ("[queue_job] channels"), so a difference there shows too.
 */
export function comparableConf(conf: odoo.ParsedConf): Record<string, string | null> {
  const out: Record<string, string | null> = { ...conf.options };
  for (const [name, keys] of Object.entries(conf.sections))
    for (const [k, v] of Object.entries(keys)) out[`[${name}] ${k}`] = v;
  return out;
}

const addonsOf = (conf: odoo.ParsedConf | null) =>
  conf ? odoo.deriveInstanceSettings(conf).addonsPaths : [];

export function presentConfig(cfg: InstanceConfig): ConfigView {
  const conf = cfg.conf;
  const publicUrl = cfg.instance.publicUrl ?? cfg.params?.["web.base.url"] ?? null;
  return {
    instance: cfg.instance,
    confPath: cfg.confPath,
    error: cfg.confError,
    rows: conf ? confRows(conf) : [],
    notices: conf ? confNotices(conf) : cfg.confErrorWarnings.map((w) => ({ ...w })),
    addonsPaths: addonsOf(conf),
    dbName: cfg.dbName,
    sections: conf
      ? Object.entries(conf.sections).map(([name, keys]) => ({ name, values: masked(keys) }))
      : [],
    params: cfg.params ? masked(cfg.params) : null,
    paramsError: cfg.paramsError,
    findings: conf
      ? findRisks({
          conf,
          production: cfg.instance.production,
          publicUrl,
          databaseCount: cfg.databaseCount,
          memoryBytes: cfg.memoryBytes,
          badAddonsPaths: cfg.badAddonsPaths,
        })
      : [],
  };
}

/** Two instances side by side: conf keys, addons paths, system parameters; masked. */
export interface Comparison {
  left: { id: number; name: string; dbName: string | null };
  right: { id: number; name: string; dbName: string | null };
  problems: Array<{ side: "left" | "right"; what: "conf" | "params"; message: string; hint?: string }>;
  conf: DiffEntry[] | null;
  addons: AddonsPathEntry[];
  params: DiffEntry[] | null;
}

export function compareConfigs(a: InstanceConfig, b: InstanceConfig): Comparison {
  const problems: Comparison["problems"] = [];
  const note = (side: "left" | "right", what: "conf" | "params", p: ReadProblem | null) => {
    if (p) problems.push({ side, what, message: p.message, hint: p.hint });
  };
  note("left", "conf", a.confError);
  note("right", "conf", b.confError);
  note("left", "params", a.conf ? a.paramsError : null);
  note("right", "params", b.conf ? b.paramsError : null);
  const side = (c: InstanceConfig) => ({ id: c.instance.id, name: c.instance.name, dbName: c.dbName });
  return {
    left: side(a),
    right: side(b),
    problems,
    conf: a.conf && b.conf ? diffMaps(comparableConf(a.conf), comparableConf(b.conf)) : null,
    addons: diffAddonsPaths(addonsOf(a.conf), addonsOf(b.conf)),
    params: a.params && b.params ? diffMaps(a.params, b.params) : null,
  };
}
