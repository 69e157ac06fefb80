/** Maps what a command or the file system reports to catalogue errors, the same for every kind. */
import { AppError, isAppError, toAppError } from "../errors.ts";

const PERM_HINT = "Check the file's owner and mode, or whether the file system is read-only";

/** From an errno-style error (local file system). */
export function fsError(e: unknown, path: string): AppError {
  if (isAppError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
      return new AppError("E_FILE_NOT_FOUND", `No such file or directory: ${path}`, { cause: e });
    case "ENOTDIR":
      return new AppError("E_FILE_NOT_FOUND", `A parent of ${path} is not a directory`, { cause: e });
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new AppError("E_PERMISSION", `Permission denied: ${path}`, { cause: e, hint: PERM_HINT });
    case "ENOSPC":
    case "EDQUOT":
      return new AppError("E_DISK_FULL", `No space left on the device while writing ${path}`, {
        cause: e,
        hint: "Free some space and try again",
      });
    case "EEXIST":
      return new AppError("E_CONFLICT", `Already exists: ${path}`, { cause: e });
    case "ENOTEMPTY":
      return new AppError("E_CONFLICT", `Directory not empty: ${path}`, { cause: e });
    case "EISDIR":
      return new AppError("E_VALIDATION", `${path} is a directory, not a file`, { cause: e });
  }
  return toAppError(e);
}

/** From a remote command's stderr (LC_ALL=C wording of coreutils and the shell). */
export function remoteError(stderr: string, path: string, where: string): AppError {
  const msg = stderr.trim().split("\n").slice(-3).join("; ");
  if (/No space left on device|Disk quota exceeded/i.test(stderr))
    return new AppError("E_DISK_FULL", `No space left on the device while writing ${path} on ${where}`, {
      hint: "Free some space and try again",
    });
  if (/Permission denied|Operation not permitted|Read-only file system|odoodeck:EACCES/.test(stderr))
    return new AppError("E_PERMISSION", `Permission denied: ${path} on ${where}`, { hint: PERM_HINT });
  if (/No such file or directory|Directory nonexistent|odoodeck:ENOENT|Not a directory/.test(stderr))
    return new AppError("E_FILE_NOT_FOUND", `No such file or directory: ${path} on ${where}`);
  if (/File exists|Directory not empty/.test(stderr))
    return new AppError("E_CONFLICT", `${path} on ${where}: ${msg}`);
  if (/Is a directory|odoodeck:EISDIR/.test(stderr))
    return new AppError("E_VALIDATION", `${path} is a directory, not a file`);
  return new AppError("E_COMMAND_FAILED", `${path} on ${where}: ${msg || "command failed"}`);
}

export function commandNotFound(program: string, where: string): AppError {
  return new AppError("E_COMMAND_FAILED", `${program} not found on ${where}`, {
    hint: `Install ${program} on that server, or check the PATH of the user odoodeck runs as`,
  });
}

export function timedOut(argv: string[], ms: number): AppError {
  return new AppError("E_TIMEOUT", `${argv[0]} did not finish within ${Math.round(ms / 100) / 10} s`, {
    hint: "The command was stopped; retry, or raise the timeout if it is expected to take longer",
  });
}

export function cancelled(argv: string[]): AppError {
  return new AppError("E_CANCELLED", `${argv[0]} was cancelled`);
}
