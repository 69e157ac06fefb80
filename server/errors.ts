/**
 * The stable error catalogue. Codes never change meaning once shipped: API clients, the CLI and
 * tests match on them. Every error a user can cause maps to one of these, with a hint that says
 * what to do next.
 */
export const ERROR_CATALOGUE = {
  E_INTERNAL: { status: 500, message: "Something went wrong inside odoodeck" },
  E_NOT_FOUND: { status: 404, message: "Not found" },
  E_VALIDATION: { status: 400, message: "The input is not valid" },
  E_BAD_JSON: { status: 400, message: "The request body is not valid JSON" },
  E_TOO_LARGE: { status: 413, message: "The request body is too large" },
  E_UNAUTHENTICATED: { status: 401, message: "You need to sign in" },
  E_SESSION_EXPIRED: { status: 401, message: "Your session has expired" },
  E_BAD_CREDENTIALS: { status: 401, message: "Wrong username or password" },
  E_RATE_LIMITED: { status: 429, message: "Too many attempts" },
  E_FORBIDDEN: { status: 403, message: "You are not allowed to do this" },
  E_CSRF: { status: 403, message: "The form token is missing or stale" },
  E_CONFLICT: { status: 409, message: "This conflicts with something that already exists" },
  E_BUSY: { status: 409, message: "Another operation holds this instance" },
  E_PROTECTED: { status: 403, message: "This instance is marked production" },
  E_CONFIRMATION: { status: 400, message: "The confirmation text does not match" },
  E_CONFIG: { status: 500, message: "Invalid configuration" },
  E_SETUP_DONE: { status: 410, message: "Setup is already complete" },
  E_PLUGIN: { status: 500, message: "A plugin failed" },
  E_CANCELLED: { status: 409, message: "The operation was cancelled" },
  E_TIMEOUT: { status: 504, message: "The command did not finish in time" },
  // connections
  E_UNREACHABLE: { status: 502, message: "The server cannot be reached" },
  E_AUTH_FAILED: { status: 502, message: "The server refused the credentials" },
  E_HOSTKEY_MISMATCH: { status: 502, message: "The server's host key changed" },
  E_CONNECTION_LOST: { status: 502, message: "The connection dropped" },
  E_COMMAND_FAILED: { status: 502, message: "A command failed on the server" },
  E_FILE_NOT_FOUND: { status: 404, message: "The file does not exist" },
  E_PERMISSION: { status: 403, message: "Permission denied on the server" },
  E_DISK_FULL: { status: 507, message: "The disk is full" },
  // odoo / postgres
  E_CONF_INVALID: { status: 422, message: "The odoo.conf file cannot be used" },
  E_DB_UNREACHABLE: { status: 502, message: "PostgreSQL cannot be reached" },
  E_DB_AUTH: { status: 502, message: "PostgreSQL refused the credentials" },
  E_NOT_ODOO: { status: 422, message: "This database is not an Odoo database" },
  E_PG_VERSION: { status: 422, message: "The PostgreSQL tools are older than the dump or server" },
  // backup
  E_BACKUP_CORRUPT: { status: 422, message: "The backup is corrupt or incomplete" },
  E_BACKUP_KEY: { status: 422, message: "The backup cannot be decrypted with this key" },
  E_NEUTRALIZE_FAILED: { status: 422, message: "Neutralization could not be verified" },
  E_BACKUP_UNAVAILABLE: { status: 422, message: "No backup can be taken or restored here" },
  E_WAL_REPLICATION: { status: 422, message: "The instance's PostgreSQL does not allow WAL streaming" },
  E_PITR_WINDOW: { status: 422, message: "That point in time is outside the recoverable window" },
  E_PITR_CLUSTER: { status: 422, message: "This PostgreSQL cluster cannot be rewound as a whole" },
  E_PITR_SWAP: { status: 502, message: "The recovered cluster could not be put in place" },
  // logs
  E_NOT_A_LOG: { status: 422, message: "This file is not a log odoodeck may show" },
  // runtime
  E_NO_RUNTIME: { status: 422, message: "odoodeck cannot start or stop this instance" },
  E_NOT_READY: { status: 504, message: "Odoo did not become ready in time" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Codes plugins registered (`ctx.errors.define`), each under its plugin's prefix: E_<PLUGIN>_…. */
const pluginCodes = new Map<string, { status: number; message: string; plugin: string }>();

/**
 * Registers a plugin-owned code. Refuses codes outside `E_<PLUGIN ID>_` and core codes, so a
 * plugin can neither redefine nor squat another's; the same definition twice is accepted
 * (several cores in one test process).
 */
export function registerErrorCode(plugin: string, code: string, spec: { status: number; message: string }) {
  const prefix = `E_${plugin.toUpperCase().replace(/-/g, "_")}_`;
  if (!code.startsWith(prefix) || !/^E_[A-Z0-9_]+$/.test(code) || code in ERROR_CATALOGUE)
    throw new AppError("E_PLUGIN", `Error code ${code} is outside the plugin's prefix ${prefix}`, {
      hint: `Name it ${prefix}<WHAT>, in capitals`,
    });
  if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599)
    throw new AppError("E_PLUGIN", `Error code ${code} needs an HTTP status between 400 and 599`);
  const known = pluginCodes.get(code);
  if (known && known.plugin !== plugin)
    throw new AppError("E_PLUGIN", `Error code ${code} belongs to the ${known.plugin} plugin`);
  pluginCodes.set(code, { ...spec, plugin });
}

/** Every code a client may see: the core's and the plugins'. */
export function allErrorCodes(): string[] {
  return [...Object.keys(ERROR_CATALOGUE), ...pluginCodes.keys()];
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(
    code: ErrorCode,
    message?: string,
    opts: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    // A plugin's code (see registerErrorCode) is typed as ErrorCode by its factory.
    const spec = ERROR_CATALOGUE[code] ?? pluginCodes.get(code) ?? ERROR_CATALOGUE.E_INTERNAL;
    super(message ?? spec.message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = spec.status;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  // Typed by name: an inferred type would spell out every code, so the SDK's API report would
  // change with each code added.
  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isAppError(e: unknown): e is AppError {
  return (
    e instanceof AppError ||
    (typeof e === "object" && e !== null && (e as any).name === "AppError" && "code" in e)
  );
}

/** Wraps anything thrown into an AppError without losing an existing code. */
export function toAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  if (e instanceof Error && e.name === "AbortError")
    return new AppError("E_CANCELLED", undefined, { cause: e });
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === "object" && "code" in err) {
    if (err.code === "ENOSPC")
      return new AppError("E_DISK_FULL", "No space left on the device", {
        cause: e,
        hint: "Free some space and try again",
      });
    if (err.code === "EACCES" || err.code === "EPERM")
      return new AppError("E_PERMISSION", `Permission denied${err.path ? `: ${err.path}` : ""}`, {
        cause: e,
      });
    if (err.code === "ENOENT")
      return new AppError("E_FILE_NOT_FOUND", `No such file${err.path ? `: ${err.path}` : ""}`, { cause: e });
  }
  return new AppError("E_INTERNAL", e instanceof Error ? e.message : String(e), { cause: e });
}
