/**
 * Odoo 17 option defaults, as declared in odoo/tools/config.py (the `my_default=` of each option
 * and the file-only options). `default: null` means "not set" (Odoo's False/None).
 * Used to explain a conf file and to fill in what it leaves out.
 */
export type OdooOptionType = "string" | "int" | "float" | "bool" | "path" | "comma";

export interface OdooOptionDefault {
  default: string | null;
  type: OdooOptionType;
  help: string;
}

const d = (def: string | null, type: OdooOptionType, help: string): OdooOptionDefault => ({
  default: def,
  type,
  help,
});

export const ODOO17_DEFAULTS: Record<string, OdooOptionDefault> = {
  // file-only options
  admin_passwd: d(
    "admin",
    "string",
    "Master password of the database manager (hashed with pbkdf2 once Odoo rewrites it)",
  ),
  csv_internal_sep: d(",", "string", "Separator Odoo uses inside CSV cells for many2many values"),
  reportgz: d("False", "bool", "Compress generated reports with gzip"),
  websocket_keep_alive_timeout: d("3600", "int", "Seconds an idle websocket is kept open"),
  websocket_rate_limit_burst: d("10", "int", "Websocket messages allowed in a burst"),
  websocket_rate_limit_delay: d("0.2", "float", "Seconds between websocket messages once the burst is used"),
  // common
  addons_path: d(
    null,
    "comma",
    "Comma-separated folders Odoo loads modules from (its own addons are always added)",
  ),
  upgrade_path: d(null, "comma", "Extra folders holding upgrade scripts"),
  server_wide_modules: d("base,web", "comma", "Modules loaded for every database at start (--load)"),
  data_dir: d(
    null,
    "path",
    "Where Odoo keeps the filestore and sessions (default ~/.local/share/Odoo of the service user)",
  ),
  without_demo: d(null, "comma", "Modules (or 'all') installed without demo data"),
  pidfile: d(null, "path", "File where the server writes its process id"),
  import_partial: d("", "path", "State file for resumable big imports"),
  // http
  http_interface: d("", "string", "Address the HTTP server listens on (empty: all interfaces)"),
  http_port: d("8069", "int", "Port of the main HTTP service"),
  gevent_port: d("8072", "int", "Port of the gevent worker (websocket / live chat) in multi-worker mode"),
  longpolling_port: d(null, "int", "Deprecated alias of gevent_port (used when gevent_port is not set)"),
  http_enable: d("True", "bool", "Serve HTTP at all (--no-http turns it off)"),
  proxy_mode: d("False", "bool", "Trust X-Forwarded-* headers: only behind a trusted reverse proxy"),
  x_sendfile: d("False", "bool", "Let nginx/apache deliver files via X-Accel-Redirect / X-Sendfile"),
  dbfilter: d("", "string", "Regular expression of the databases this server shows (%h host, %d domain)"),
  // logging
  logfile: d(null, "path", "Log file (unset: log to stderr, usually the journal)"),
  syslog: d("False", "bool", "Send the log to syslog"),
  log_handler: d(":INFO", "comma", "PREFIX:LEVEL pairs setting log levels per logger"),
  log_db: d(null, "string", "Database that receives log records (ir_logging)"),
  log_db_level: d("warning", "string", "Lowest level written to the logging database"),
  log_level: d("info", "string", "Overall log level preset (info, debug, warn, error, critical…)"),
  // smtp
  email_from: d(null, "string", "Default sender address of outgoing mail"),
  from_filter: d(null, "string", "Addresses or domains the conf-level SMTP server may send for"),
  smtp_server: d("localhost", "string", "SMTP host used when no active mail server is set in the database"),
  smtp_port: d("25", "int", "Port of smtp_server"),
  smtp_ssl: d("False", "bool", "Use STARTTLS with smtp_server"),
  smtp_user: d(null, "string", "Login for smtp_server"),
  smtp_password: d(null, "string", "Password for smtp_server"),
  smtp_ssl_certificate_filename: d(null, "path", "Client certificate for SMTP authentication"),
  smtp_ssl_private_key_filename: d(null, "path", "Private key file for SMTP certificate authentication"),
  // database
  db_name: d(null, "comma", "Database(s) this server uses; a comma list restricts access to those"),
  db_user: d(null, "string", "PostgreSQL role (unset: the OS user running Odoo, over the local socket)"),
  db_password: d(null, "string", "Password of db_user"),
  pg_path: d(null, "path", "Folder of pg_dump/pg_restore used by the database manager"),
  db_host: d(null, "string", "PostgreSQL host (unset: local Unix socket)"),
  db_port: d(null, "int", "PostgreSQL port (unset: 5432)"),
  db_sslmode: d("prefer", "string", "libpq sslmode for the database connection"),
  db_maxconn: d("64", "int", "Maximum PostgreSQL connections per process"),
  db_maxconn_gevent: d(null, "int", "Maximum PostgreSQL connections of the gevent worker"),
  db_template: d("template0", "string", "Template used to create new databases"),
  list_db: d("True", "bool", "Allow listing databases and the database manager"),
  // advanced
  osv_memory_count_limit: d("0", "int", "Maximum records kept per transient model (0: no limit)"),
  transient_age_limit: d("1.0", "float", "Hours transient (wizard) records are kept"),
  max_cron_threads: d("2", "int", "Cron workers (threads, or processes when workers > 0)"),
  unaccent: d("False", "bool", "Use the unaccent extension for searches"),
  geoip_city_db: d("/usr/share/GeoIP/GeoLite2-City.mmdb", "path", "GeoIP city database file"),
  geoip_country_db: d("/usr/share/GeoIP/GeoLite2-Country.mmdb", "path", "GeoIP country database file"),
  // multiprocessing
  workers: d("0", "int", "HTTP worker processes (0: threaded mode, no limits enforced)"),
  limit_memory_soft: d(
    String(2048 * 1024 * 1024),
    "int",
    "Bytes of virtual memory after which a worker is recycled",
  ),
  limit_memory_hard: d(
    String(2560 * 1024 * 1024),
    "int",
    "Bytes of virtual memory at which allocation fails",
  ),
  limit_time_cpu: d("60", "int", "CPU seconds allowed per request"),
  limit_time_real: d("120", "int", "Wall-clock seconds allowed per request"),
  limit_time_real_cron: d(
    "-1",
    "int",
    "Wall-clock seconds per cron job (-1: use limit_time_real, 0: no limit)",
  ),
  limit_request: d("65536", "int", "Requests a worker serves before it is recycled"),
};

/** Options Odoo reads as booleans: for these "False" is a value, not "unset". */
export function isBooleanOption(key: string): boolean {
  return ODOO17_DEFAULTS[key]?.type === "bool";
}
