import { readFileSync } from "node:fs";
import { createUser } from "../../server/auth/users.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import { TEST_PASSWORD } from "./app.ts";

export interface ServeProcess {
  url: string;
  pid: number;
  /** Resident memory of the odoodeck process, in MB (from /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * `odoodeck serve` as a user starts it, in its own process (so its memory can be measured apart
 * from the test's), on `dataDir` with an admin "admin" / TEST_PASSWORD already created.
 * @example const s = await startServeProcess(dir); await fetch(`${s.url}/healthz`); await s.stop();
 */
export async function startServeProcess(
  dataDir: string,
  seed?: (core: Core) => Promise<void>,
): Promise<ServeProcess> {
  const core = await Core.open(loadConfig({ data: dataDir, port: "0", plugins: "false" }, {}));
  try {
    await createUser(core.db, { username: "admin", password: TEST_PASSWORD, role: "admin" });
    await seed?.(core);
  } finally {
    await core.shutdown();
  }
  const proc = Bun.spawn(
    [process.execPath, "server/main.ts", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1"],
    { stdout: "pipe", stderr: "inherit", env: { ...process.env, ODOODECK_LOG_LEVEL: "warn" } },
  );
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on (http:\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`odoodeck did not start: ${out}`);
    out += new TextDecoder().decode(value);
  }
  void (async () => {
    while (!(await reader.read()).done) {}
  })();
  return {
    url: /listening on (http:\S+)/.exec(out)![1],
    pid: proc.pid,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1]) / 1024,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
