import { odoo } from "odoodeck/sdk";

export interface Finding {
  id: string;
  severity: "high" | "medium" | "low";
  key: string;
  message: string;
  reason: string;
}

export interface FindingInput {
  conf: Pick<odoo.ParsedConf, "options" | "raw">;
  production: boolean;
  /** The instance's public URL (odoodeck's record, else web.base.url); null when unknown. */
  publicUrl: string | null;
  /** Databases Odoo would list on this server; null when unknown. */
  databaseCount: number | null;
  /** MemTotal of the server in bytes; null when unknown. */
  memoryBytes: number | null;
  /** addons_path entries the server lacks (odoo.checkAddonsPaths, as the Modules tab); absent when unknown. */
  badAddonsPaths?: Array<{ path: string; problem: { message: string; hint: string } }> | null;
}

const GiB = 1024 ** 3;
const gib = (n: number) => `${(n / GiB).toFixed(1)} GiB`;

/** Risky settings, each with the reason it matters. Pure: the caller gathers the facts. */
export function findRisks(input: FindingInput): Finding[] {
  const { options: o, raw } = input.conf;
  const settings = odoo.deriveInstanceSettings(input.conf);
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);
  const publicUrl = input.publicUrl && /^https?:\/\//i.test(input.publicUrl) ? input.publicUrl : null;
  const local = /^(127\.|localhost$|::1$)/.test(settings.httpInterface);

  for (const b of input.badAddonsPaths ?? [])
    add({
      id: `addons_path_missing:${b.path}`,
      severity: "high",
      key: "addons_path",
      message: b.problem.message,
      reason: b.problem.hint,
    });

  if (settings.listDb && publicUrl)
    add({
      id: "list_db",
      severity: "high",
      key: "list_db",
      message: `list_db is ${raw.list_db === undefined ? "not set (Odoo's default is True)" : "True"} on an instance reachable at ${publicUrl}`,
      reason:
        "Anyone can open /web/database/manager to list, back up or drop databases with the master password; set list_db = False",
    });

  const admin = raw.admin_passwd;
  if (admin === undefined)
    add({
      id: "admin_passwd_default",
      severity: "high",
      key: "admin_passwd",
      message: "admin_passwd is not set: the master password is Odoo's default, 'admin'",
      reason: "The database manager accepts 'admin' to create, copy, back up and drop databases",
    });
  else if (admin && !admin.startsWith("$pbkdf2"))
    add({
      id: "admin_passwd_plain",
      severity: "high",
      key: "admin_passwd",
      message: "admin_passwd is stored in plain text (not a $pbkdf2 hash)",
      reason:
        "Anyone who can read odoo.conf or its backups learns the master password; set it once from the database manager so Odoo writes the hash",
    });

  if (input.production && settings.workers === 0)
    add({
      id: "workers_zero",
      severity: "medium",
      key: "workers",
      message: "workers = 0 on a production instance (threaded mode)",
      reason:
        "One process serves everything: no memory or time limits are enforced and a slow request blocks others; use workers ≥ 2 with a gevent port",
    });

  if (publicUrl?.toLowerCase().startsWith("https://") && !settings.proxyMode)
    add({
      id: "proxy_mode_off",
      severity: "medium",
      key: "proxy_mode",
      message: `proxy_mode is off while the instance is served at ${publicUrl}${local ? " through a local proxy" : ""}`,
      reason:
        "Behind an HTTPS proxy Odoo then sees http:// and the proxy's IP: wrong redirects, insecure cookies, useless IP logs; set proxy_mode = True",
    });

  for (const k of ["limit_time_cpu", "limit_time_real"])
    if (o[k] == null)
      add({
        id: `${k}_unset`,
        severity: "low",
        key: k,
        message: `${k} is not set (Odoo's default ${odoo.ODOO17_DEFAULTS[k].default} s applies)`,
        reason:
          "Long reports, imports and backups through the web are killed at the default; state the limit you intend",
      });

  if (!o.dbfilter && settings.dbNames.length !== 1 && (input.databaseCount ?? 0) > 1)
    add({
      id: "dbfilter_missing",
      severity: "medium",
      key: "dbfilter",
      message: `dbfilter is not set and ${input.databaseCount} databases are visible to ${settings.dbUser ?? "the Odoo user"}`,
      reason:
        "Every visitor can pick any database (and its login page); set dbfilter (e.g. ^%d$) or a single db_name",
    });

  if (!o.without_demo)
    add({
      id: "without_demo_off",
      severity: input.production ? "medium" : "low",
      key: "without_demo",
      message: "without_demo is not set: new databases and modules get demo data",
      reason: "Demo records (partners, products, users) end up in real data; set without_demo = all",
    });

  const hard = Number(o.limit_memory_hard ?? odoo.ODOO17_DEFAULTS.limit_memory_hard.default);
  if (input.memoryBytes && Number.isFinite(hard) && hard > input.memoryBytes)
    add({
      id: "limit_memory_hard_above_ram",
      severity: "medium",
      key: "limit_memory_hard",
      message: `limit_memory_hard (${gib(hard)}) is above the server's RAM (${gib(input.memoryBytes)})`,
      reason:
        "The limit never triggers: a runaway worker swaps or meets the OOM killer first; keep it well under RAM / workers",
    });
  return out;
}
