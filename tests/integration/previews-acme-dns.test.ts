/**
 * One wildcard certificate for every preview by ACME DNS-01: pebble (Let's Encrypt's test CA)
 * checks the TXT record at pebble-challtestsrv, which the admin's DNS hook — a script this test
 * writes, run as an argument array — fills through challtestsrv's management API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Resolver } from "node:dns/promises";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import { type Pebble, presentedCertificate as presented, startPebble } from "../helpers/pebble.ts";
import {
  dropPreviews,
  PREVIEW_DOMAIN,
  previewsPageUntil,
  previewsWithTemplate,
  previewTestSettings,
} from "../helpers/previews.ts";

const DOMAIN = PREVIEW_DOMAIN;
const WILDCARD = `*.${DOMAIN}`;
const RECORD = `_acme-challenge.${DOMAIN}`;
let t: TestApp;
let svc: PreviewsService;
let dir: string;
let pebble: Pebble;
let callsLog: string;
let goodHook: string[];
let failingHook: string[];
let silentHook: string[];

interface HookCall {
  hook: string;
  argv: string[];
  action?: string;
  name?: string;
  value?: string;
}
const calls = (): HookCall[] =>
  readFileSync(callsLog, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** A hook script as an admin writes one for their DNS provider: here the provider is challtestsrv. */
function writeHook(name: string, onPresent: string): string[] {
  const path = join(dir, name);
  writeFileSync(
    path,
    `import { appendFileSync } from "node:fs";
const [action, name, value] = process.argv.slice(2);
appendFileSync(${JSON.stringify(callsLog)}, JSON.stringify({ hook: ${JSON.stringify(name)}, argv: process.argv.slice(2),
  action: process.env.ODOODECK_DNS_ACTION, name: process.env.ODOODECK_DNS_NAME, value: process.env.ODOODECK_DNS_VALUE }) + "\\n");
const api = (what, body) => fetch(${JSON.stringify(pebble.challtestUrl)} + "/" + what, { method: "POST", body: JSON.stringify(body) });
if (action === "present") {
  ${onPresent}
  await api("set-txt", { host: name + ".", value });
} else {
  await api("clear-txt", { host: name + "." });
}
`,
  );
  return [process.execPath, path];
}

const settings = (hook: string[], more: Record<string, unknown> = {}) =>
  previewTestSettings(t, dir, {
    preview_certificates: "acme",
    acme_challenge: "dns-01",
    acme_dns_hook: JSON.stringify(hook),
    acme_dns_resolver: pebble.dnsServer,
    acme_dns_delay: 0,
    acme_ca: "custom",
    acme_directory_url: pebble.directoryUrl,
    acme_ca_cert: pebble.httpsCaPath,
    acme_email: "previews@example.com",
    preview_https_port: 0,
    ...more,
  });

const certRow = async (host: string) =>
  (await sql<any>`SELECT * FROM previews_certificates WHERE host = ${host}`.execute(t.core.db)).rows[0];

/** The TXT records challtestsrv (pebble's DNS) answers for the challenge name. */
async function txtAtPebblesDns(): Promise<string[]> {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([pebble.dnsServer]);
  return (await r.resolveTxt(RECORD).catch(() => [])).map((chunks) => chunks.join(""));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-acme-dns-"));
  callsLog = join(dir, "hook-calls.jsonl");
  writeFileSync(callsLog, "");
  ({ t, svc } = await previewsWithTemplate(dir));
  pebble = await startPebble();
  goodHook = writeHook("good-hook.ts", "");
  failingHook = writeHook(
    "failing-hook.ts",
    `console.error("zone ${DOMAIN}: the DNS provider refused the API token"); process.exit(3);`,
  );
  // Says it is done but writes nothing: the record never appears.
  silentHook = writeHook("silent-hook.ts", "process.exit(0);");
  await settings(failingHook);
  await svc.tls.apply();
}, 240_000);

afterAll(async () => {
  await dropPreviews(svc);
  await t.stop();
  await pebble.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("one wildcard certificate for every preview by ACME DNS-01 and a DNS hook", () => {
  let port = 0;
  let root = "";
  let serial = "";

  test("a failing hook shows E_PREVIEWS_ACME_DNS_HOOK with its stderr, gives no certificate, and cleanup is called", async () => {
    const { html } = await t.admin.page("/p/previews");
    expect(html).toContain(`Ask the CA for ${WILDCARD} now`);
    // The page's button: a real form post with the page's CSRF token.
    const res = await t.admin.post("/p/previews/wildcard-certificate", {});
    expect(res.status).toBe(303);
    const row = await previewsPageUntil(
      t,
      (h) => /<tr data-host="\*\.preview\.test">([\s\S]*?)<\/tr>/.exec(h)?.[1]?.includes("E_PREVIEWS_") && h,
    ).then((h) => /<tr data-host="\*\.preview\.test">([\s\S]*?)<\/tr>/.exec(h)![1]);
    expect(row).toContain("E_PREVIEWS_ACME_DNS_HOOK");
    expect(row).toContain("exited with 3");
    expect(row).toContain("the DNS provider refused the API token");
    expect(row).toContain("Ask the CA again");
    const stored = await certRow(WILDCARD);
    expect(stored.cert).toBeNull();
    expect(stored.key_sealed).toBeNull();
    expect(stored.error_code).toBe("E_PREVIEWS_ACME_DNS_HOOK");
    // present failed, then cleanup ran for the same record and value; the hook got them both as
    // arguments and in its environment.
    const mine = calls().filter((c) => c.hook === "failing-hook.ts");
    expect(mine.map((c) => c.action)).toEqual(["present", "cleanup"]);
    for (const c of mine) {
      expect(c.name).toBe(RECORD);
      expect(c.value).toMatch(/^[\w-]{43}$/);
      expect(c.argv).toEqual([c.action!, RECORD, c.value!]);
    }
    expect(mine[1].value).toBe(mine[0].value);
    // No HTTPS listener: nothing to serve.
    expect(svc.tls.port()).toBeNull();
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "previews.wildcard-certificate")
      .execute();
    expect(audit.map((r: any) => [r.result, r.target])).toEqual([["ok", WILDCARD]]);
  }, 120_000);

  test("only an admin asks for the wildcard (the hook is a command on odoodeck's machine)", async () => {
    const operator = await t.client("operator");
    await operator.page("/p/previews");
    const res = await operator.post("/p/previews/wildcard-certificate", {});
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("E_FORBIDDEN");
    // And without the page's CSRF token the form is refused.
    const forged = await t.admin.request("POST", "/p/previews/wildcard-certificate", { noCsrf: true });
    expect(forged.status).toBe(403);
    expect(calls().filter((c) => c.hook === "failing-hook.ts").length).toBe(2);
  }, 60_000);

  test("a hook that writes no record: the resolver check says E_PREVIEWS_ACME_DNS_PROPAGATION, the CA E_PREVIEWS_ACME_DNS_CHALLENGE", async () => {
    await settings(silentHook, { acme_dns_propagation_timeout: 2 });
    const waited = await svc.tls.ensureWildcard({ force: true });
    expect(waited?.errorCode).toBe("E_PREVIEWS_ACME_DNS_PROPAGATION");
    expect(waited?.error).toContain(`${pebble.dnsServer} did not answer ${RECORD} TXT`);
    expect(waited?.cert).toBeNull();
    // Without a resolver to look at, the CA is asked and finds no record.
    await settings(silentHook, { acme_dns_resolver: "" });
    const checked = await svc.tls.ensureWildcard({ force: true });
    expect(checked?.errorCode).toBe("E_PREVIEWS_ACME_DNS_CHALLENGE");
    expect(checked?.error).toContain(RECORD);
    expect(checked?.cert).toBeNull();
    expect(
      calls()
        .filter((c) => c.hook === "silent-hook.ts")
        .map((c) => c.action),
    ).toEqual(["present", "cleanup", "present", "cleanup"]);
    const row = await previewsPageUntil(
      t,
      (h) => /<tr data-host="\*\.preview\.test">([\s\S]*?)<\/tr>/.exec(h)?.[1],
    );
    expect(row).toContain("E_PREVIEWS_ACME_DNS_CHALLENGE");
  }, 120_000);

  test("once the hook is fixed, asking again gives one wildcard that two previews present, chained to the CA's root", async () => {
    await settings(goodHook);
    await t.admin.page("/p/previews");
    expect((await t.admin.post("/p/previews/wildcard-certificate", {})).status).toBe(303);
    await previewsPageUntil(t, (h) =>
      /<tr data-host="\*\.preview\.test">[\s\S]*?issued[\s\S]*?<\/tr>/.test(h),
    );
    for (const name of ["alpha", "beta"]) {
      const op = await svc.create({ name, template: "acme", branch: "feature", owner: "admin" }, "admin");
      expect((await op.done).status).toBe("ok");
    }
    const html = await previewsPageUntil(
      t,
      (h) => h.includes(`href="https://alpha.${DOMAIN}:`) && h.includes(`href="https://beta.${DOMAIN}:`),
    );
    port = Number(/href="https:\/\/alpha\.preview\.test:(\d+)\/"/.exec(html)![1]);
    expect(html).toContain(`href="https://beta.${DOMAIN}:${port}/"`);
    root = await pebble.root();
    const a = await presented(port, `alpha.${DOMAIN}`, root);
    const b = await presented(port, `beta.${DOMAIN}`, root);
    expect(a.error).toBeNull();
    expect(a.authorized).toBe(true);
    expect(b.authorized).toBe(true);
    expect(a.cert.subjectaltname).toBe(`DNS:${WILDCARD}`);
    expect(a.cert.issuer.CN).toStartWith("Pebble Intermediate CA");
    expect(b.cert.serialNumber).toBe(a.cert.serialNumber);
    expect(b.cert.fingerprint256).toBe(a.cert.fingerprint256);
    serial = a.cert.serialNumber;
    // The preview's Odoo answers over it.
    const res = await fetch(`https://127.0.0.1:${port}/web/login`, {
      headers: { Host: `beta.${DOMAIN}` },
      tls: { ca: root, serverName: `beta.${DOMAIN}` },
    } as RequestInit);
    expect(res.status).toBe(200);
    // One certificate for all: no per-preview one was asked for.
    expect((await sql<any>`SELECT host FROM previews_certificates`.execute(t.core.db)).rows).toEqual([
      { host: WILDCARD },
    ]);
    // The record was written for the CA, then taken away again.
    const good = calls().filter((c) => c.hook === "good-hook.ts");
    expect(good.map((c) => c.action)).toEqual(["present", "cleanup"]);
    expect(await txtAtPebblesDns()).toEqual([]);
    const row = await certRow(WILDCARD);
    expect(row.error_code).toBeNull();
    expect(row.key_sealed).not.toContain("PRIVATE KEY");
  }, 180_000);

  test("the renewal job issues the wildcard again within 30 days of its end, served for every preview", async () => {
    const notAfter = new X509Certificate((await certRow(WILDCARD)).cert).validTo;
    expect(await svc.tls.renewDue(new Date(Date.parse(notAfter) - 40 * 86400_000))).toEqual([]);
    expect(await svc.tls.renewDue(new Date(Date.parse(notAfter) - 10 * 86400_000))).toEqual([WILDCARD]);
    let now = serial;
    for (let i = 0; i < 50 && now === serial; i++) {
      now = (await presented(port, `alpha.${DOMAIN}`, root)).cert.serialNumber;
      if (now === serial) await Bun.sleep(100);
    }
    expect(now).not.toBe(serial);
    expect((await presented(port, `beta.${DOMAIN}`, root)).cert.serialNumber).toBe(now);
    expect(
      calls()
        .filter((c) => c.hook === "good-hook.ts")
        .map((c) => c.action),
    ).toEqual(["present", "cleanup", "present", "cleanup"]);
  }, 120_000);

  test("destroying a preview keeps the wildcard for the others", async () => {
    await svc.destroy("alpha");
    expect(await certRow(WILDCARD)).toBeDefined();
    const b = await presented(port, `beta.${DOMAIN}`, root);
    expect(b.authorized).toBe(true);
    expect(b.cert.subjectaltname).toBe(`DNS:${WILDCARD}`);
  }, 60_000);
});
