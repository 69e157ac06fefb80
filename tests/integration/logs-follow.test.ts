import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import logs from "../../plugins/logs/index.ts";
import { hubOf } from "../../plugins/logs/follow/follow-hub.ts";
import { MASK } from "../../server/masking.ts";
import { type NewErrorEvent, scannerOf } from "../../plugins/logs/search/scanner.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { getSshd } from "../helpers/sshd.ts";
import { fixtureLogInstance, type LogsInstance, odooLine, SseClient, type SseEvent } from "./logs-helpers.ts";

// Following over SSH on a loaded 2-CPU box can take seconds per step.
setDefaultTimeout(60_000);

let t: TestApp;
const newErrors: NewErrorEvent[] = [];

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs] });
  const ctx = t.core.host.records.find((r) => r.id === "logs")!.ctx!;
  await scannerOf(ctx as any).stopLoop(); // the tests scan when they choose
  ctx.events.on("logs.new_error", (e) => {
    newErrors.push(e);
  });
});
afterAll(() => t.stop());

/** Messages of the records that arrived as JSON (API stream). */
const jsonMessages = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === "records")
    .flatMap((e) => JSON.parse(e.data).map((r: any) => r.message as string));
/** The HTML of the records that arrived (page stream). */
const htmlOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === "records")
    .map((e) => e.data)
    .join("");
const has = (msgs: string[]) => (events: SseEvent[]) => msgs.every((m) => jsonMessages(events).includes(m));

/** The follow URL the page hands to the browser (with the cursor at the end of its window). */
async function pageFollowUrl(id: number, query = ""): Promise<string> {
  const { html } = await t.admin.page(`/p/logs/i/${id}${query}`);
  const url = /data-follow-url="([^"]+)"/.exec(html)?.[1];
  expect(url).toBeDefined();
  return url!.replaceAll("&amp;", "&");
}

/**
 * Appends lines while a client listens; reconnects with Last-Event-ID after more lines were
 * written in between; every line arrives exactly once.
 */
async function followRoundTrip(inst: LogsInstance, tag: string) {
  const base = `/api/v1/logs/i/${inst.id}/follow`;
  const a = await SseClient.open(t.admin, base);
  expect(a.status).toBe(200);
  await a.until((ev) => ev.some((e) => e.event === "started"));
  const first = [1, 2, 3].map((i) => `${tag} first ${i}`);
  for (const m of first) appendFileSync(inst.log, odooLine(m));
  await a.until(has(first));
  const resumeFrom = a.lastId;
  expect(resumeFrom).toMatch(/^\d+:\d+:\d+:\d+$/);
  await a.close();
  // Written while nobody listens: the reconnect must bring exactly these.
  const second = [1, 2].map((i) => `${tag} while away ${i}`);
  appendFileSync(inst.log, second.map((m) => odooLine(m)).join(""));
  const b = await SseClient.open(t.admin, base, resumeFrom);
  await b.until(has(second));
  const third = `${tag} after reconnect`;
  appendFileSync(inst.log, odooLine(third));
  await b.until(has([third]));
  await b.close();
  expect(jsonMessages(a.events)).toEqual(first);
  expect(jsonMessages(b.events)).toEqual([...second, third]);
}

describe("follow over SSE, local connection", () => {
  test("lines appended while the page listens arrive as escaped, masked HTML from the window's end", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-page" });
    const url = await pageFollowUrl(inst.id);
    expect(url).toMatch(new RegExp(`^/p/logs/i/${inst.id}/follow\\?cursor=\\d+%3A\\d+%3A\\d+%3A1754$`));
    const es = await SseClient.open(t.admin, url);
    expect(es.status).toBe(200);
    appendFileSync(
      inst.log,
      odooLine("<script>alert(1)</script> appeared") +
        odooLine("login with password=topsecret123", { level: "WARNING" }),
    );
    await es.until(
      (ev) =>
        ev
          .filter((e) => e.event === "records")
          .map((e) => e.data)
          .join("")
          .includes("topsecret") ||
        ev
          .filter((e) => e.event === "records")
          .map((e) => e.data)
          .join("")
          .includes(MASK),
    );
    const html = es
      .of("records")
      .map((e) => e.data)
      .join("");
    await es.close();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; appeared");
    expect(html).not.toContain("<script>");
    expect(html).toContain(`password=${MASK}`);
    expect(html).not.toContain("topsecret123");
    // nothing of the window is sent again: the cursor started at its end
    expect(html).not.toContain("Odoo version");
    expect(html.match(/<div class="lr /g)?.length).toBe(2);
  });

  test("followed records carry FILE line numbers: 1,754… after the fixture's 1,753 lines (issue 15.8)", async () => {
    // The page's stream starts from its window's cursor, which carries the line number.
    const inst = await fixtureLogInstance(t, { name: "follow-lines" });
    const es = await SseClient.open(t.admin, await pageFollowUrl(inst.id));
    await es.until((ev) => ev.some((e) => e.event === "started"));
    appendFileSync(
      inst.log,
      odooLine("line 1754", { level: "WARNING" }) +
        odooLine("line 1755", { level: "ERROR" }) +
        "Traceback (most recent call last):\nValueError: line 1757\n" +
        odooLine("line 1758"),
    );
    await es.until((ev) => htmlOf(ev).includes("line 1758"));
    const html = htmlOf(es.events);
    expect([...html.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1754, 1755, 1758]);
    // the page's counters grow by what was streamed, counted per level
    const added: Record<string, number> = {};
    for (const e of es.of("counts"))
      for (const [level, n] of Object.entries(JSON.parse(e.data).add))
        added[level] = (added[level] ?? 0) + Number(n);
    expect(added).toEqual({ WARNING: 1, ERROR: 1, INFO: 1 });
    // the line number links to the view at that record: it starts there, marked
    const href = /<a class="lr-n" href="([^"]+)">1755<\/a>/.exec(html)![1].replaceAll("&amp;", "&");
    const at = await t.admin.page(href);
    expect([...at.html.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1755, 1758]);
    expect(at.html).toMatch(/<div class="lr lv-ERROR lr-at" data-offset="\d+" data-line="1755">/);
    expect(at.html).toContain("ValueError: line 1757");
    // rotation: the new file starts at line 1
    renameSync(inst.log, `${inst.log}.1`);
    writeFileSync(inst.log, odooLine("new file first") + odooLine("new file second"));
    await es.until((ev) => htmlOf(ev).includes("new file second"));
    await es.close();
    const after = htmlOf(es.events).slice(htmlOf(es.events).indexOf("new file first") - 400);
    expect([...after.matchAll(/data-line="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1, 2]);
  });

  test("without a cursor, or with one from before line numbers, the server counts the lines before", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-count" });
    const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`);
    await es.until((ev) => ev.some((e) => e.event === "started"));
    expect(es.lastId).toMatch(/^\d+:\d+:\d+:1754$/);
    appendFileSync(inst.log, odooLine("counted 1754") + odooLine("counted 1755"));
    await es.until(has(["counted 1755"]));
    const old = es.lastId!.split(":").slice(0, 3).join(":"); // "dev:ino:offset", as before 15.8
    await es.close();
    const recs = es.of("records").flatMap((e) => JSON.parse(e.data));
    expect(recs.map((r: any) => [r.line, r.message])).toEqual([
      [1754, "counted 1754"],
      [1755, "counted 1755"],
    ]);
    await Bun.sleep(3500); // the shared follower lingers 3 s: this one starts its own
    appendFileSync(inst.log, odooLine("counted 1756"));
    const again = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`, old);
    await again.until(has(["counted 1756"]));
    await again.close();
    expect(
      again
        .of("records")
        .flatMap((e) => JSON.parse(e.data))
        .map((r: any) => r.line),
    ).toEqual([1756]);
  });

  test("reconnecting with Last-Event-ID loses and repeats nothing", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-local", logBody: "" });
    await followRoundTrip(inst, "local");
  });

  test("a filtered stream sends only matching records, and its cursor still moves past hidden ones", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-filtered", logBody: "" });
    const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow?level=error`);
    await es.until((ev) => ev.some((e) => e.event === "started"));
    const startId = es.lastId;
    appendFileSync(inst.log, odooLine("just info"));
    await es.until((ev) => ev.some((e) => e.event === "cursor"));
    expect(es.lastId).not.toBe(startId);
    appendFileSync(
      inst.log,
      odooLine("boom", { level: "ERROR" }) + "Traceback (most recent call last):\nValueError: x\n",
    );
    await es.until(has(["boom"]));
    const recs = es.of("records").flatMap((e) => JSON.parse(e.data));
    await es.close();
    expect(recs.map((r: any) => [r.level, r.message, r.continuation])).toEqual([
      ["ERROR", "boom", ["Traceback (most recent call last):", "ValueError: x"]],
    ]);
  });

  test("rotation, deletion and recreation while followed: told, and nothing lost", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-rotate", logBody: "" });
    const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`);
    await es.until((ev) => ev.some((e) => e.event === "started"));
    appendFileSync(inst.log, odooLine("before rotation"));
    await es.until(has(["before rotation"]));
    appendFileSync(inst.log, odooLine("last words of the old file"));
    renameSync(inst.log, `${inst.log}.1`);
    writeFileSync(inst.log, odooLine("first of the new file"));
    await es.until(has(["last words of the old file", "first of the new file"]));
    expect(es.of("status").map((e) => JSON.parse(e.data).type)).toContain("rotated");
    rmSync(inst.log);
    await es.until((ev) => ev.some((e) => e.event === "status" && JSON.parse(e.data).type === "missing"));
    writeFileSync(inst.log, odooLine("back again"));
    await es.until(has(["back again"]));
    await es.close();
    expect(jsonMessages(es.events)).toEqual([
      "before rotation",
      "last words of the old file",
      "first of the new file",
      "back again",
    ]);
    expect(es.of("failed")).toEqual([]);
  });

  test("following what cannot be followed ends with a clear error, not a hang", async () => {
    const inst = await fixtureLogInstance(t, { name: "follow-gone" });
    rmSync(inst.log);
    const gone = await SseClient.open(
      t.admin,
      `/api/v1/logs/i/${inst.id}/follow?source=${encodeURIComponent(inst.log)}`,
    );
    expect(gone.status).toBe(404);
    await gone.close();
    // A log path that is a folder: the stream opens, says why it cannot follow, and ends.
    const folder = `${inst.dir}/folder.log`;
    Bun.spawnSync(["mkdir", folder]);
    writeFileSync(inst.conf, `[options]\nlogfile = ${folder}\n`);
    const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`);
    expect(es.status).toBe(200);
    await es.until((ev) => ev.some((e) => e.event === "failed"));
    const err = JSON.parse(es.of("failed")[0].data);
    await es.close();
    expect(err).toMatchObject({ code: "E_PERMISSION", message: `The log file ${folder} cannot be read` });
    const bad = await t.admin.request("GET", `/api/v1/logs/i/${inst.id}/follow?cursor=not-a-cursor`, {
      headers: { Accept: "text/event-stream" },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe("E_VALIDATION");
  });
});

test("following a docker container that cannot be read says why and ends", async () => {
  const inst = await fixtureLogInstance(t, {
    name: "follow-docker",
    container: "odoodeck-test-no-such-container",
  });
  const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow?source=docker`);
  expect(es.status).toBe(200);
  await es.until((ev) => ev.some((e) => e.event === "failed"));
  await es.close();
  expect(JSON.parse(es.of("failed")[0].data)).toMatchObject({
    code: "E_CONNECTION_LOST",
    message: expect.stringContaining("`docker logs` stopped"),
  });
  // docker's own words came through as a line of the log
  expect(jsonMessages(es.events).join("\n")).toMatch(/docker|container/i);
});

describe("follow over SSH to a real sshd", () => {
  let inst: LogsInstance;
  let serverId: number;
  beforeAll(async () => {
    const sshd = await getSshd();
    await t.admin.page("/servers");
    const res = await t.admin.post("/servers/new", {
      name: "ssh-logs",
      kind: "ssh",
      host: sshd.host,
      port: String(sshd.port),
      username: sshd.username,
      privateKey: sshd.privateKey,
      group: "Remote",
    });
    expect(res.status).toBe(303);
    serverId = Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
    inst = await fixtureLogInstance(t, { name: "over-ssh" });
    await t.core.db.updateTable("instances").set({ server_id: serverId }).where("id", "=", inst.id).execute();
    expect((await t.core.registry.get(inst.id)).serverName).toBe("ssh-logs");
  }, 60_000);

  test("the page and the API read the fixture over SSH", async () => {
    const { html } = await t.admin.page(`/p/logs/i/${inst.id}`);
    expect(html).toContain('data-lines="1753"');
    const api = await t.admin.getJson(`/api/v1/logs/i/${inst.id}/records?level=error`);
    expect(api.body.data.records.map((r: any) => r.line)).toEqual([1679, 1695]);
    const search = await (await t.admin.get(`/api/v1/logs/i/${inst.id}/search?q=Login%20failed`)).text();
    expect(search.trim().split("\n").at(-1)).toBe(JSON.stringify({ type: "done", count: 3, limited: false }));
  });

  test("appended lines arrive, and a reconnect with Last-Event-ID loses and repeats nothing", async () => {
    await followRoundTrip(inst, "ssh");
  });

  test("over SSH too, following with no cursor counts the lines before: records carry file line numbers", async () => {
    const lines = readFileSync(inst.log, "utf8").split("\n").length - 1;
    const es = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`);
    await es.until((ev) => ev.some((e) => e.event === "started"));
    appendFileSync(inst.log, odooLine("ssh numbered"));
    await es.until(has(["ssh numbered"]));
    await es.close();
    expect(
      es
        .of("records")
        .flatMap((e) => JSON.parse(e.data))
        .map((r: any) => r.line),
    ).toEqual([lines + 1]);
  });

  test("clients following the same file share one remote process, each from its own cursor", async () => {
    const conn = await t.core.registry.connection(serverId);
    const hub = hubOf(t.core.host.records.find((r) => r.id === "logs")!.ctx!);
    for (let i = 0; i < 100 && hub.count(conn); i++) await Bun.sleep(100); // earlier followers linger a little
    const remote = () =>
      Bun.spawnSync(["pgrep", "-f", `odoodeck-follow ${inst.log}`])
        .stdout.toString()
        .trim()
        .split("\n")
        .filter(Boolean).length;
    const url = await pageFollowUrl(inst.id); // the cursor at the end of the page's window
    const a = await SseClient.open(t.admin, url);
    await a.until((ev) => ev.some((e) => e.event === "started"));
    const htmlOf = (x: SseClient) =>
      x
        .of("records")
        .map((e) => e.data)
        .join("");
    appendFileSync(inst.log, odooLine("shared one"));
    await a.until(() => htmlOf(a).includes("shared one"));
    const alone = remote();
    expect(alone).toBeGreaterThan(0);
    // b joins live; c joins with the page's (older) cursor and must get "shared one" too, once
    const b = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow`);
    const c = await SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow?${url.split("?")[1]}`);
    await b.until((ev) => ev.some((e) => e.event === "started"));
    await c.until(has(["shared one"]));
    expect(hub.count(conn)).toBe(1);
    expect(remote()).toBe(alone);
    appendFileSync(inst.log, odooLine("shared two"));
    await a.until(() => htmlOf(a).includes("shared two"));
    for (const x of [b, c]) await x.until(has(["shared two"]));
    for (const x of [a, b, c]) await x.close();
    expect(htmlOf(a).match(/shared (one|two)/g)).toEqual(["shared one", "shared two"]);
    expect(jsonMessages(b.events)).toEqual(["shared two"]);
    expect(jsonMessages(c.events)).toEqual(["shared one", "shared two"]);
  });

  test("at most 4 files of one SSH server are followed at once; the server stays usable meanwhile", async () => {
    const conn = await t.core.registry.connection(serverId);
    const hub = hubOf(t.core.host.records.find((r) => r.id === "logs")!.ctx!);
    for (let i = 0; i < 100 && hub.count(conn); i++) await Bun.sleep(100);
    const files = [1, 2, 3, 4, 5].map((i) => `${inst.dir}/worker-${i}.log`);
    for (const f of files) {
      writeFileSync(f, "");
      expect((await t.admin.postJson(`/api/v1/logs/i/${inst.id}/paths`, { path: f })).status).toBe(201);
    }
    const open = (f: string) =>
      SseClient.open(t.admin, `/api/v1/logs/i/${inst.id}/follow?source=${encodeURIComponent(f)}`);
    const held: SseClient[] = [];
    for (const f of files.slice(0, 4)) {
      const s = await open(f);
      await s.until((ev) => ev.some((e) => e.event === "started"));
      held.push(s);
    }
    const fifth = await open(files[4]);
    await fifth.until((ev) => ev.some((e) => e.event === "failed"));
    expect(JSON.parse(fifth.of("failed")[0].data)).toMatchObject({
      code: "E_BUSY",
      message: `Already following 4 logs on ${conn.label}`,
    });
    await fifth.close();
    // the followers hold channels, yet pages of that server still load
    const { res, html } = await t.admin.page(`/p/logs/i/${inst.id}`);
    expect(res.status).toBe(200);
    expect(html).toContain("shared two");
    appendFileSync(files[0], odooLine("still flowing"));
    await held[0].until(has(["still flowing"]));
    for (const s of held) await s.close();
  });
});

describe("new error signatures", () => {
  test("logs.new_error is emitted once per new signature, after a silent first scan", async () => {
    const inst = await fixtureLogInstance(t, {
      name: "scanned",
      logBody: odooLine("old failure", { level: "ERROR" }),
    });
    const mine = () => newErrors.filter((e) => e.instanceId === inst.id);
    const scan = async () => (await t.admin.postJson(`/api/v1/logs/i/${inst.id}/scan`, {})).body.data;
    const first = await scan();
    expect(first).toMatchObject({ errors: 1, kinds: 1, newKinds: 0, error: null });
    expect(mine()).toEqual([]); // what was there before odoodeck looked is learnt, not announced

    appendFileSync(
      inst.log,
      odooLine("Call from cron Sync for server action #229 failed in Job #19 db_password=leaky", {
        level: "ERROR",
        logger: "odoo.addons.base.models.ir_cron",
      }) + "Traceback (most recent call last):\nodoo.exceptions.UserError: bridge down\n",
    );
    const second = await scan();
    expect(second).toMatchObject({ errors: 2, kinds: 2, newKinds: 1 });
    expect(mine().length).toBe(1);
    expect(mine()[0]).toMatchObject({
      instanceId: inst.id,
      instanceName: "scanned",
      level: "ERROR",
      logger: "odoo.addons.base.models.ir_cron",
      message: `Call from cron Sync for server action #229 failed in Job #19 db_password=${MASK}`,
      exception: "odoo.exceptions.UserError: bridge down",
      count: 1,
    });
    expect(mine()[0].signature).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(mine()[0].at)).toBeGreaterThan(0);

    // the same error again (other numbers): same signature, no new event
    appendFileSync(
      inst.log,
      odooLine("Call from cron Sync for server action #230 failed in Job #20 db_password=leaky", {
        level: "ERROR",
        logger: "odoo.addons.base.models.ir_cron",
      }),
    );
    expect(await scan()).toMatchObject({ errors: 3, kinds: 2, newKinds: 0 });
    expect(await scan()).toMatchObject({ newKinds: 0 });
    expect(mine().length).toBe(1);

    // a different error: one more event, through the scheduled job this time
    appendFileSync(
      inst.log,
      odooLine("could not serialize access", { level: "CRITICAL", logger: "odoo.sql_db" }),
    );
    const run = await t.core.scheduler.run(null, "manual", { job: "logs.scan-errors", instanceId: inst.id });
    expect(run.status).toBe("ok");
    expect(run.summary).toBe("4 errors of 3 kinds in 24 h, 1 new");
    expect(mine().map((e) => e.logger)).toEqual(["odoo.addons.base.models.ir_cron", "odoo.sql_db"]);

    // the instance card shows the last scan
    const { html } = await t.admin.page(`/instances/${inst.id}`);
    expect(html).toContain("4 errors in last 24 h");
    expect(html).toContain("3 kinds, 1 new");
  });

  test("a scan of an unreadable log records why, and the card says so", async () => {
    const inst = await fixtureLogInstance(t, { name: "scan-broken" });
    writeFileSync(inst.conf, "[options]\nlogfile = /nonexistent-dir/odoo.log\n");
    const r = (await t.admin.postJson(`/api/v1/logs/i/${inst.id}/scan`, {})).body.data;
    expect(r).toMatchObject({ errors: 0, error: null }); // no file yet: nothing to count
    rmSync(inst.conf);
    const r2 = (await t.admin.postJson(`/api/v1/logs/i/${inst.id}/scan`, {})).body.data;
    expect(r2.error).toContain("[E_FILE_NOT_FOUND]");
    const { html } = await t.admin.page(`/instances/${inst.id}`);
    expect(html).toMatch(/Log errors<\/a>: <span class="badge badge-warn">unreadable<\/span>/);
    const viewer = await t.client("viewer");
    expect((await viewer.postJson(`/api/v1/logs/i/${inst.id}/scan`, {})).status).toBe(403);
  });
});
