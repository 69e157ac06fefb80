import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { LocalConnection } from "odoodeck/sdk/testing";
import { readRecords } from "../parse/assembler.ts";
import { countLevels, filterFromQuery, type LogFilter } from "./filter.ts";
import { grepPlan, toEre } from "./grep-plan.ts";
import { findOffsetAtTime } from "../read/jump.ts";
import { parseLogTime } from "../parse/parser.ts";
import type { LogRecord } from "../parse/record.ts";
import { searchFile } from "./search.ts";
import { errorsSummary, newErrors } from "./summary.ts";

const dir = mkdtempSync(join(tmpdir(), "logs-search-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LOG = join(dir, "odoo.log");
copyFileSync("/work/shared/fixtures/odoo17/odoo.log", LOG);
writeFileSync(`${LOG}.1.gz`, gzipSync(readFileSync(LOG)));

const conn = new LocalConnection();
async function search(filter: LogFilter, path = LOG, maxResults?: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of searchFile(conn, path, { filter, maxResults })) out.push(r);
  return out;
}

describe("search over the fixture log", () => {
  test("level >= WARNING goes through grep and keeps the tracebacks", async () => {
    expect(grepPlan({ level: "WARNING" })?.headerOnly).toBe(true);
    const rs = await search({ level: "WARNING" });
    expect(rs.map((r) => r.level)).toEqual(["ERROR", "ERROR", "WARNING"]);
    expect(rs[2].message).toBe("Access Denied");
    expect(rs[0].continuation.length + rs[1].continuation.length).toBe(28);
    expect(rs[1].continuation.at(-1)).toBe("ZeroDivisionError: division by zero");
  });

  test("only ERROR, from URL parameters", async () => {
    const rs = await search(filterFromQuery(new URLSearchParams("level=error&only=1")));
    expect(rs.map((r) => r.line)).toEqual([1679, 1695]);
  });

  test("a text match on a header line brings its whole traceback", async () => {
    const rs = await search({ text: "call from cron" });
    expect(rs.map((r) => r.line)).toEqual([1679, 1695]);
    expect(rs[0].continuation.length + rs[1].continuation.length).toBe(28);
  });

  test("a word inside a traceback finds the record that holds it", async () => {
    const rs = await search({ text: "zerodivisionerror" });
    expect(rs.length).toBe(1);
    expect(rs[0].message).toStartWith("Call from cron Recompute stats");
  });

  test("text, regex, database, pid and logger prefix combine", async () => {
    expect((await search({ text: "Login failed" })).length).toBe(3);
    expect((await search({ text: "Login failed", db: "acme_staging" })).length).toBe(1);
    expect((await search({ regex: "login failed.*from \\d+\\.\\d" })).length).toBe(1);
    expect(toEre("(?<=x)y")).toBeNull(); // lookbehind: JavaScript does it
    expect((await search({ regex: "(?<=Login )failed" })).length).toBe(3);
    const werkzeug = await search({ logger: "werkzeug" }, LOG, 10_000);
    expect(werkzeug.length).toBe(227);
    expect(werkzeug.every((r) => r.http)).toBe(true);
    const pids = await Promise.all(
      [6180, 7812, 8874, 12742].map(async (pid) => (await search({ pid }, LOG, 10_000)).length),
    );
    expect(pids.reduce((a, b) => a + b)).toBe(1753 - 28);
    const cron = await search({ logger: "odoo.addons.base", level: "ERROR" });
    expect(cron.length).toBe(2);
  });

  test("time range and access-line toggle (read here, no grep pattern for them)", async () => {
    const since = parseLogTime("2026-11-22 20:32:00")!;
    const rs = await search({ since, hideAccess: true }, LOG, 10_000);
    expect(rs.every((r) => r.ts! >= since && !r.http)).toBe(true);
    expect(rs.at(-1)?.message).toBe("Neutralization finished");
    const all = await search({}, LOG, 10_000);
    expect(countLevels(all)).toMatchObject({ INFO: 1722, WARNING: 1, ERROR: 2 });
  });

  test("compressed rotation gives the same answers", async () => {
    const rs = await search({ level: "WARNING" }, `${LOG}.1.gz`);
    expect(rs.map((r) => r.level)).toEqual(["ERROR", "ERROR", "WARNING"]);
    expect(rs[1].continuation.at(-1)).toBe("ZeroDivisionError: division by zero");
    expect(
      (await search({ hideAccess: true, level: "INFO", levelOnly: true }, `${LOG}.1.gz`, 10_000)).length,
    ).toBe(1722 - 227);
  });

  test("max results and cancel stop the scan", async () => {
    expect((await search({ text: "werkzeug" }, LOG, 5)).length).toBe(5);
    const ac = new AbortController();
    const seen: LogRecord[] = [];
    for await (const r of searchFile(conn, LOG, {
      filter: { text: "INFO" },
      signal: ac.signal,
      maxResults: 10_000,
    })) {
      seen.push(r);
      if (seen.length === 3) ac.abort();
    }
    expect(seen.length).toBe(3);
  });

  test("errors: missing file, bad regex", async () => {
    await expect(search({}, join(dir, "gone.log"))).rejects.toMatchObject({ code: "E_FILE_NOT_FOUND" });
    expect(() => filterFromQuery(new URLSearchParams("re=(unclosed"))).toThrow(/not valid/);
  });
});

describe("jump to time and errors summary", () => {
  test("the first record at or after a time, by binary search", async () => {
    const bytes = readFileSync(LOG);
    const at = await findOffsetAtTime(conn, LOG, parseLogTime("2026-11-22 20:31:52,204")!);
    expect(bytes.subarray(at, at + 60).toString()).toStartWith("2026-11-22 20:31:52,204 8874 ERROR");
    expect(await findOffsetAtTime(conn, LOG, 0)).toBe(0);
    expect(await findOffsetAtTime(conn, LOG, parseLogTime("2030-01-01 00:00")!)).toBe(bytes.length);
  });

  test("distinct errors with counts, and which ones are new", async () => {
    const now = parseLogTime("2026-11-22 21:00:00")!;
    const groups = await errorsSummary(conn, [`${LOG}.1.gz`, LOG], { hours: 1, now });
    expect(groups.length).toBe(2);
    expect(groups.map((g) => g.count)).toEqual([2, 2]);
    expect(groups.map((g) => g.exception).sort()).toEqual([
      "ZeroDivisionError: division by zero",
      "odoo.exceptions.UserError: Remote CRM bridge unreachable: timeout after 30s",
    ]);
    expect(newErrors(groups, [groups[0].signature])).toEqual([groups[1]]);
    const warnings = await errorsSummary(conn, [LOG], { hours: 1, now, minLevel: "WARNING" });
    expect(warnings.length).toBe(3);
    expect(await errorsSummary(conn, [LOG], { hours: 1, now: parseLogTime("2026-11-23 23:00")! })).toEqual(
      [],
    );
  });
});

/** The fixture as Odoo writes it on a tty (log_color): netsvc.ColoredFormatter's level and perf colours. */
function colouredFixture(): string {
  const colour: Record<string, number> = { DEBUG: 34, INFO: 32, WARNING: 33, ERROR: 31, CRITICAL: 37 };
  return readFileSync("/work/shared/fixtures/odoo17/odoo.log", "utf8").replace(
    /^(\S+ \S+ \d+ )([A-Z]+)( .*)$/gm,
    (_m, head: string, level: string, rest: string) =>
      `${head}\x1b[1;${colour[level]}m\x1b[1;49m${level}\x1b[0m${rest.replace(
        / (\d+) ([\d.]+) ([\d.]+)$/,
        " \x1b[1;32m$1\x1b[0m \x1b[1;32m$2\x1b[0m \x1b[1;32m$3\x1b[0m",
      )}`,
  );
}

describe("a coloured log (Odoo's log_color on a tty)", () => {
  const COLOURED = join(dir, "coloured.log");
  writeFileSync(COLOURED, colouredFixture());

  test("parses into the same records as the plain log, none glued to the one before", async () => {
    const plain: LogRecord[] = [];
    for await (const r of readRecords(Bun.file(LOG).stream())) plain.push(r);
    const coloured: LogRecord[] = [];
    for await (const r of readRecords(Bun.file(COLOURED).stream())) coloured.push(r);
    expect(coloured.length).toBe(1725);
    expect(countLevels(coloured)).toEqual(countLevels(plain));
    const shape = (r: LogRecord) => [r.line, r.level, r.logger, r.message, r.continuation, r.http];
    expect(coloured.map(shape)).toEqual(plain.map(shape));
  });

  test("a level search (grep on the server) finds the coloured ERROR records", async () => {
    const rs = await search({ level: "ERROR" }, COLOURED);
    expect(rs.map((r) => [r.line, r.level])).toEqual([
      [1679, "ERROR"],
      [1695, "ERROR"],
    ]);
    expect(rs[1].continuation.at(-1)).toBe("ZeroDivisionError: division by zero");
  });
});
