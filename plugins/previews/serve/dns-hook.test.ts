import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AcmeFailure } from "./acme.ts";
import { parseHookCommand, resolverAddress, runDnsHook, waitForTxt } from "./dns-hook.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-dns-hook-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hook script run by bun itself, as an admin would set it: ["<bun>", "<script>"]. */
function hook(name: string, body: string): string[] {
  const path = join(dir, name);
  writeFileSync(path, body);
  return [process.execPath, path];
}

/** A process that still runs (an unreaped zombie does not: it has exited). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function failure(p: Promise<unknown>): Promise<AcmeFailure> {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e).toBeInstanceOf(AcmeFailure);
  return e as AcmeFailure;
}

describe("the DNS hook setting", () => {
  test("a JSON array is the argument array; one path is one argument", () => {
    expect(parseHookCommand(' ["/usr/local/bin/dns hook", "--zone", "example.com"] ')).toEqual([
      "/usr/local/bin/dns hook",
      "--zone",
      "example.com",
    ]);
    expect(parseHookCommand("/usr/local/bin/dns-hook")).toEqual(["/usr/local/bin/dns-hook"]);
  });

  test("empty, a shell string or a bad array is E_PREVIEWS_ACME_DNS_HOOK saying what to write", () => {
    const code = (t: string) => {
      try {
        parseHookCommand(t);
        return null;
      } catch (e) {
        return [(e as AcmeFailure).code, (e as Error).message];
      }
    };
    expect(code("")?.[0]).toBe("E_PREVIEWS_ACME_DNS_HOOK");
    expect(code("/bin/hook --zone example.com")?.[1]).toContain("JSON array");
    expect(code('["/bin/hook", 3]')?.[1]).toContain("JSON array of strings");
    expect(code("[nope")?.[1]).toContain("not a valid JSON array");
  });
});

describe("running the DNS hook", () => {
  test("gets the action, record name and value as arguments and in its environment", async () => {
    const out = join(dir, "seen.json");
    const cmd = hook(
      "record.ts",
      `import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(2), env: {
  action: process.env.ODOODECK_DNS_ACTION, name: process.env.ODOODECK_DNS_NAME, value: process.env.ODOODECK_DNS_VALUE } }));`,
    );
    await runDnsHook(
      { command: [...cmd, "--zone", "preview.test"], timeoutMs: 20_000 },
      "present",
      "_acme-challenge.preview.test",
      "abc-DEF_123",
    );
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual({
      argv: ["--zone", "preview.test", "present", "_acme-challenge.preview.test", "abc-DEF_123"],
      env: { action: "present", name: "_acme-challenge.preview.test", value: "abc-DEF_123" },
    });
  });

  test("a non-zero exit is E_PREVIEWS_ACME_DNS_HOOK with its exit code and stderr, secrets masked", async () => {
    const cmd = hook(
      "fail.ts",
      `console.error("zone preview.test: API refused password=hunter2secret"); process.exit(3);`,
    );
    const e = await failure(
      runDnsHook({ command: cmd, timeoutMs: 20_000 }, "present", "_acme-challenge.x", "v"),
    );
    expect(e.code).toBe("E_PREVIEWS_ACME_DNS_HOOK");
    expect(e.message).toContain("exited with 3");
    expect(e.message).toContain("zone preview.test: API refused");
    expect(e.message).not.toContain("hunter2secret");
  });

  test("a hook that hangs is stopped at the timeout", async () => {
    const cmd = hook("hang.ts", `console.error("waiting for the provider"); await Bun.sleep(60_000);`);
    const e = await failure(
      runDnsHook({ command: cmd, timeoutMs: 1500 }, "present", "_acme-challenge.x", "v"),
    );
    expect(e.code).toBe("E_PREVIEWS_ACME_DNS_HOOK");
    expect(e.message).toContain("did not finish within 2 s");
    expect(e.message).toContain("waiting for the provider");
  });

  /**
   * A hook that starts a child (as `sleep 600 &` in a shell script would), then `rest`; `run`
   * runs it. Afterwards the child must be gone (a SIGKILL lands asynchronously: a moment is given).
   */
  async function childMustBeGone(name: string, rest: string, run: (cmd: string[]) => Promise<void>) {
    const pidFile = join(dir, `${name}.pid`);
    const cmd = hook(
      `${name}.ts`,
      `Bun.spawn(["sh", "-c", ${JSON.stringify(`echo $$ > ${pidFile}; exec sleep 600`)}], { stdout: "ignore", stderr: "ignore" }).unref();
${rest}`,
    );
    let child = 0;
    try {
      await run(cmd);
      child = Number(readFileSync(pidFile, "utf8").trim());
      expect(child).toBeGreaterThan(0);
      for (let i = 0; i < 20 && alive(child); i++) await Bun.sleep(100);
      expect(alive(child)).toBe(false);
    } finally {
      if (child && alive(child)) process.kill(child, "SIGKILL");
    }
  }

  test("at the timeout what the hook started is stopped too, not left running", async () => {
    // the hook hangs itself
    await childMustBeGone("starts-child", "await Bun.sleep(60_000);", async (cmd) => {
      const e = await failure(
        runDnsHook({ command: cmd, timeoutMs: 1500 }, "present", "_acme-challenge.x", "v"),
      );
      expect(e.code).toBe("E_PREVIEWS_ACME_DNS_HOOK");
      expect(e.message).toContain("did not finish within 2 s");
    });
  });

  test("a hook that exits leaves nothing running behind it either", async () => {
    // the hook exits 0 at once
    await childMustBeGone("leaves-child", "await Bun.sleep(300);", async (cmd) => {
      await runDnsHook({ command: cmd, timeoutMs: 10_000 }, "present", "_acme-challenge.x", "v");
    });
  });

  test("a program that does not exist is E_PREVIEWS_ACME_DNS_HOOK naming it", async () => {
    const e = await failure(
      runDnsHook(
        { command: [join(dir, "no-such-hook")], timeoutMs: 5000 },
        "cleanup",
        "_acme-challenge.x",
        "v",
      ),
    );
    expect(e.code).toBe("E_PREVIEWS_ACME_DNS_HOOK");
    expect(e.message).toContain("no-such-hook");
  });
});

describe("waiting for the TXT record", () => {
  test("the resolver must be an IP address with an optional port", () => {
    expect(resolverAddress("192.0.2.53")).toBe("192.0.2.53");
    expect(resolverAddress(" 127.0.0.1:5353 ")).toBe("127.0.0.1:5353");
    expect(resolverAddress("[::1]:5353")).toBe("[::1]:5353");
    expect(() => resolverAddress("ns1.example.com")).toThrow(/not an IP address/);
  });

  test("a resolver that never answers the record is E_PREVIEWS_ACME_DNS_PROPAGATION after the wait", async () => {
    // A UDP port nobody answers on: each query times out.
    const sock = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    try {
      const e = await failure(
        waitForTxt(`127.0.0.1:${sock.port}`, "_acme-challenge.preview.test", "v", 1000),
      );
      expect(e.code).toBe("E_PREVIEWS_ACME_DNS_PROPAGATION");
      expect(e.message).toContain(`127.0.0.1:${sock.port} did not answer _acme-challenge.preview.test TXT`);
    } finally {
      sock.close();
    }
  });
});
