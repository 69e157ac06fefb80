/**
 * `conn.run()`: exec that fails on a non-zero exit with one stable error, so callers stop
 * hand-checking exit codes and each writing its own message.
 */
import { AppError } from "../errors.ts";
import { maskText } from "../masking.ts";
import type { Connection, ExecResult, RunOptions } from "./types.ts";

const TAIL_LINES = 5;
const TAIL_CHARS = 600;

/** "systemctl restart", "pg_dump": the program and a subcommand-like word, never a script or a secret. */
export function commandWords(argv: string[]): string {
  const program = (argv[0] ?? "").split("/").pop() ?? "";
  const sub = argv[1];
  return sub && /^[A-Za-z][\w.:-]{0,30}$/.test(sub) ? `${program} ${sub}` : program;
}

/** The last lines of stderr (stdout when stderr is empty), masked: what the user needs to see. */
export function outputTail(res: ExecResult): string {
  const text = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-TAIL_LINES).join("\n");
  return maskText(text.length > TAIL_CHARS ? `…${text.slice(-TAIL_CHARS)}` : text);
}

/** Throws E_COMMAND_FAILED unless `res.code` is one of `okCodes`. */
export function checkExit(
  conn: Connection,
  argv: string[],
  res: ExecResult,
  opts: RunOptions = {},
): ExecResult {
  if ((opts.okCodes ?? [0]).includes(res.code)) return res;
  const words = commandWords(argv);
  const tail = outputTail(res);
  const first = tail.split("\n").at(-1) ?? "";
  throw new AppError(
    "E_COMMAND_FAILED",
    `${opts.what ?? words} failed on ${conn.label} (exit ${res.code})${first ? `: ${first}` : ""}`,
    {
      hint: tail
        ? `${words} said:\n${tail}`
        : `${words} exited with ${res.code} and printed nothing; run it by hand on ${conn.label} to see why`,
      details: { command: words, exitCode: res.code, stderrTail: tail },
    },
  );
}

/**
 * Runs `argv` through `conn.exec` and fails with E_COMMAND_FAILED (the command's first words,
 * its exit code and its masked stderr tail) when it exits non-zero.
 */
export async function runChecked(
  conn: Connection,
  argv: string[],
  opts: RunOptions = {},
): Promise<ExecResult> {
  const { okCodes, what, ...exec } = opts;
  return checkExit(conn, argv, await conn.exec(argv, exec), { okCodes, what });
}
