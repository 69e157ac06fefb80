import { expect, test } from "bun:test";
import type { OperationSnapshot } from "../../sdk/types.ts";
import { OperationView } from "./ops-pages.tsx";

const base: OperationSnapshot = {
  id: "op1",
  plugin: "backup",
  kind: "restore",
  title: "Restore into prod",
  instanceId: 3,
  actor: "admin",
  status: "running",
  steps: [
    { name: "restore into a temporary database", status: "running", percent: 100 },
    { name: "neutralize, verify and publish", status: "pending" },
  ],
  currentStep: "restore into a temporary database",
  startedAt: "2026-12-06T10:00:00.000Z",
  finishedAt: null,
};

const html = (op: OperationSnapshot, extra: Partial<Parameters<typeof OperationView>[0]> = {}) =>
  String(<OperationView op={op} canCancel={false} instanceName="prod" {...extra} />);
const count = (s: string, what: string) => s.split(what).length - 1;

test("every byte read is not 'done': a running step at 100 % says finishing, not 100%", () => {
  const out = html(base);
  expect(out).not.toContain("100%");
  expect(out).toContain("restore into a temporary database · finishing");
  expect(out).toContain('<a href="/instances/3">prod</a>');
});

test("a failed operation shows its error once, how long it ran, and a way to try again", () => {
  const error = {
    code: "E_COMMAND_FAILED",
    message: "pg_restore: could not connect",
    hint: "Is PostgreSQL up?",
  };
  const out = html(
    {
      ...base,
      status: "error",
      error,
      finishedAt: "2026-12-06T10:00:12.500Z",
      steps: [{ ...base.steps[0], status: "error", error }, { ...base.steps[1] }],
    },
    { retryHref: "/p/backup/i/3/restore" },
  );
  expect(count(out, "pg_restore: could not connect")).toBe(1);
  expect(out).toContain("after 12.5 s");
  expect(out).toContain('href="/p/backup/i/3/restore">Try again</a>');
});

test("a finished operation says what it made: name, size, duration and the plugin's links", () => {
  const out = html({
    ...base,
    status: "ok",
    finishedAt: "2026-12-06T10:00:03.000Z",
    result: {
      name: "prod_20261206T100000Z_full.odoodeck",
      bytes: 2_200_000,
      links: [
        { label: "Backups of prod", href: "/p/backup/i/3/backups" },
        { label: "elsewhere", href: "https://evil.example" },
      ],
    },
  });
  expect(out).toContain("<dt>Made</dt><dd><code>prod_20261206T100000Z_full.odoodeck</code></dd>");
  expect(out).toContain("<dt>Size</dt><dd>2.1 MB</dd>");
  expect(out).toContain("<dt>Took</dt><dd>3.0 s</dd>");
  expect(out).toContain('href="/p/backup/i/3/backups">Backups of prod</a>');
  expect(out).not.toContain("evil.example");
});
