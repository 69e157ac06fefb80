import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import logs from "../../plugins/logs/index.ts";
import { MASK } from "../../server/masking.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { fixtureLogInstance, type LogsInstance, odooLine } from "./logs-helpers.ts";

setDefaultTimeout(30_000);

let t: TestApp;
let fx: LogsInstance;

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs] });
  fx = await fixtureLogInstance(t, { name: "acme-prod" });
});
afterAll(() => t.stop());

const page = (path: string) => t.admin.page(path);
const count = (html: string, level: string) =>
  Number(new RegExp(`data-level="${level}"[^>]*>[^<]*<b data-count="(\\d+)"`).exec(html)?.[1] ?? Number.NaN);
const rows = (html: string) => html.match(/<div class="lr /g)?.length ?? 0;
/** The records part of a page (the log lines), to compare two views. */
const linesOf = (html: string) => html.slice(html.indexOf('id="log-view"'), html.indexOf('id="logs-new"'));

describe("the Odoo 17 fixture log, through the page and the API", () => {
  test("the page counts the whole file (1,753 lines, INFO 1,722 / WARNING 1 / ERROR 2) and sends its last 500 records", async () => {
    const { res, html } = await page(`/p/logs/i/${fx.id}`);
    expect(res.status).toBe(200);
    expect(html).toContain('data-lines="1753"');
    expect(html).toContain('data-records="1725"');
    expect([count(html, "INFO"), count(html, "WARNING"), count(html, "ERROR")]).toEqual([1722, 1, 2]);
    expect(html).toContain('INFO <b data-count="1722">1,722</b>');
    // a window: the last 500 of the 1,725 records, each with its FILE line number
    expect(rows(html)).toBe(500);
    const lines = [...html.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]));
    expect(lines.at(-1)).toBe(1753);
    expect(html).toContain("Neutralization finished");
    expect(html).toContain("1,725 matching of 1,725 records (1,753 lines) in the whole file; showing 500");
    // werkzeug access lines are marked (and can be hidden)
    expect(html.match(/class="lr lv-INFO lr-http"/g)?.length).toBeGreaterThan(0);
    for (const pid of [12742])
      expect(html).toContain(`class="lr-pid" href="/p/logs/i/${fx.id}?pid=${pid}">${pid}</a>`);
    // the instance tab is there and active
    expect(html).toMatch(new RegExp(`<a href="/p/logs/i/${fx.id}" class="active">Logs</a>`));
  });

  test("scrolling up: the sentinel row's URL returns the window above, down to line 1, and nothing twice", async () => {
    const { html } = await page(`/p/logs/i/${fx.id}`);
    const file = readFileSync(FIXTURES.log, "utf8").split("\n");
    const seen: number[] = [...html.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]));
    let sentinel = /<div class="lr-more" id="logs-earlier" data-url="([^"]+)"/.exec(linesOf(html))?.[1];
    expect(sentinel).toBeDefined();
    expect(linesOf(html).indexOf("lr-more")).toBeLessThan(linesOf(html).indexOf('<div class="lr '));
    let windows = 0;
    while (sentinel) {
      const res = await t.admin.get(sentinel.replaceAll("&amp;", "&"));
      expect(res.status).toBe(200);
      const part = await res.text();
      windows++;
      expect(rows(part)).toBeLessThanOrEqual(500);
      const got = [...part.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]));
      expect(got.at(-1)!).toBeLessThan(seen[0]);
      seen.unshift(...got);
      // what a row says is what that line of the file says
      const first =
        /data-line="(\d+)"[^>]*>(?:<a class="lr-n"[^>]*>\d+<\/a> )?<span class="lr-t">([^<]+)<\/span>/.exec(
          part,
        )!;
      expect(file[Number(first[1]) - 1]).toStartWith(first[2]);
      sentinel = /<div class="lr-more" id="logs-earlier" data-url="([^"]+)"/.exec(part)?.[1];
      expect(windows).toBeLessThan(10);
    }
    expect(windows).toBe(3); // 1,725 records: 500 on the page, then 500, 500 and 225
    expect(seen.length).toBe(1725);
    expect(seen[0]).toBe(1);
    expect(new Set(seen).size).toBe(1725);
    // a filtered view pages by the same filter; the counters stay those of the whole file
    const { html: errs } = await page(`/p/logs/i/${fx.id}?level=error`);
    expect(errs).not.toContain("lr-more");
    expect([...errs.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1679, 1695]);
    // a stale or forged sentinel: a clear error
    const bad = await t.admin.getJson(`/p/logs/i/${fx.id}/earlier?before=1:2:x`);
    expect([bad.status, bad.body.error.code]).toEqual([400, "E_VALIDATION"]);
    const rotated = await t.admin.getJson(`/p/logs/i/${fx.id}/earlier?before=1:1:1000`);
    expect([rotated.status, rotated.body.error.code]).toEqual([409, "E_CONFLICT"]);
  });

  test("a line number links to the view at that record, with earlier records above it", async () => {
    const { html } = await page(`/p/logs/i/${fx.id}?level=error`);
    const href = /<a class="lr-n" href="([^"]+)">1695<\/a>/.exec(html)![1].replaceAll("&amp;", "&");
    expect(href).toBe(
      `/p/logs/i/${fx.id}?at=${readFileSync(FIXTURES.log, "utf8").split("\n").slice(0, 1694).join("\n").length + 1}`,
    );
    const at = await page(href);
    const lines = [...at.html.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]));
    expect(lines[0]).toBe(1695);
    expect(lines.at(-1)).toBe(1753);
    expect(at.html).toMatch(/<div class="lr lv-ERROR lr-at" data-offset="\d+" data-line="1695">/);
    expect(at.html).toContain('id="logs-earlier"');
    expect(at.html).toContain("data-follow-url=");
  });

  test("the two ERROR records keep their tracebacks, folded under their line", async () => {
    const { html } = await page(`/p/logs/i/${fx.id}?level=error`);
    expect(rows(html)).toBe(2);
    const errs = html.split('<div class="lr lv-ERROR"').slice(1);
    expect(errs[0]).toContain(
      "Call from cron Sync partners to CRM bridge for server action #229 failed in Job #19",
    );
    expect(errs[0]).toMatch(
      /<details class="lr-tb"><summary>\d+ more lines · odoo\.exceptions\.UserError: Remote CRM bridge unreachable: timeout after 30s<\/summary><pre>Traceback \(most recent call last\):/,
    );
    expect(errs[1]).toContain("Call from cron Recompute stats");
    expect(errs[1]).toContain("ZeroDivisionError: division by zero</summary>");
    // counts per level stay those of the window, so the other levels can be clicked
    expect([count(html, "INFO"), count(html, "ERROR")]).toEqual([1722, 2]);
  });

  test("the API gives the same facts as JSON records", async () => {
    const all = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records`);
    expect(all.status).toBe(200);
    expect(all.body.data).toMatchObject({
      lines: 1753,
      total: 1725,
      matched: 1725,
      mode: "tail",
      from: 0,
      size: readFileSync(FIXTURES.log).length,
      counts: { DEBUG: 0, INFO: 1722, WARNING: 1, ERROR: 2, CRITICAL: 0, RAW: 0 },
    });
    // the cursor carries the file line number where following resumes (issue 15.8)
    expect(all.body.data.cursor).toMatch(/^\d+:\d+:\d+:1754$/);
    expect(all.body.data.records[0]).toMatchObject({
      line: 1,
      time: "2026-11-22 20:29:41,971",
      pid: 6180,
      level: "INFO",
      db: null,
      logger: "odoo",
      message: "Odoo version 17.0-20240709",
    });
    const errors = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?level=error`);
    const recs = errors.body.data.records;
    expect(recs.map((r: any) => r.line)).toEqual([1679, 1695]);
    expect(recs[0].continuation.length + recs[1].continuation.length).toBe(28);
    expect(recs[1].continuation.at(-1)).toBe("ZeroDivisionError: division by zero");
    const warning = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?level=warning&only=1`);
    expect(warning.body.data.records.map((r: any) => [r.logger, r.message])).toEqual([
      ["odoo.http", "Access Denied"],
    ]);
    const access = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?logger=werkzeug&limit=1`);
    expect(access.body.data.matched).toBe(227);
    expect(access.body.data.records[0].http).toMatchObject({
      method: expect.any(String),
      status: expect.any(Number),
    });
    const sources = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/sources`);
    expect(sources.body.data.logfile).toBe(fx.log);
    expect(sources.body.data.sources.map((s: any) => s.key)).toEqual([fx.log]);
  });

  test("filters combine: level, database, logger prefix, pid, text, regex, time range, access lines", async () => {
    const q = async (query: string) =>
      (await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?${query}`)).body.data;
    expect((await q("access=0")).matched).toBe(1725 - 227);
    expect((await q("q=login%20failed")).matched).toBe(3);
    expect((await q("re=Login%20fail(ed)%3F&pid=7812")).records.every((r: any) => r.pid === 7812)).toBe(true);
    const cron = await q("logger=odoo.addons.base&level=error&db=acme_prod");
    expect(cron.records.map((r: any) => r.logger)).toEqual([
      "odoo.addons.base.models.ir_cron",
      "odoo.addons.base.models.ir_cron",
    ]);
    expect((await q("logger=odoo.addons.base&level=error&db=acme_staging")).matched).toBe(0);
    const range = await q(encodeURI("since=2026-11-22 20:31:52&until=2026-11-22 20:31:53"));
    expect(range.mode).toBe("from-time");
    expect(
      range.records.every((r: any) => r.time >= "2026-11-22 20:31:52" && r.time < "2026-11-22 20:31:53"),
    ).toBe(true);
    expect(range.counts.ERROR).toBe(2);
    const pids = await q("pid=12742");
    expect(pids.matched).toBeGreaterThan(0);
    expect(new Set(pids.records.map((r: any) => r.pid))).toEqual(new Set([12742]));
    // bad input: a clear code, no stack trace
    const bad = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?re=(unclosed`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("E_VALIDATION");
    expect(bad.body.error.message).toContain("regular expression");
    const { html } = await page(`/p/logs/i/${fx.id}?level=loud`);
    expect(html).toContain("Unknown level &quot;LOUD&quot;");
    expect(html).toContain("E_VALIDATION");
  });

  test("clicking a logger or a pid narrows the view to it; the URL reproduces the view (deep link)", async () => {
    const { html } = await page(`/p/logs/i/${fx.id}?level=warning`);
    const href = /<a class="lr-lg" href="([^"]+)">odoo\.http<\/a>/.exec(html)![1].replaceAll("&amp;", "&");
    expect(href).toBe(`/p/logs/i/${fx.id}?level=warning&logger=odoo.http`);
    const narrowed = await page(href);
    expect(rows(narrowed.html)).toBe(1);
    expect(narrowed.html).toContain("Access Denied");
    const pidHref = /<a class="lr-pid" href="([^"]+)">8874<\/a>/.exec(html)![1].replaceAll("&amp;", "&");
    const byPid = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?${pidHref.split("?")[1]}`);
    expect(byPid.body.data.records.every((r: any) => r.pid === 8874 && r.level !== "INFO")).toBe(true);
    expect(byPid.body.data.matched).toBe(3);

    // A view with every kind of filter: its permalink gives the same lines and the same form.
    const view = `/p/logs/i/${fx.id}?${new URLSearchParams({
      source: fx.log,
      level: "info",
      db: "acme_prod",
      logger: "odoo.modules",
      pid: "6180",
      q: "modules",
      re: "load(ed|ing)",
      since: "2026-11-22 20:29:00",
      until: "2026-11-22 20:33:00",
      access: "0",
    })}`;
    const first = await page(view);
    const link = /id="logs-permalink"[^>]*>|href="([^"]+)" id="logs-permalink"/
      .exec(first.html)![1]
      .replaceAll("&amp;", "&");
    const again = await page(link);
    expect(rows(first.html)).toBeGreaterThan(0);
    expect(linesOf(again.html)).toBe(linesOf(first.html));
    expect(again.html).toContain('name="re" value="load(ed|ing)"');
    expect(again.html).toContain('name="since" value="2026-11-22 20:29:00"');
    expect(again.html).toMatch(/name="access" value="0" checked/);
    // coming back from the search tab ("all" files) shows the default source
    const fromSearch = await page(`/p/logs/i/${fx.id}?source=all&level=error`);
    expect(rows(fromSearch.html)).toBe(2);
    // the form submits to the same place: GET with the same names
    const fromForm = await page(`/p/logs/i/${fx.id}?${new URL(link, t.url).searchParams}`);
    expect(linesOf(fromForm.html)).toBe(linesOf(first.html));
  });
});

describe("safety of what is shown", () => {
  let inst: LogsInstance;
  beforeAll(async () => {
    inst = await fixtureLogInstance(t, { name: "hostile" });
    appendFileSync(
      inst.log,
      odooLine('<script>alert("x")</script><img src=x onerror=alert(1)>') +
        odooLine("connecting with db_password=hunter2-secret to 10.0.0.5", { level: "WARNING" }) +
        odooLine("request headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.s3cr3t-token-value") +
        odooLine("calling postgres://odoo:pg-url-secret@db:5432/acme", { level: "ERROR" }),
    );
  });

  test("a <script> line is rendered as text", async () => {
    const { html } = await page(`/p/logs/i/${inst.id}`);
    expect(html).toContain(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
    );
    expect(html).not.toContain('<script>alert("x")');
    expect(html).not.toContain("<img src=x");
  });

  test("secrets in log lines are masked on the page, in the API, the search and the download", async () => {
    const secrets = ["hunter2-secret", "s3cr3t-token-value", "pg-url-secret"];
    const { html } = await page(`/p/logs/i/${inst.id}`);
    const api = await (
      await t.admin.request("GET", `/api/v1/logs/i/${inst.id}/records?level=info`, {
        headers: { Accept: "application/json" },
      })
    ).text();
    const search = await (await t.admin.get(`/api/v1/logs/i/${inst.id}/search?q=10.0.0.5`)).text();
    const download = await (await t.admin.get(`/p/logs/i/${inst.id}/download`)).text();
    for (const text of [html, api, search, download]) {
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).toContain(MASK);
    }
    expect(download).toContain(`db_password=${MASK} to 10.0.0.5`);
    expect(search).toContain(`db_password=${MASK}`);
  });
});

describe("download, search and errors summary", () => {
  test("download of the filtered view: text/plain, whole records, attachment", async () => {
    const res = await t.admin.get(`/p/logs/i/${fx.id}/download?level=error`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(
      'attachment; filename="acme-prod-odoo.log-filtered.log"',
    );
    const text = await res.text();
    const lines = text.trimEnd().split("\n");
    expect(lines.length).toBe(2 + 28);
    expect(lines[0]).toBe(readFileSync(FIXTURES.log, "utf8").split("\n")[1678].trimEnd());
    expect(lines.at(-1)).toBe("ZeroDivisionError: division by zero");
    const whole = await (await t.admin.get(`/api/v1/logs/i/${fx.id}/download`)).text();
    expect(whole.split("\n").length - 1).toBe(1753);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "logs.download")
      .where("instance_id", "=", fx.id)
      .execute();
    expect(audit.length).toBe(2);
  });

  test("search streams whole records across the live file, a rotation and a .gz rotation", async () => {
    const inst = await fixtureLogInstance(t, { name: "rotated" });
    copyFileSync(FIXTURES.log, `${inst.log}.1`);
    writeFileSync(`${inst.log}.2.gz`, gzipSync(readFileSync(FIXTURES.log)));
    writeFileSync(`${inst.log}.bak`, "not a rotation\n");
    const sources = await t.admin.getJson(`/api/v1/logs/i/${inst.id}/sources`);
    expect(sources.body.data.sources.map((s: any) => s.key).sort()).toEqual(
      [inst.log, `${inst.log}.1`, `${inst.log}.2.gz`].sort(),
    );
    const res = await t.admin.get(`/api/v1/logs/i/${inst.id}/search?q=Login%20failed`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const items = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(items[0].type).toBe("start");
    expect(items.at(-1)).toEqual({ type: "done", count: 9, limited: false });
    const recs = items.filter((i) => i.type === "record");
    expect(new Set(recs.map((r) => r.source))).toEqual(
      new Set([inst.log, `${inst.log}.1`, `${inst.log}.2.gz`]),
    );
    expect(recs.every((r) => r.record.message.includes("Login failed"))).toBe(true);
    // errors keep their tracebacks, in the .gz too
    const errs = (await (await t.admin.get(`/api/v1/logs/i/${inst.id}/search?level=error`)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((i) => i.type === "record");
    expect(errs.length).toBe(6);
    for (const e of errs) expect(e.record.continuation.length).toBeGreaterThan(5);
    expect(
      errs.filter((e) => e.record.continuation.at(-1) === "ZeroDivisionError: division by zero").length,
    ).toBe(3);
    // the page streams HTML chunks the script appends as they come
    const { html } = await page(`/p/logs/i/${inst.id}/search?q=Login+failed`);
    expect(html).toContain(
      `data-stream-url="/p/logs/i/${inst.id}/search/results?source=all&amp;q=Login+failed"`,
    );
    const stream = await (
      await t.admin.get(`/p/logs/i/${inst.id}/search/results?source=all&q=Login+failed`)
    ).text();
    expect(stream.match(/<div class="lr /g)?.length).toBe(9);
    expect(stream).toContain('<p class="search-done" data-count="9" data-limited="0">9 results.</p>');
    // a search needs a condition
    const none = await t.admin.getJson(`/api/v1/logs/i/${inst.id}/search`);
    expect(none.body.error.code).toBe("E_VALIDATION");
  });

  test("a client that goes away stops the search on the server (no grep left running)", async () => {
    const inst = await fixtureLogInstance(t, { name: "big" });
    const body = readFileSync(FIXTURES.log);
    writeFileSync(inst.log, Buffer.concat(Array.from({ length: 150 }, () => body)));
    const greps = () =>
      Bun.spawnSync(["pgrep", "-f", `grep.*${inst.log}`])
        .stdout.toString()
        .trim()
        .split("\n")
        .filter(Boolean);
    const ac = new AbortController();
    const res = await fetch(`${t.url}/p/logs/i/${inst.id}/download?q=INFO`, {
      headers: { Cookie: [...t.admin.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain(" INFO ");
    // Not reading further: grep blocks on its full pipe, still running.
    expect(greps().length).toBeGreaterThan(0);
    ac.abort();
    await reader.cancel().catch(() => {});
    for (let i = 0; i < 50 && greps().length; i++) await Bun.sleep(100);
    expect(greps()).toEqual([]);
  });

  test("errors summary: distinct errors grouped by logger and first line, with counts and last seen", async () => {
    const { html } = await page(`/p/logs/i/${fx.id}/errors?since=${encodeURIComponent("2026-11-22 00:00")}`);
    expect(html).toContain('data-total="2" data-kinds="2"');
    expect(html).toContain(
      "Call from cron Sync partners to CRM bridge for server action #229 failed in Job #19",
    );
    expect(html).toContain("odoo.exceptions.UserError: Remote CRM bridge unreachable: timeout after 30s");
    expect(html).toContain("2026-11-22 20:31:52,204");
    const inst = await fixtureLogInstance(t, { name: "recent-errors", logBody: "" });
    appendFileSync(
      inst.log,
      odooLine("Call from cron Mail queue for server action #7 failed in Job #3", {
        level: "ERROR",
        logger: "odoo.addons.base.models.ir_cron",
      }) +
        "Traceback (most recent call last):\n  File x\nConnectionRefusedError: [Errno 111] Connection refused\n" +
        odooLine("Call from cron Mail queue for server action #7 failed in Job #4", {
          level: "ERROR",
          logger: "odoo.addons.base.models.ir_cron",
        }) +
        odooLine("bad query: select 1", { level: "ERROR", logger: "odoo.sql_db" }) +
        odooLine("all fine"),
    );
    const api = await t.admin.getJson(`/api/v1/logs/i/${inst.id}/errors?hours=1`);
    expect(api.status).toBe(200);
    const groups = api.body.data.groups;
    expect(groups.map((g: any) => [g.logger, g.count])).toEqual([
      ["odoo.addons.base.models.ir_cron", 2],
      ["odoo.sql_db", 1],
    ]);
    expect(groups[0].message).toBe("Call from cron Mail queue for server action #7 failed in Job #4");
    expect(groups[0].lastSeen).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/);
    const pageHtml = (await page(`/p/logs/i/${inst.id}/errors?hours=1`)).html;
    expect(pageHtml).toContain('data-total="3" data-kinds="2"');
    expect(pageHtml).toContain('<span data-count="2">2</span>');
  });
});

describe("who may read what", () => {
  test("a user without rights on the instance gets the answer a missing one gets (404) on the page, the SSE stream and the API", async () => {
    const nobody = await t.client("none", "logs-nobody");
    const paths = [
      `/p/logs/i/${fx.id}`,
      `/p/logs/i/${fx.id}/follow`,
      `/p/logs/i/${fx.id}/search?q=x`,
      `/p/logs/i/${fx.id}/search/results?q=x`,
      `/p/logs/i/${fx.id}/download`,
      `/p/logs/i/${fx.id}/errors`,
      `/api/v1/logs/i/${fx.id}/records`,
      `/api/v1/logs/i/${fx.id}/follow`,
      `/api/v1/logs/i/${fx.id}/search?q=x`,
      `/api/v1/logs/i/${fx.id}/errors`,
      `/api/v1/logs/i/${fx.id}/sources`,
    ];
    for (const path of paths) {
      const res = await nobody.request("GET", path, {
        headers: { Accept: path.includes("follow") ? "text/event-stream" : "application/json" },
      });
      // instanceRoute: nobody learns which instances exist by trying ids.
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(((await res.json()) as any).error.code).toBe("E_NOT_FOUND");
    }
    const { res, html } = await nobody.page(`/p/logs/i/${fx.id}`);
    expect(res.status).toBe(404);
    expect(html).toContain("E_NOT_FOUND");
    expect(html).not.toContain("Odoo version");
  });

  test("a viewer grant on the instance is enough to read; adding log paths needs an admin", async () => {
    const viewer = await t.client("none", "logs-granted");
    const user = await t.core.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", "logs-granted")
      .executeTakeFirstOrThrow();
    await t.core.db
      .insertInto("grants")
      .values({ user_id: user.id, instance_id: fx.id, role: "viewer" })
      .execute();
    const other = await fixtureLogInstance(t, { name: "not-granted" });
    expect((await viewer.page(`/p/logs/i/${fx.id}`)).res.status).toBe(200);
    expect(
      (await viewer.getJson(`/api/v1/logs/i/${fx.id}/records?level=error`)).body.data.records.length,
    ).toBe(2);
    expect((await viewer.get(`/p/logs/i/${other.id}`)).status).toBe(404);
    const { html } = await viewer.page(`/p/logs/i/${fx.id}`);
    expect(html).not.toContain("Add log file");
    const add = await viewer.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path: "/etc/passwd" });
    expect(add.status).toBe(403);
    const op = await t.client("operator");
    expect((await op.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path: "/etc/passwd" })).status).toBe(403);
  });

  test("only the instance's log paths can be read: /etc/passwd is refused with E_FORBIDDEN", async () => {
    const evil = [
      "/etc/passwd",
      `${fx.dir}/../../etc/passwd`,
      `${fx.dir}/odoo.conf`,
      `${fx.log}.1/../../../etc/passwd`,
    ];
    for (const source of evil) {
      const q = `source=${encodeURIComponent(source)}`;
      const api = await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?${q}`);
      expect({ source, status: api.status, code: api.body.error?.code }).toEqual({
        source,
        status: 403,
        code: "E_FORBIDDEN",
      });
      expect(api.body.error.message).toContain("is not a log of this instance");
      for (const path of [
        `/p/logs/i/${fx.id}?${q}`,
        `/p/logs/i/${fx.id}/download?${q}`,
        `/p/logs/i/${fx.id}/follow?${q}`,
        `/api/v1/logs/i/${fx.id}/search?q=root&${q}`,
      ]) {
        const res = await t.admin.request("GET", path, { headers: { Accept: "application/json" } });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        const text = await res.text();
        expect(text).toContain("E_FORBIDDEN");
        expect(text).not.toContain("root:x:0:0");
      }
    }
    const { res, html } = await page(`/p/logs/i/${fx.id}?source=/etc/passwd`);
    expect(res.status).toBe(403);
    expect(html).toContain("/etc/passwd is not a log of this instance");
    expect(html).toContain("E_FORBIDDEN");
  });

  test("an admin adds an extra log path (audited); then, and only then, it can be read", async () => {
    const extra = join(fx.dir, "worker.log");
    writeFileSync(extra, odooLine("from the worker log"));
    const before = await t.admin.getJson(
      `/api/v1/logs/i/${fx.id}/records?source=${encodeURIComponent(extra)}`,
    );
    expect(before.body.error.code).toBe("E_FORBIDDEN");
    await t.admin.page(`/p/logs/i/${fx.id}`);
    const res = await t.admin.post(`/p/logs/i/${fx.id}/paths`, { path: extra });
    expect(res.status).toBe(303);
    const after = await t.admin.getJson(
      `/api/v1/logs/i/${fx.id}/records?source=${encodeURIComponent(extra)}`,
    );
    expect(after.body.data.records.map((r: any) => r.message)).toEqual(["from the worker log"]);
    const { html } = await page(`/p/logs/i/${fx.id}`);
    expect(html).toContain(`<option value="${extra}">${extra} (`);
    expect(
      (await t.admin.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path: "relative/x.log" })).body.error.code,
    ).toBe("E_VALIDATION");
    const del = await t.admin.request(
      "DELETE",
      `/api/v1/logs/i/${fx.id}/paths?path=${encodeURIComponent(extra)}`,
    );
    expect(del.status).toBe(200);
    expect(
      (await t.admin.getJson(`/api/v1/logs/i/${fx.id}/records?source=${encodeURIComponent(extra)}`)).status,
    ).toBe(403);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "target", "result"])
      .where("action", "in", ["logs.add-path", "logs.remove-path"])
      .where("actor", "=", "admin") // the refusals of the test above are logged under their users
      .execute();
    // The page and the JSON routes run the declared operations: one action name on every surface,
    // the refused relative path included.
    expect(audit).toEqual([
      { action: "logs.add-path", target: extra, result: "ok" },
      { action: "logs.add-path", target: "instance:acme-prod", result: "error" },
      { action: "logs.remove-path", target: extra, result: "ok" },
    ]);
  });
});

describe("an extra log path is not a file oracle (issue 14.8)", () => {
  test("odoodeck's data directory, system and credential files are refused, even through a symlink", async () => {
    const link = join(fx.dir, "innocent.log");
    symlinkSync(join(t.dataDir, "secret.key"), link);
    mkdirSync(join(fx.dir, ".ssh"), { recursive: true });
    writeFileSync(join(fx.dir, ".ssh", "id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for (const path of [
      join(t.dataDir, "secret.key"),
      join(t.dataDir, "odoodeck.db"),
      "/etc/shadow",
      "/etc/hostname",
      join(fx.dir, ".ssh", "id_ed25519"),
      link,
    ]) {
      const r = await t.admin.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path });
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        status: 422,
        code: "E_NOT_A_LOG",
      });
      expect(r.body.error.hint).toBeTruthy();
      const read = await t.admin.getJson(
        `/api/v1/logs/i/${fx.id}/records?source=${encodeURIComponent(path)}`,
      );
      expect(read.status).toBe(403);
    }
    expect(await t.admin.getJson(`/api/v1/logs/i/${fx.id}/sources`)).toMatchObject({
      body: { data: { extraPaths: [] } },
    });
  });

  test("a file must look like a log: text, and named like one or starting with Odoo records", async () => {
    const notes = join(fx.dir, "notes.txt");
    writeFileSync(notes, "db_host = 10.0.0.12\nnothing here looks like a log\n");
    const binary = join(fx.dir, "dump.log");
    writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 2, 3]));
    for (const path of [notes, binary]) {
      const r = await t.admin.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path });
      expect({ path, code: r.body.error?.code }).toEqual({ path, code: "E_NOT_A_LOG" });
    }
    // Odoo records in a file with another name, and a .log file, are accepted (then removed).
    const worker = join(fx.dir, "worker.out");
    writeFileSync(worker, odooLine("worker started"));
    const plain = join(fx.dir, "cron.log");
    writeFileSync(plain, "plain text\n");
    for (const path of [worker, plain]) {
      const r = await t.admin.postJson(`/api/v1/logs/i/${fx.id}/paths`, { path });
      expect({ path, status: r.status }).toEqual({ path, status: 201 });
      await t.admin.request("DELETE", `/api/v1/logs/i/${fx.id}/paths?path=${encodeURIComponent(path)}`);
    }
  });
});

describe("bad input and faults: a clear message, never a hang", () => {
  test("binary garbage, a 5 MB line, non-UTF-8 bytes and lines without timestamps", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    // Lines before the first Odoo header have no record to belong to: each is a "raw" record.
    // After a header, lines without one are that record's continuation (as a traceback is).
    const body = Buffer.concat([
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe, 0x0a]), // latin-1 "café" and junk
      Buffer.from("plain line without a timestamp\nanother one\n"),
      Buffer.from(odooLine("before")),
      Buffer.from(garbage),
      Buffer.from("\n"),
      Buffer.from(`${odooLine("x".repeat(5 * 1024 * 1024)).trimEnd()}\n`),
      Buffer.from(odooLine("after")),
    ]);
    const inst = await fixtureLogInstance(t, { name: "garbage", logBody: body });
    const res = await t.admin.request("GET", `/p/logs/i/${inst.id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.length).toBeLessThan(1024 * 1024); // the 5 MB line is cut, not shipped
    for (const text of [
      "[cut at 64 KiB]",
      "caf\ufffd \ufffd\ufffd",
      "plain line without a timestamp",
      ">after</span>",
    ])
      expect({ text, found: html.includes(text) }).toEqual({ text, found: true });
    const api = await t.admin.getJson(`/api/v1/logs/i/${inst.id}/records`);
    const recs = api.body.data.records;
    expect(recs.map((r: any) => (r.raw ? r.message : r.message.slice(0, 6)))).toEqual([
      "caf\ufffd \ufffd\ufffd",
      "plain line without a timestamp",
      "another one",
      "before",
      "xxxxxx",
      "after",
    ]);
    expect(recs[4].truncated).toBe(true);
    expect(recs[4].message.length).toBeLessThanOrEqual(64 * 1024);
    expect(recs[3].continuation.join("")).toContain("\ufffd"); // the garbage, shown but harmless
    expect(api.body.data.counts).toMatchObject({ RAW: 3, INFO: 3 });
  });

  test("a log path that is a folder, a missing log, an unreadable odoo.conf, a failing docker", async () => {
    const dirInst = await fixtureLogInstance(t, { name: "folder-log", logBody: "" });
    const folder = join(dirInst.dir, "logs-folder");
    mkdirSync(folder);
    writeFileSync(dirInst.conf, `[options]\nlogfile = ${folder}\n`);
    const a = await t.admin.getJson(`/api/v1/logs/i/${dirInst.id}/records`);
    expect(a.body.error.code).toBe("E_VALIDATION");
    expect(a.body.error.message).toContain("is not a regular file");
    const p = await page(`/p/logs/i/${dirInst.id}`);
    expect(p.res.status).toBe(200);
    expect(p.html).toContain("is not a regular file");

    writeFileSync(dirInst.conf, `[options]\nlogfile = ${join(dirInst.dir, "not-yet.log")}\n`);
    const missing = await page(`/p/logs/i/${dirInst.id}`);
    expect(missing.html).toContain("No log to show");

    writeFileSync(dirInst.conf, "[options]\nlogfile = var/odoo.log\n");
    expect((await page(`/p/logs/i/${dirInst.id}`)).html).toContain(
      "logfile = var/odoo.log is a relative path",
    );

    const noConf = await fixtureLogInstance(t, {
      name: "conf-gone",
      container: "odoodeck-test-no-such-container",
    });
    Bun.spawnSync(["rm", noConf.conf]);
    const nc = await page(`/p/logs/i/${noConf.id}`);
    expect(nc.html).toContain("E_FILE_NOT_FOUND");
    // docker is the only source left: it fails with its own words, quickly
    const docker = await t.admin.getJson(`/api/v1/logs/i/${noConf.id}/records?source=docker`);
    expect(docker.status).toBe(502);
    expect(docker.body.error.code).toBe("E_COMMAND_FAILED");
    expect(docker.body.error.message).toContain("docker logs");
  });
});
