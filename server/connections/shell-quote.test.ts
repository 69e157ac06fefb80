import { describe, expect, test } from "bun:test";
import { buildRemoteCommand, quoteArg } from "./shell-quote.ts";

async function sh(script: string): Promise<string> {
  const p = Bun.spawn(["sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
  return new Response(p.stdout).text();
}

describe("quoteArg", () => {
  const tricky = [
    "a b",
    "it's",
    `"dq"`,
    "$(touch /tmp/pwned)",
    "a;b",
    "`x`",
    "",
    "*",
    "~",
    "\\n",
    "-n",
    "é ü",
    "a\nb",
  ];
  for (const arg of tricky) {
    test(`${JSON.stringify(arg)} reaches the program literally`, async () => {
      expect(await sh(`printf '%s' ${quoteArg(arg)}`)).toBe(arg);
    });
  }
});

describe("buildRemoteCommand", () => {
  test("env and cwd are applied, argv stays literal", async () => {
    const cmd = buildRemoteCommand(["sh", "-c", 'printf "%s|%s" "$FOO" "$(pwd)"'], {
      env: { FOO: "x y'z" },
      cwd: "/tmp",
    });
    expect(await sh(cmd)).toBe("x y'z|/tmp");
  });

  test("rejects env names a shell cannot carry", () => {
    expect(() => buildRemoteCommand(["true"], { env: { "A;B": "1" } })).toThrow(
      /Invalid environment variable name/,
    );
  });

  test("rejects an empty command", () => {
    expect(() => buildRemoteCommand([])).toThrow(/empty command/);
  });
});
