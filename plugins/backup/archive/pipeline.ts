/**
 * Runs a producer (pg_dump, tar) on the instance's server, optionally piped through `zstd` there,
 * and hands back its stdout as a stream. The shell script is a constant; every argument travels
 * as a positional parameter, so nothing from input is pasted into shell text. POSIX sh has no
 * pipefail: the producer's exit status is reported on stderr as a marker line.
 */
import { mkdir, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import { spawnWithLifeline } from "./lifeline.ts";

const MARK = "odoodeck-exit:";

/**
 * The exit statuses a script reported as `odoodeck-<stage>:<code>` lines on stderr (POSIX sh has
 * no pipefail), keyed by stage ("exit", "write"), and stderr without those lines.
 */
export function exitMarkers(stderr: string): { codes: Map<string, number>; message: string } {
  const codes = new Map<string, number>();
  const message = stderr
    .replace(/odoodeck-([a-z]+):(\d+)\n?/g, (_, stage: string, code: string) => {
      codes.set(stage, Number(code));
      return "";
    })
    .trim();
  return { codes, message };
}

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
  const proc = spawnWithLifeline(conn, script, ["odoodeck", ...argv], {
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
    const { codes, message } = exitMarkers(errText.status === "fulfilled" ? errText.value : "");
    const producerCode = codes.get("exit") ?? null;
    if (opts.signal?.aborted) throw new AppError("E_CANCELLED", `${opts.what} was cancelled`);
    if (producerCode === 0 && code === 0) return;
    throw mapFailure(opts.what, message, producerCode ?? code);
  })();
  finished.catch(() => {}); // awaited later by the caller; may settle before it gets there
  return { stdout: proc.stdout, finished, kill: () => proc.kill("SIGKILL") };
}

/**
 * The producer, compressed, written by the tools themselves into "$1" (umask 077: backups hold the
 * whole database), then the SHA-256 of the file on stdout, read back once it is written (from the
 * page cache). Hashing on the way (zstd | tee | openssl) cost the bench 1.28x the raw pipe on two
 * cores, for the same digest. Each stage reports its exit status as a marker line on stderr
 * (POSIX sh has no pipefail); "write" is the last stage's, the one that wrote the file.
 */
export const toFileScript = (compress: boolean) => `umask 077; out="$1"; shift
{ { "$@"; echo "${MARK}$?" >&2; }${compress ? " | zstd -1 -T2 -q -c" : ""} > "$out"; echo "odoodeck-write:$?" >&2; }
${SHA256} < "$out"`;

/**
 * SHA-256 of stdin, first field of stdout: OpenSSL's where it is installed (it uses the CPU's SHA
 * instructions: 0.2 s of CPU per 300 MB here where coreutils' sha256sum took 0.7 s — CPU the
 * dump and zstd need on a small server), else sha256sum.
 */
const SHA256 = "{ if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r; else sha256sum; fi; }";

/**
 * `produce` for a connection on the odoodeck machine and a destination folder there: the bytes
 * go from the tools straight into `out` and never through odoodeck's memory (a stream through
 * JS costs ~40 MB of RSS, whatever its size). The SHA-256 is the written file's, read back by the
 * same script. Progress is the file's size.
 */
export async function produceToFile(
  conn: Connection,
  argv: string[],
  out: string,
  opts: {
    env?: Record<string, string>;
    signal?: AbortSignal;
    what: string;
    compress: boolean;
    onBytes?: (n: number) => void;
  },
): Promise<{ bytes: number; sha256: string }> {
  if (conn.kind !== "local") throw new AppError("E_VALIDATION", "produceToFile needs a local connection");
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  // Every half second: progress, and what was written so far handed to the disk (fdatasync) while
  // the tools go on. Dirty pages otherwise wait for the final sync below, since Linux starts
  // writing back only past 10% of memory: the disk then works after the dump, not beside it.
  let flushing: Promise<unknown> | null = null;
  const poll = setInterval(() => {
    stat(out).then(
      (st) => opts.onBytes?.(st.size),
      () => {},
    );
    if (!flushing)
      flushing = open(out, "r")
        .then((fh) => fh.datasync().finally(() => fh.close()))
        .catch(() => {})
        .finally(() => {
          flushing = null;
        });
  }, 500);
  let res: { code: number; stdout: string; stderr: string };
  try {
    // Under the lifeline: were odoodeck killed, the tools would otherwise write the whole dump.
    const proc = spawnWithLifeline(conn, toFileScript(opts.compress), ["odoodeck", out, ...argv], {
      env: { LC_ALL: "C", ...opts.env },
      signal: opts.signal,
    });
    // All three settle even when the process is killed, so no rejection goes unhandled.
    const [stdout, stderr, code] = await Promise.allSettled([
      tail(proc.stdout),
      tail(proc.stderr),
      proc.exited,
    ]);
    if (code.status === "rejected") throw code.reason;
    const text = (r: PromiseSettledResult<string>) => (r.status === "fulfilled" ? r.value : "");
    res = { code: code.value, stdout: text(stdout), stderr: text(stderr) };
  } catch (e) {
    if (opts.signal?.aborted) throw new AppError("E_CANCELLED", `${opts.what} was cancelled`);
    throw e;
  } finally {
    clearInterval(poll);
    await flushing;
  }
  const { codes, message } = exitMarkers(res.stderr);
  const failed = [codes.get("exit") ?? null, codes.get("write") ?? null, res.code].find((c) => c !== 0);
  if (failed !== undefined) throw mapFailure(opts.what, message, failed ?? 1);
  const sha256 = /^[0-9a-f]{64}/.exec(res.stdout)?.[0];
  if (!sha256) throw new AppError("E_COMMAND_FAILED", `${opts.what}: no SHA-256 digest came out`);
  // Durable before it can be published (as LocalDestination.write does).
  const fh = await open(out, "r+");
  try {
    await fh.sync();
    return { bytes: (await fh.stat()).size, sha256 };
  } finally {
    await fh.close();
  }
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
