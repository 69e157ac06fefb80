/**
 * Tools that die with odoodeck. A backup's `pg_dump | zstd | tee | sha256sum` runs in its own
 * process group (local) or sshd's session (SSH); were odoodeck SIGKILLed, nothing would stop it:
 * sha256sum writes to odoodeck only at the end, so the pipeline would write a whole dump nobody
 * wants. A parent-death signal (`setpriv --pdeathsig`) is no help: it is cleared on fork, so it
 * reaches the shell, not the members of its pipeline. What does reach them: the script's stdin is
 * a pipe whose write end only odoodeck holds (locally), or the SSH channel (remotely). A watchdog
 * in the script reads it; at end of input — odoodeck gone, or the connection dropped — it kills
 * the script's whole process group. The pipeline itself reads /dev/null instead.
 */
import type { Connection, RunningProcess, SpawnOptions } from "../../../server/sdk/index.ts";

/** `script` (POSIX sh) guarded by the watchdog; its exit status is the script's. */
export function withLifeline(script: string): string {
  // The watchdog uses the `read` builtin, so `kill $wd` ends it and nothing lingers after a run.
  return `exec 3<&0 </dev/null
{ while read -r _; do :; done; kill -9 0; } <&3 >/dev/null 2>&1 &
wd=$!; exec 3<&-
${script}
st=$?; kill $wd 2>/dev/null; exit $st`;
}

/**
 * Spawns `sh -c <script wrapped by withLifeline> ...args` holding its stdin open until it exits
 * (then closes it, so the watchdog's input ends only once nothing is left to kill).
 */
export function spawnWithLifeline(
  conn: Connection,
  script: string,
  args: string[],
  opts: Omit<SpawnOptions, "stdin">,
): RunningProcess {
  const proc = conn.spawn(["sh", "-c", withLifeline(script), ...args], { ...opts, stdin: true });
  const release = () => proc.stdin?.close().catch(() => {});
  proc.exited.then(release, release);
  return proc;
}
