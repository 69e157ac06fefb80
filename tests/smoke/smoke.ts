/**
 * Smoke test of the compiled binary, as a user would run it: --version/--help, a bad flag, the
 * CLI, then `serve` on a temp data dir holding the example third-party plugin; /readyz, the login
 * page, sign-in, the plugin's page and JSON route; SIGTERM ends it cleanly.
 * Usage: bun tests/smoke/smoke.ts dist/odoodeck
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TestClient } from "../helpers/app.ts";

const bin = resolve(process.argv[2] ?? "dist/odoodeck");
const data = mkdtempSync(join(tmpdir(), "odoodeck-smoke-"));
const PASSWORD = "smoke test password 1";
let failures = 0;
const check = (what: string, cond: boolean, detail = "") => {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`);
  if (!cond) failures++;
};
const run = (args: string[], stdin?: string) => {
  const p = Bun.spawnSync([bin, ...args], {
    stdin: stdin ? Buffer.from(stdin) : "ignore",
    env: { ...process.env, ODOODECK_DATA: data },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

try {
  const v = run(["--version"]);
  check("--version", v.code === 0 && /^\d+\.\d+\.\d+/.test(v.out), v.out.trim());
  const h = run(["--help"]);
  check("--help", h.code === 0 && h.out.includes("Usage: odoodeck"));
  const bad = run(["serve", "--port", "notaport"]);
  check(
    "invalid config stops with one line naming the key",
    bad.code === 78 && bad.err.includes("--port") && !bad.err.includes("    at "),
    bad.err.trim().split("\n")[0],
  );

  mkdirSync(join(data, "plugins"), { recursive: true });
  cpSync(resolve(import.meta.dir, "../../examples/plugins/hello"), join(data, "plugins", "hello"), {
    recursive: true,
  });
  const add = run(["user", "add", "admin", "--role", "admin", "--password-stdin"], PASSWORD);
  check("user add from the CLI", add.code === 0, (add.out + add.err).trim());
  const list = run(["user", "list"]);
  check("user list shows the admin", list.code === 0 && list.out.includes("admin"));

  const port = await freePort();
  const t0 = performance.now();
  const proc = Bun.spawn([bin, "serve", "--port", String(port)], {
    env: { ...process.env, ODOODECK_DATA: data },
    stdout: "pipe",
    stderr: "pipe",
  });
  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  while (performance.now() - t0 < 20_000) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) {
        ready = true;
        break;
      }
    } catch {}
    await Bun.sleep(20);
  }
  const readyMs = performance.now() - t0;
  check("/readyz answers 200", ready, `${readyMs.toFixed(0)} ms from exec`);
  const login = await fetch(`${base}/login`);
  check("login page", login.status === 200 && (await login.text()).includes("Sign in to odoodeck"));
  const c = new TestClient(base);
  const signed = await c.login("admin", PASSWORD);
  check("sign-in", signed.status === 303);
  const hello = await c.page("/p/hello/");
  check(
    "the example plugin's page (loaded from the data dir by the binary)",
    hello.res.status === 200 && hello.html.includes("Hello from a third-party plugin"),
  );
  const api = await c.getJson("/api/v1/hello/greetings");
  check(
    "the example plugin's JSON route",
    api.status === 200 && api.body.ok === true && api.body.data.plugin === "hello",
  );
  const asset = await fetch(`${base}/assets/htmx.min.js`);
  check("htmx is embedded", asset.status === 200 && (await asset.text()).includes("htmx"));
  await Bun.sleep(300);
  const rss = /VmRSS:\s+(\d+) kB/.exec(await Bun.file(`/proc/${proc.pid}/status`).text())?.[1];
  console.log(`idle RSS: ${(Number(rss) / 1024).toFixed(1)} MiB`);
  proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, Bun.sleep(5000).then(() => -1)]);
  check("SIGTERM stops it cleanly", code === 0, `exit ${code}`);
  if (code === -1) proc.kill("SIGKILL");
  const err = await new Response(proc.stderr).text();
  check("no stack trace in its output", !/\n\s+at /.test(err));
} finally {
  rmSync(data, { recursive: true, force: true });
}
console.log(failures ? `smoke: ${failures} check(s) failed` : "smoke: all checks passed");
process.exit(failures ? 1 : 0);
