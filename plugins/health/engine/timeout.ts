/** Thrown (internally) when a check did not settle in time. */
export class CheckTimeout extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/**
 * Runs `fn` with a deadline. The race does not wait for `fn`: a check that ignores its signal
 * and hangs forever still yields a timeout result on time, and never blocks the other checks.
 */
export async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort(new CheckTimeout(ms));
      reject(new CheckTimeout(ms));
    }, ms);
  });
  try {
    return await Promise.race([fn(ac.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
