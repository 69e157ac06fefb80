import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLogsArgs } from "../../plugins/logs/cli.ts";
import logs from "../../plugins/logs/index.ts";
import { MASK } from "../../server/masking.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { fixtureLogInstance, type LogsInstance, odooLine } from "./logs-helpers.ts";

// Each run starts a real odoodeck process (store, plugins) on a 2-CPU box.
setDefaultTimeout(60_000);

const MAIN = join(import.meta.dir, "../../server/main.ts");
const BUN = process.execPath;
let t: TestApp;
let fx: LogsInstance;

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs] });
  fx = await fixtureLogInstance(t, { name: "cli-acme" });
});
afterAll(() => t.stop());

/** `odoodeck logs …` as a user runs it: a separate process on the same data directory. */
function odoodeck(args: string[]) {
  return Bun.spawn([BUN, MAIN, ...args, "--data", t.dataDir], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ODOODECK_LOG_LEVEL: "error" },
  });
}

async function run(args: string[]) {
  const p = odoodeck(args);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { out, err, code };
}

describe("odoodeck logs", () => {
  test("the flags follow the page's grammar", () => {
    const a = parseLogsArgs([
      "acme",
      "-f",
      "--level=warning",
      "--grep",
      "Login failed",
      "--only",
      "-n",
      "5",
      "--no-access",
    ]);
    expect(a).toMatchObject({ instance: "acme", follow: true, lines: 5, json: false });
    expect(a.query.toString()).toBe("level=warning&q=Login+failed&only=1&access=0");
    expect(() => parseLogsArgs(["acme", "--level"])).toThrow("--level needs a value");
  });

  test("--level error prints the two ERROR records with their tracebacks", async () => {
    const r = await run(["logs", "cli-acme", "--level", "error"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines.length).toBe(2 + 28);
    expect(lines[0]).toStartWith(
      "2026-11-22 20:31:52,194 8874 ERROR acme_prod odoo.addons.base.models.ir_cron: Call from cron Sync partners",
    );
    expect(lines.at(-1)).toBe("ZeroDivisionError: division by zero");
  });

  test("--grep and --json; an unknown instance or a bad level is one clear line", async () => {
    const r = await run(["logs", String(fx.id), "--grep", "Login failed", "--json"]);
    expect(r.code).toBe(0);
    const recs = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(recs.length).toBe(3);
    expect(recs.every((x) => x.message.includes("Login failed"))).toBe(true);
    const bad = await run(["logs", "no-such-instance"]);
    expect(bad.code).toBe(1);
    expect(bad.err.trim()).toBe(
      "odoodeck: No instance named no-such-instance [E_NOT_FOUND]\n  hint: odoodeck instance list shows them",
    );
    const level = await run(["logs", "cli-acme", "--level", "loud"]);
    expect(level.err).toContain('Unknown level "LOUD" [E_VALIDATION]');
    const path = await run(["logs", "cli-acme", "--source", "/etc/passwd"]);
    expect(path.err).toContain("/etc/passwd is not a log of this instance [E_FORBIDDEN]");
    expect(path.out).toBe("");
  });

  test("-f prints the last records, then lines as they are appended (masked)", async () => {
    const p = odoodeck(["logs", "cli-acme", "-f", "-n", "2"]);
    const reader = p.stdout.getReader();
    const dec = new TextDecoder();
    let out = "";
    const waitFor = async (text: string) => {
      while (!out.includes(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the command ended before printing ${text}: ${out}`);
        out += dec.decode(value);
      }
    };
    try {
      await waitFor("Neutralization finished\n");
      expect(out.trimEnd().split("\n").length).toBe(2);
      appendFileSync(fx.log, odooLine("followed from the terminal api_key=abc123secret"));
      await waitFor("followed from the terminal");
      await waitFor("\n");
      expect(out).toContain(`api_key=${MASK}`);
      expect(out).not.toContain("abc123secret");
    } finally {
      p.kill("SIGINT");
      await reader.cancel().catch(() => {});
    }
    expect(await p.exited).toBe(0);
  });

  test("-f --json: followed records carry their file line numbers (issue 15.8)", async () => {
    const lines = readFileSync(fx.log, "utf8").split("\n").length - 1;
    const p = odoodeck(["logs", "cli-acme", "-f", "-n", "1", "--json"]);
    const reader = p.stdout.getReader();
    const dec = new TextDecoder();
    let out = "";
    const waitFor = async (text: string) => {
      while (!out.includes(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the command ended before printing ${text}: ${out}`);
        out += dec.decode(value);
      }
    };
    try {
      await waitFor("}\n");
      appendFileSync(fx.log, odooLine("numbered one") + odooLine("numbered two"));
      await waitFor('"numbered two"');
      await waitFor("}\n");
    } finally {
      p.kill("SIGINT");
      await reader.cancel().catch(() => {});
    }
    await p.exited;
    const recs = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(recs.map((r) => r.line)).toEqual([lines, lines + 1, lines + 2]);
    expect(recs.slice(1).map((r) => r.message)).toEqual(["numbered one", "numbered two"]);
  });
});
