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
  E_NEUTRALIZE_FAILED: { status: 422, message: "Neutralization could not be verified" },
  E_BACKUP_UNAVAILABLE: { status: 422, message: "No backup can be taken or restored here" },
  // runtime
  E_NO_RUNTIME: { status: 422, message: "odoodeck cannot start or stop this instance" },
  E_NOT_READY: { status: 504, message: "Odoo did not become ready in time" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
    super(message ?? ERROR_CATALOGUE[code].message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  toJSON() {
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
