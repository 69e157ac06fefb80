/**
 * Runs a producer (pg_dump, tar) on the instance's server, optionally piped through `zstd` there,
 * and hands back its stdout as a stream. The shell script is a constant; every argument travels
 * as a positional parameter, so nothing from input is pasted into shell text. POSIX sh has no
 * pipefail: the producer's exit status is reported on stderr as a marker line.
 */
import type { Connection } from "../../server/sdk/index.ts";
import { AppError } from "../../server/sdk/index.ts";

const MARK = "odoodeck-exit:";
const ZSTD_SCRIPT = `{ "$@"; echo "${MARK}$?" >&2; } | zstd -1 -T2 -q -c`;
const PLAIN_SCRIPT = `"$@"; echo "${MARK}$?" >&2`;

export interface Produced {
  stdout: ReadableStream<Uint8Array>;
  /** Resolves when the producer and the compressor both succeeded; rejects with a mapped AppError. */
  finished: Promise<void>;
  kill(): void;
}

export function produce(
  conn: Connection,
  argv: string[],
  opts: { env?: Record<string, string>; signal?: AbortSignal; compress: boolean; what: string },
): Produced {
  const script = opts.compress ? ZSTD_SCRIPT : PLAIN_SCRIPT;
  const proc = conn.spawn(["sh", "-c", script, "odoodeck", ...argv], {
    env: { LC_ALL: "C", ...opts.env },
    signal: opts.signal,
  });
  const stderr = tail(proc.stderr);
  const finished = (async () => {
    // Both settle even when the process is killed, so neither rejection goes unhandled.
    const [exited, errText] = await Promise.allSettled([proc.exited, stderr]);
    if (opts.signal?.aborted) throw new AppError("E_CANCELLED", `${opts.what} was cancelled`);
    if (exited.status === "rejected") throw exited.reason;
    const code = exited.value;
    const err = errText.status === "fulfilled" ? errText.value : "";
    const m = new RegExp(`${MARK}(\\d+)`).exec(err);
    const producerCode = m ? Number(m[1]) : null;
    const message = err.replace(new RegExp(`${MARK}\\d+\\n?`), "").trim();
    if (opts.signal?.aborted) throw new AppError("E_CANCELLED", `${opts.what} was cancelled`);
    if (producerCode === 0 && code === 0) return;
    throw mapFailure(opts.what, message, producerCode ?? code);
  })();
  finished.catch(() => {}); // awaited later by the caller; may settle before it gets there
  return { stdout: proc.stdout, finished, kill: () => proc.kill("SIGKILL") };
}

/** Keeps the last 8 KiB of stderr: enough for the error, bounded whatever the tool prints. */
async function tail(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    text += dec.decode(chunk, { stream: true });
    if (text.length > 16384) text = text.slice(-8192);
  }
  return text;
}

export function mapFailure(what: string, stderr: string, code: number): AppError {
  const last = stderr.split("\n").filter(Boolean).slice(-3).join("; ").slice(0, 500);
  if (/password authentication failed|no password supplied|authentication failed/i.test(stderr))
    return new AppError("E_DB_AUTH", `${what}: PostgreSQL refused the credentials`, {
      hint: "Check db_user/db_password in the instance's odoo.conf",
    });
  if (/server version mismatch|aborting because of server version mismatch/i.test(stderr))
    return new AppError("E_PG_VERSION", `${what}: pg_dump is older than the PostgreSQL server`, {
      hint: "Install the PostgreSQL client tools of the server's major version (or newer) on the instance's server",
    });
  if (/could not connect|Connection refused|could not translate host name/i.test(stderr))
    return new AppError("E_DB_UNREACHABLE", `${what}: PostgreSQL cannot be reached`, { hint: last });
  if (/No space left on device|Disk quota exceeded/i.test(stderr))
    return new AppError("E_DISK_FULL", `${what}: no space left on the device`, {
      hint: "Free some space and try again",
    });
  if (code === 127 || /not found/i.test(last))
    return new AppError("E_COMMAND_FAILED", `${what}: a tool is missing on the server`, {
      hint: `${last} — install it (pg_dump, tar, zstd)`,
    });
  return new AppError("E_COMMAND_FAILED", `${what} failed (exit ${code})`, { hint: last || undefined });
}
