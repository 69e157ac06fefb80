import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./config.ts";

const made: string[] = [];
const dir = () => {
  made.push(mkdtempSync(join(tmpdir(), "odoodeck-config-")));
  return made.at(-1)!;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe("configuration precedence and validation", () => {
  test("defaults: 127.0.0.1:7069", () => {
    const c = loadConfig({ data: dir() }, {});
    expect([c.host, c.port, c.sessionTtlHours, c.trustProxy]).toEqual(["127.0.0.1", 7069, 12, false]);
  });

  test("flags beat environment, which beats odoodeck.toml, which beats defaults", () => {
    const d = dir();
    writeFileSync(join(d, "odoodeck.toml"), 'port = 7100\nhost = "0.0.0.0"\nlog_level = "debug"\n');
    expect(loadConfig({ data: d }, {}).port).toBe(7100);
    expect(loadConfig({ data: d }, { ODOODECK_PORT: "7200" }).port).toBe(7200);
    const c = loadConfig({ data: d, port: "7300" }, { ODOODECK_PORT: "7200" });
    expect([c.port, c.host, c.logLevel]).toEqual([7300, "0.0.0.0", "debug"]);
  });

  test("an invalid value names the key and where it came from", () => {
    expect(() => loadConfig({ data: dir(), port: "abc" }, {})).toThrow(
      'Invalid configuration: --port = "abc" must be an integer between 0 and 65535',
    );
    expect(() => loadConfig({ data: dir() }, { ODOODECK_TRUST_PROXY: "maybe" })).toThrow(
      "ODOODECK_TRUST_PROXY",
    );
    const d = dir();
    writeFileSync(join(d, "odoodeck.toml"), "prot = 1\n");
    expect(() => loadConfig({ data: d }, {})).toThrow('unknown key "prot"');
    writeFileSync(join(d, "odoodeck.toml"), "port = [\n");
    expect(() => loadConfig({ data: d }, {})).toThrow("is not valid TOML");
  });

  test("the mail catcher's SMTP address: smtp_host/smtp_port from toml, env and flags; 127.0.0.1:1025 by default", () => {
    const d = dir();
    let c = loadConfig({ data: d }, {});
    expect([c.smtpHost, c.smtpPort]).toEqual(["127.0.0.1", 1025]);
    writeFileSync(join(d, "odoodeck.toml"), 'smtp_port = 2525\nsmtp_host = "::1"\n');
    c = loadConfig({ data: d }, {});
    expect([c.smtpHost, c.smtpPort]).toEqual(["::1", 2525]);
    expect(loadConfig({ data: d }, { ODOODECK_SMTP_PORT: "2526" }).smtpPort).toBe(2526);
    expect(loadConfig({ data: d, "smtp-port": "2527" }, { ODOODECK_SMTP_PORT: "2526" }).smtpPort).toBe(2527);
    expect(() => loadConfig({ data: d, "smtp-port": "70000" }, {})).toThrow(
      'Invalid configuration: --smtp-port = "70000" must be an integer between 0 and 65535',
    );
  });
});
