import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { MAX_RECORD_BYTES, RecordAssembler, readRecords } from "./assembler.ts";
import { countLevels } from "../search/filter.ts";
import { parseHeader } from "./parser.ts";
import { masking } from "../../../server/sdk/index.ts";

const { MASK } = masking;
import type { LogRecord } from "./record.ts";

const FIXTURE = "/work/shared/fixtures/odoo17/odoo.log";

async function fixtureRecords(): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readRecords(Bun.file(FIXTURE).stream())) out.push(r);
  return out;
}

function assemble(...chunks: (string | Uint8Array)[]): LogRecord[] {
  const asm = new RecordAssembler();
  const out: LogRecord[] = [];
  for (const c of chunks) out.push(...asm.push(typeof c === "string" ? new TextEncoder().encode(c) : c));
  return [...out, ...asm.end()];
}

describe("the Odoo 17 fixture log", async () => {
  const records = await fixtureRecords();

  test("every header line is a record and tracebacks stay with their line", () => {
    expect(records.length).toBe(1753 - 28);
    expect(countLevels(records)).toEqual({ DEBUG: 0, INFO: 1722, WARNING: 1, ERROR: 2, CRITICAL: 0, RAW: 0 });
    const errors = records.filter((r) => r.level === "ERROR");
    expect(errors.map((r) => r.line)).toEqual([1679, 1695]);
    expect(errors[0].message).toStartWith("Call from cron Sync partners to CRM bridge");
    expect(errors[1].continuation.at(-1)).toBe("ZeroDivisionError: division by zero");
    expect(errors[0].continuation.length + errors[1].continuation.length).toBe(28);
    expect(records.find((r) => r.level === "WARNING")?.logger).toBe("odoo.http");
  });

  test("first and last record, fields and byte offsets", () => {
    const first = records[0];
    expect(first).toMatchObject({
      time: "2026-11-22 20:29:41,971",
      pid: 6180,
      level: "INFO",
      db: null,
      logger: "odoo",
    });
    expect(first.message).toBe("Odoo version 17.0-20240709");
    expect(first.offset).toBe(0);
    const last = records.at(-1)!;
    expect(last).toMatchObject({
      pid: 12742,
      logger: "odoo.modules.neutralize",
      message: "Neutralization finished",
    });
    expect(last.end).toBe(Bun.file(FIXTURE).size);
    // Offsets point at the real bytes of the file.
    const bytes = readFileSync(FIXTURE);
    const e = records.find((r) => r.level === "ERROR")!;
    expect(bytes.subarray(e.offset, e.end).toString()).toEndWith("timeout after 30s\n");
  });

  test("werkzeug access lines are parsed", () => {
    const access = records.filter((r) => r.http);
    expect(access.length).toBe(227);
    expect(records.filter((r) => r.logger === "werkzeug").length).toBe(227);
    const health = access[0];
    expect(health.http).toEqual({
      ip: "127.0.0.1",
      method: "GET",
      path: "/web/health",
      status: 200,
      queries: 1,
      sqlMs: 1,
      durationMs: 15,
    });
  });

  test("process ids, databases and failed logins", () => {
    expect([...new Set(records.map((r) => r.pid))].sort()).toEqual([12742, 6180, 7812, 8874]);
    expect(records.filter((r) => r.message.includes("Login failed")).length).toBe(3);
    expect(new Set(records.map((r) => r.db))).toEqual(new Set([null, "acme_prod", "acme_staging", "None"]));
  });
});

describe("bad input", () => {
  test("a line split across chunks, CRLF, and the last line without a line break", () => {
    const rs = assemble(
      "2026-11-22 20:29:41,971 6180 INFO ? od",
      "oo: hello\r\n2026-11-22 20:29:42,000 6180 ERROR db x: boom\r\nTrace",
      "back\r\n  line\r\ntail",
    );
    expect(rs.map((r) => r.message)).toEqual(["hello", "boom"]);
    expect(rs[1].continuation).toEqual(["Traceback", "  line", "tail"]);
  });

  test("a log without timestamps gives raw records, one per line", () => {
    const rs = assemble("plain one\nplain two\n");
    expect(rs.map((r) => [r.raw, r.level, r.message])).toEqual([
      [true, null, "plain one"],
      [true, null, "plain two"],
    ]);
  });

  test("a 5 MB line is capped at 64 KiB and marked truncated; memory stays bounded", () => {
    const big = new Uint8Array(5 * 1024 * 1024).fill(65);
    const asm = new RecordAssembler();
    const rs: LogRecord[] = [];
    for (let i = 0; i < big.length; i += 65536) rs.push(...asm.push(big.subarray(i, i + 65536)));
    rs.push(
      ...asm.push(new TextEncoder().encode("\n2026-11-22 20:29:41,971 6180 INFO ? odoo: after\n")),
      ...asm.end(),
    );
    expect(rs.length).toBe(2);
    expect(rs[0].truncated).toBe(true);
    expect(rs[0].message.length).toBe(MAX_RECORD_BYTES);
    expect(rs[0].end).toBe(5 * 1024 * 1024 + 1);
    expect(rs[1].message).toBe("after");
  });

  test("garbage and non-UTF-8 bytes become replacement characters, not errors", () => {
    const rs = assemble(new Uint8Array([0xff, 0xfe, 0x00, 0x41, 0x1b, 0x0a, 0xc3, 0x28, 0x0a]));
    expect(rs.map((r) => r.message)).toEqual(["\ufffd\ufffd\ufffdA\ufffd", "\ufffd("]);
    expect(rs.every((r) => r.raw)).toBe(true);
  });

  test("a <script> line stays data", () => {
    const rs = assemble('2026-11-22 20:29:41,971 6180 INFO db odoo.http: <script>alert("x")</script>\n');
    expect(rs[0].message).toBe('<script>alert("x")</script>');
  });

  test("a header needs every field", () => {
    expect(parseHeader("2026-11-22 20:29:41,971 6180 INFO")).toBeNull();
    expect(parseHeader("2026-11-22 20:29:41,971 6180 WARN db a.b: x")?.level).toBe("WARNING");
  });
});

test("a record is masked in its traceback when it is parsed", () => {
  const asm = new RecordAssembler();
  const [r] = [
    ...asm.push(
      new TextEncoder().encode("2026-11-22 20:29:41,971 6180 ERROR db x: bad\n  smtp_password=abc\n"),
    ),
    ...asm.end(),
  ];
  expect(r.continuation).toEqual([`  smtp_password=${MASK}`]);
  expect(JSON.stringify(r)).not.toContain('abc"');
});
