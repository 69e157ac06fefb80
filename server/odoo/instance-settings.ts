import { ODOO17_DEFAULTS } from "./conf-defaults.ts";
import { type ParsedConf, parseConfBool } from "./conf.ts";

/** What odoodeck needs to know to reach an instance's database, files and ports. */
export interface InstanceSettings {
  /** null: the local Unix socket (libpq default), as Odoo does when db_host is unset. */
  dbHost: string | null;
  dbPort: number;
  /** null: the OS user running Odoo (peer authentication over the socket). */
  dbUser: string | null;
  dbPassword: string | null;
  dbSslmode: string;
  /** db_name split on commas (Odoo 17 accepts a list); empty when unset. */
  dbNames: string[];
  dbFilter: string;
  dataDir: string;
  filestorePath(db: string): string;
  addonsPaths: string[];
  logfile: string | null;
  httpInterface: string;
  httpPort: number;
  geventPort: number;
  workers: number;
  maxCronThreads: number;
  proxyMode: boolean;
  listDb: boolean;
  smtp: { server: string; port: number; user: string | null; password: string | null; ssl: boolean };
  emailFrom: string | null;
}

export function deriveInstanceSettings(
  conf: Pick<ParsedConf, "options">,
  ctx: { serviceUserHome?: string } = {},
): InstanceSettings {
  const o = conf.options;
  const str = (k: string): string | null => o[k] ?? ODOO17_DEFAULTS[k]?.default ?? null;
  const int = (k: string, fallback: number): number => {
    const n = Number.parseInt(str(k) ?? "", 10);
    return Number.isFinite(n) ? n : fallback;
  };
  const bool = (k: string): boolean =>
    parseConfBool(o[k]) ?? parseConfBool(ODOO17_DEFAULTS[k]?.default) ?? false;
  const list = (k: string): string[] =>
    (str(k) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);

  // Odoo's appdirs default: ~/.local/share/Odoo when the user has a home, else /var/lib/odoo.
  const home = ctx.serviceUserHome?.replace(/\/+$/, "");
  const dataDir =
    (str("data_dir") ?? (home ? `${home}/.local/share/Odoo` : "/var/lib/odoo")).replace(/\/+$/, "") || "/";
  // gevent_port wins; the deprecated longpolling_port is used only when gevent_port is not set.
  const geventPort = o.gevent_port
    ? int("gevent_port", 8072)
    : o.longpolling_port
      ? int("longpolling_port", 8072)
      : 8072;

  return {
    dbHost: o.db_host ?? null,
    dbPort: int("db_port", 5432),
    dbUser: o.db_user ?? null,
    dbPassword: o.db_password ?? null,
    dbSslmode: str("db_sslmode") ?? "prefer",
    dbNames: list("db_name"),
    dbFilter: str("dbfilter") ?? "",
    dataDir,
    filestorePath: (db: string) => `${dataDir}/filestore/${db}`,
    addonsPaths: list("addons_path"),
    logfile: o.logfile ?? null,
    httpInterface: str("http_interface") ?? "",
    httpPort: int("http_port", 8069),
    geventPort,
    workers: int("workers", 0),
    maxCronThreads: int("max_cron_threads", 2),
    proxyMode: bool("proxy_mode"),
    listDb: bool("list_db"),
    smtp: {
      server: str("smtp_server") ?? "localhost",
      port: int("smtp_port", 25),
      user: o.smtp_user ?? null,
      password: o.smtp_password ?? null,
      ssl: bool("smtp_ssl"),
    },
    emailFrom: o.email_from ?? null,
  };
}
