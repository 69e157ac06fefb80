import { AppError, type Connection } from "odoodeck/sdk";
import { RecordAssembler } from "../parse/assembler.ts";
import { type FollowEvent, followFile } from "./follow.ts";
import type { FollowHub } from "./follow-hub.ts";
import { type LogSource, sourceCommand } from "../sources/sources.ts";
import { mergeStderr } from "../read/window.ts";

/**
 * Follows any source. Files resume exactly from a cursor (see follow.ts); journald and docker
 * start at "now" (their events carry no cursor, so a reconnect may miss lines written meanwhile).
 */
export async function* followSource(
  conn: Connection,
  src: LogSource,
  opts: { cursor?: string | null; signal?: AbortSignal; intervalMs?: number; hub?: FollowHub },
): AsyncGenerator<FollowEvent> {
  if (src.kind === "file") {
    if (src.compressed)
      throw new AppError("E_VALIDATION", `${src.path} is a compressed rotation: nothing is added to it`, {
        hint: "Follow the live log file instead",
      });
    if (opts.hub) {
      yield* opts.hub.follow(conn, src.path, opts);
      return;
    }
    yield* followFile(conn, src.path, {
      cursor: opts.cursor ?? undefined,
      signal: opts.signal,
      intervalMs: opts.intervalMs,
    });
    return;
  }
  const release = opts.hub?.acquire(conn);
  try {
    yield* followCommand(conn, src, opts.signal);
  } finally {
    release?.();
  }
}

async function* followCommand(
  conn: Connection,
  src: Exclude<LogSource, { kind: "file" }>,
  signal?: AbortSignal,
): AsyncGenerator<FollowEvent> {
  const cmd = sourceCommand(src, { follow: true, lines: 0 });
  const proc = conn.spawn(mergeStderr(cmd), { signal: signal });
  const asm = new RecordAssembler({ line: 0 }); // a command's output has no file line numbers
  const reader = proc.stdout.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  yield { type: "started", cursor: "" };
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      const records = asm.push(value);
      if (!asm.midLine) records.push(...asm.flush());
      if (records.length) yield { type: "records", records, cursor: "" };
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    proc.kill("SIGKILL");
  }
  if (signal?.aborted) return;
  const code = await proc.exited.catch(() => 1);
  throw new AppError("E_CONNECTION_LOST", `\`${cmd.slice(0, 2).join(" ")}\` stopped (exit ${code})`, {
    hint:
      src.kind === "docker"
        ? "The container may have stopped, or docker is not reachable"
        : "Check that the connection's user may read the journal",
  });
}
