import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import configDiff from "../../plugins/config-diff/index.ts";
import logs from "../../plugins/logs/index.ts";
import { MASK } from "../../server/masking.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureLogInstance, type LogsInstance, odooLine, SseClient } from "./logs-helpers.ts";

/**
 * Issue 14.2: records showed `db_password=••••••••` while search matched the raw text, so a
 * viewer could recover a secret one character at a time. Everything a viewer can ask of a log
 * (search, counts, errors summary, download, follow) must answer on the masked text.
 */
setDefaultTimeout(60_000);

const DB_PASSWORD = "pr0d-db-pass";
const PAY_KEY = "pk_live_ABC123";

let t: TestApp;
let viewer: TestClient;
let inst: LogsInstance;

const secretLines = () =>
  odooLine(`connecting with db_password=${DB_PASSWORD} to 10.0.0.12`, { level: "WARNING" }) +
  odooLine(`charging card with ${PAY_KEY} failed`, { level: "ERROR", logger: "odoo.addons.payment" });

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs, configDiff] });
  inst = await fixtureLogInstance(t, { name: "masked" });
  appendFileSync(inst.log, secretLines());
  // The conf also holds the password, so the Config tab can be compared with the Logs tab.
  writeFileSync(
    inst.conf,
    `[options]\nlogfile = ${inst.log}\ndata_dir = ${inst.dir}/data\ndb_password = ${DB_PASSWORD}\n`,
  );
  viewer = await t.client("viewer", "masking-viewer");
});
afterAll(() => t.stop());

/** Records found by the NDJSON search API. */
async function searchCount(client: TestClient, id: number, query: string): Promise<number> {
  const text = await (await client.get(`/api/v1/logs/i/${id}/search?${query}`)).text();
  const done = text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .find((i) => i.type === "done");
  expect(done).toBeDefined();
  return done.count;
}

const q = (s: string) => `q=${encodeURIComponent(s)}`;
const re = (s: string) => `re=${encodeURIComponent(s)}`;

describe("search answers on the masked text only", () => {
  test("guessing a secret a character at a time finds nothing", async () => {
    for (const query of [
      q("db_password=p"),
      q("db_password=pr0d"),
      q(DB_PASSWORD.slice(0, 4)),
      q(DB_PASSWORD),
      q("pk_live_A"),
      q(PAY_KEY),
      re("db_password=p"),
      re("pk_live_[A-Z]"),
      re("password=[a-o]"),
    ])
      expect([query, await searchCount(viewer, inst.id, query)]).toEqual([query, 0]);
    // What is shown can be searched: the masked line itself.
    expect(await searchCount(viewer, inst.id, q(`db_password=${MASK}`))).toBe(1);
    expect(await searchCount(viewer, inst.id, q("db_password="))).toBe(1);
  });

  test("the page's filter, its counters and the download follow the same rule", async () => {
    const { html } = await viewer.page(`/p/logs/i/${inst.id}?${q("db_password=pr0")}`);
    expect(html).not.toContain("connecting with db_password");
    expect(html).toContain('data-level="WARNING"');
    expect(/data-level="WARNING"[^>]*>[^<]*<b data-count="(\d+)"/.exec(html)?.[1]).toBe("0");
    const guessed = await (await viewer.get(`/p/logs/i/${inst.id}/download?${q("pk_live_A")}`)).text();
    expect(guessed).toBe("");
    const found = await (await viewer.get(`/p/logs/i/${inst.id}/download?${q("charging card")}`)).text();
    expect(found).toContain(`charging card with ${MASK} failed`);
    expect(found).not.toContain("ABC123");
  });

  test("counts and the errors summary do not change with the secret's content", async () => {
    const other = await fixtureLogInstance(t, { name: "masked-errors", logBody: "" });
    appendFileSync(
      other.log,
      ["aaaa", "bbbb", "cccc"]
        .map((s) =>
          odooLine(`SMTP login refused, smtp_password=${s}-x`, { level: "ERROR", logger: "odoo.mail" }),
        )
        .join(""),
    );
    const api = await viewer.getJson(`/api/v1/logs/i/${other.id}/errors?hours=1`);
    expect(api.body.data.groups.map((g: any) => [g.count, g.message])).toEqual([
      [3, `SMTP login refused, smtp_password=${MASK}`],
    ]);
    for (const guess of ["smtp_password=a", "smtp_password=b", "smtp_password=c"])
      expect(await searchCount(viewer, other.id, q(guess))).toBe(0);
    expect(await searchCount(viewer, other.id, q("smtp_password="))).toBe(3);
  });

  test("follow streams masked lines and a guess matches none of them", async () => {
    const live = await fixtureLogInstance(t, { name: "masked-follow", logBody: "" });
    const guess = await SseClient.open(viewer, `/api/v1/logs/i/${live.id}/follow?${q("db_password=p")}`);
    const all = await SseClient.open(viewer, `/api/v1/logs/i/${live.id}/follow?${q("db_password")}`);
    await guess.until((ev) => ev.some((e) => e.event === "started"));
    await all.until((ev) => ev.some((e) => e.event === "started"));
    appendFileSync(live.log, secretLines());
    await all.until((ev) => ev.some((e) => e.event === "records"));
    // The guessing stream saw the same batch: only its cursor moved.
    await guess.until((ev) => ev.some((e) => e.event === "cursor" || e.event === "records"));
    const shown = all
      .of("records")
      .map((e) => e.data)
      .join("");
    await Promise.all([guess.close(), all.close()]);
    expect(guess.of("records")).toEqual([]);
    expect(shown).toContain(`db_password=${MASK} to 10.0.0.12`);
    expect(shown).not.toContain(DB_PASSWORD);
  });
});

test("one secret is masked the same way on the Config tab and the Logs tab", async () => {
  const config = (await t.admin.page(`/p/config-diff/i/${inst.id}/config`)).html;
  const logPage = (await t.admin.page(`/p/logs/i/${inst.id}`)).html;
  for (const html of [config, logPage]) {
    expect(html).not.toContain(DB_PASSWORD);
    expect(html).not.toContain("ABC123");
  }
  expect(config).toMatch(new RegExp(`id="v-conf-db_password"[^>]*>\\s*(<[^>]+>\\s*)*${MASK}`));
  expect(logPage).toContain(`db_password=${MASK} to 10.0.0.12`);
  // A live payment key is masked whole, as the Config tab masks a parameter holding it.
  expect(logPage).toContain(`charging card with ${MASK} failed`);
});
