import { AppError, type Connection, type StepApi } from "../../../server/sdk/index.ts";

/** Streams a process's output into the operation log line by line; returns the exit code. */
async function pump(stream: ReadableStream<Uint8Array>, log: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split(/\r?\n/);
    rest = lines.pop() ?? "";
    for (const l of lines) log(l);
  }
  rest += decoder.decode();
  if (rest) log(rest);
}

/**
 * Runs a command through the connection with its output in the step log; a non-zero exit is
 * E_COMMAND_FAILED. Cancelling the operation kills the command.
 */
export async function runLogged(
  conn: Connection,
  argv: string[],
  s: StepApi,
  stdin?: string,
): Promise<{ exitCode: number }> {
  s.log(`$ ${argv.join(" ")}`);
  const proc = conn.spawn(argv, { signal: s.signal, stdin: stdin !== undefined });
  if (stdin !== undefined && proc.stdin) {
    const w = proc.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const onAbort = () => proc.kill("SIGTERM");
  s.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const [code] = await Promise.all([proc.exited, pump(proc.stdout, s.log), pump(proc.stderr, s.log)]);
    if (s.signal.aborted) throw new AppError("E_CANCELLED", "Cancelled by a user");
    if (code !== 0)
      throw new AppError("E_COMMAND_FAILED", `${argv[0]} exited with code ${code}`, {
        hint: "Read the operation log for Odoo's error; the database may need a restore if the upgrade stopped halfway",
      });
    return { exitCode: code };
  } finally {
    s.signal.removeEventListener("abort", onAbort);
  }
}
