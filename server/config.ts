import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AppError } from "./errors.ts";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** The URL users reach odoodeck at; https here turns on Secure cookies. */
  publicUrl: string | null;
  logLevel: "debug" | "info" | "warn" | "error";
  sessionTtlHours: number;
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front. */
  trustProxy: boolean;
  /** Load third-party plugins from <data>/plugins. */
  loadPlugins: boolean;
  /** Address the mail catcher's SMTP server listens on (loopback: only local Odoos reach it). */
  smtpHost: string;
  /** Port of the mail catcher's SMTP server (0: any free port). */
  smtpPort: number;
}

type Source = "flag" | "env" | "file" | "default";

interface KeySpec {
  flag: string;
  env: string;
  file: string;
  parse(raw: unknown): unknown;
  default: unknown;
}

const int = (min: number, max: number) => (raw: unknown) => {
  const n = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`must be an integer between ${min} and ${max}`);
  return n;
};
const bool = (raw: unknown) => {
  if (typeof raw === "boolean") return raw;
  const s = String(raw).trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new Error("must be true or false");
};
const str = (raw: unknown) => {
  if (typeof raw !== "string" || raw.trim() === "") throw new Error("must be a non-empty string");
  return raw.trim();
};
const oneOf =
  (...values: string[]) =>
  (raw: unknown) => {
    const s = String(raw).trim().toLowerCase();
    if (!values.includes(s)) throw new Error(`must be one of ${values.join(", ")}`);
    return s;
  };
const url = (raw: unknown) => {
  const s = str(raw);
  const u = new URL(s); // throws with a readable message
  if (!/^https?:$/.test(u.protocol)) throw new Error("must be an http(s) URL");
  return s.replace(/\/+$/, "");
};

const KEYS: Record<Exclude<keyof Config, "dataDir">, KeySpec> = {
  host: { flag: "host", env: "ODOODECK_HOST", file: "host", parse: str, default: "127.0.0.1" },
  port: { flag: "port", env: "ODOODECK_PORT", file: "port", parse: int(0, 65535), default: 7069 },
  publicUrl: {
    flag: "public-url",
    env: "ODOODECK_PUBLIC_URL",
    file: "public_url",
    parse: url,
    default: null,
  },
  logLevel: {
    flag: "log-level",
    env: "ODOODECK_LOG_LEVEL",
    file: "log_level",
    parse: oneOf("debug", "info", "warn", "error"),
    default: "info",
  },
  sessionTtlHours: {
    flag: "session-ttl-hours",
    env: "ODOODECK_SESSION_TTL_HOURS",
    file: "session_ttl_hours",
    parse: int(1, 24 * 90),
    default: 12,
  },
  trustProxy: {
    flag: "trust-proxy",
    env: "ODOODECK_TRUST_PROXY",
    file: "trust_proxy",
    parse: bool,
    default: false,
  },
  loadPlugins: { flag: "plugins", env: "ODOODECK_PLUGINS", file: "plugins", parse: bool, default: true },
  smtpHost: {
    flag: "smtp-host",
    env: "ODOODECK_SMTP_HOST",
    file: "smtp_host",
    parse: str,
    default: "127.0.0.1",
  },
  smtpPort: {
    flag: "smtp-port",
    env: "ODOODECK_SMTP_PORT",
    file: "smtp_port",
    parse: int(0, 65535),
    default: 1025,
  },
};

/** Which option names `serve` accepts, for --help and for rejecting typos. */
export const CONFIG_FLAGS = ["data", ...Object.values(KEYS).map((k) => k.flag)];

/**
 * Resolves the configuration: flags > environment (ODOODECK_*) > <data>/odoodeck.toml > defaults.
 * Any invalid value stops with one AppError naming the key and where it came from.
 */
export function loadConfig(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined> = process.env,
): Config {
  const dataDir = resolve(String(flags.data ?? env.ODOODECK_DATA ?? "./data"));
  const file = readConfigFile(join(dataDir, "odoodeck.toml"));
  const out: Record<string, unknown> = { dataDir };
  for (const [name, spec] of Object.entries(KEYS)) {
    let raw: unknown;
    let source: Source = "default";
    if (flags[spec.flag] !== undefined) [raw, source] = [flags[spec.flag], "flag"];
    else if (env[spec.env] !== undefined && env[spec.env] !== "") [raw, source] = [env[spec.env], "env"];
    else if (file[spec.file] !== undefined) [raw, source] = [file[spec.file], "file"];
    if (source === "default") {
      out[name] = spec.default;
      continue;
    }
    try {
      out[name] = spec.parse(raw);
    } catch (e) {
      const where =
        source === "flag"
          ? `--${spec.flag}`
          : source === "env"
            ? spec.env
            : `${spec.file} in ${join(dataDir, "odoodeck.toml")}`;
      throw new AppError(
        "E_CONFIG",
        `Invalid configuration: ${where} = ${JSON.stringify(raw)} ${(e as Error).message}`,
      );
    }
  }
  const known = new Set(Object.values(KEYS).map((k) => k.file));
  for (const key of Object.keys(file)) {
    if (!known.has(key))
      throw new AppError(
        "E_CONFIG",
        `Invalid configuration: unknown key "${key}" in ${join(dataDir, "odoodeck.toml")}`,
        {
          hint: `Known keys: ${[...known].join(", ")}`,
        },
      );
  }
  return out as unknown as Config;
}

function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return Bun.TOML.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new AppError(
      "E_CONFIG",
      `Invalid configuration: ${path} is not valid TOML (${(e as Error).message})`,
    );
  }
}
