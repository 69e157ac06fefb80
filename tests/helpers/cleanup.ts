/**
 * Expensive test components (PostgreSQL cluster, sshd, S3 server) start once per `bun test` run
 * and register here how to stop them; the preload runs these after the last test file.
 */
const cleanups: Array<() => void | Promise<void>> = [];

export function registerCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (e) {
      console.error("cleanup failed:", e);
    }
  }
}
