/**
 * Previews' certificates from a real ACME CA: pebble (Let's Encrypt's test CA) on loopback checks
 * HTTP-01 on odoodeck's own HTTP listener, through a relay that also asks odoodeck the same
 * challenge under other names while it is pending; pebble-challtestsrv is its DNS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import {
  dropPreviews,
  PREVIEW_DOMAIN,
  previewsPageUntil,
  previewsWithTemplate,
  previewTestSettings,
} from "../helpers/previews.ts";
import { type Pebble, presentedCertificate, startPebble } from "../helpers/pebble.ts";

const DOMAIN = PREVIEW_DOMAIN;
let t: TestApp;
let svc: PreviewsService;
let dir: string;
let pebble: Pebble;
let relay: ReturnType<typeof Bun.serve>;
/** Each HTTP-01 check pebble made, and what odoodeck answered the same path under other names. */
const checks: Array<{
  host: string;
  status: number;
  body: string;
  asDeck: { status: number; body: string };
  asOther: { status: number; body: string };
}> = [];

const viaProxy = (name: string, path: string) =>
  fetch(`${t.url}${path}`, { headers: { Host: `${name}.${DOMAIN}` }, redirect: "manual" });

const presented = presentedCertificate;

const pageUntil = (pick: (html: string) => string | boolean | null | undefined, tries?: number) =>
  previewsPageUntil(t, pick, tries);

const certRow = async (host: string) =>
  (await sql<any>`SELECT * FROM previews_certificates WHERE host = ${host}`.execute(t.core.db)).rows[0];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-acme-"));
  ({ t, svc } = await previewsWithTemplate(dir));
  relay = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const host = (req.headers.get("host") ?? "").replace(/:\d+$/, "");
      const ask = async (h: string) => {
        const r = await fetch(`${t.url}${url.pathname}`, { headers: { Host: h }, redirect: "manual" });
        return { status: r.status, body: await r.text() };
      };
      const { status, body } = await ask(host);
      checks.push({
        host,
        status,
        body,
        asDeck: await ask("127.0.0.1"),
        asOther: await ask(`other.${DOMAIN}`),
      });
      return new Response(body, { status });
    },
  });
  pebble = await startPebble({ httpPort: relay.port! });
  // A preview made before ACME is switched on: it gets its certificate on its first request.
  const early = await svc.create(
    { name: "early", template: "acme", branch: "feature", owner: "admin" },
    "admin",
  );
  if ((await early.done).status !== "ok") throw new Error("preview early failed");
  await previewTestSettings(t, dir, {
    preview_certificates: "acme",
    acme_ca: "custom",
    acme_directory_url: pebble.directoryUrl,
    acme_ca_cert: pebble.httpsCaPath,
    acme_email: "previews@example.com",
    preview_https_port: 0,
  });
  await svc.tls.apply();
}, 240_000);

afterAll(async () => {
  await dropPreviews(svc);
  await t.stop();
  relay.stop(true);
  await pebble.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe("previews over HTTPS with certificates from an ACME CA", () => {
  let port = 0;
  let root = "";
  let firstSerial = "";

  test("a new preview gets its own certificate, chained to the CA's root and served by SNI", async () => {
    const op = await svc.create(
      { name: "feat", template: "acme", branch: "feature", owner: "admin" },
      "admin",
    );
    expect((await op.done).status).toBe("ok");
    const url = await pageUntil((html) => /href="(https:\/\/feat\.preview\.test:\d+\/)"/.exec(html)?.[1]);
    port = Number(new URL(url).port);
    root = await pebble.root();
    const { cert, authorized, error } = await presented(port, `feat.${DOMAIN}`, root);
    expect(error).toBeNull();
    expect(authorized).toBe(true);
    expect(cert.subject.CN).toBe(`feat.${DOMAIN}`);
    expect(cert.subjectaltname).toBe(`DNS:feat.${DOMAIN}`);
    expect(cert.issuer.CN).toStartWith("Pebble Intermediate CA");
    firstSerial = cert.serialNumber;
    // The preview's Odoo answers over it.
    const res = await fetch(`https://127.0.0.1:${port}/web/login`, {
      headers: { Host: `feat.${DOMAIN}` },
      tls: { ca: root, serverName: `feat.${DOMAIN}` },
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("oe_login_form");
    // The page lists it as issued.
    const { html } = await t.admin.page("/p/previews");
    expect(html).toContain(`data-host="feat.${DOMAIN}"`);
  }, 180_000);

  test("a preview made before ACME was switched on gets its certificate on its first request", async () => {
    expect(await certRow(`early.${DOMAIN}`)).toBeUndefined();
    const res = await viaProxy("early", "/web/login");
    expect(res.status).toBe(200);
    await pageUntil((html) => html.includes(`href="https://early.${DOMAIN}:${port}/"`));
    const { cert, authorized } = await presented(port, `early.${DOMAIN}`, root);
    expect(authorized).toBe(true);
    expect(cert.subjectaltname).toBe(`DNS:early.${DOMAIN}`);
    // The first preview's certificate is still the one served for its name.
    expect((await presented(port, `feat.${DOMAIN}`, root)).cert.subjectaltname).toBe(`DNS:feat.${DOMAIN}`);
  }, 60_000);

  test("the challenge was answered on the preview's name only, never for odoodeck or another name", () => {
    const mine = checks.filter((c) => c.host === `feat.${DOMAIN}`);
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) {
      expect(c.status).toBe(200);
      // A key authorization is "<token>.<account key thumbprint>".
      expect(c.body).toMatch(/^[\w-]+\.[\w-]+$/);
      // odoodeck's own name has no such route (its pages want a session); another preview's
      // name does not get this host's answer.
      expect([401, 404]).toContain(c.asDeck.status);
      expect(c.asDeck.body).not.toContain(c.body);
      expect(c.asOther.status).toBe(404);
      expect(c.asOther.body).not.toContain(c.body);
    }
  });

  test("the private keys are sealed at rest", async () => {
    const row = await certRow(`feat.${DOMAIN}`);
    expect(row.cert).toContain("BEGIN CERTIFICATE");
    expect(row.key_sealed).not.toContain("PRIVATE KEY");
    const accounts = (await sql<any>`SELECT key_sealed FROM previews_acme_accounts`.execute(t.core.db)).rows;
    expect(accounts.length).toBe(1);
    expect(accounts[0].key_sealed).not.toContain("PRIVATE KEY");
  });

  test("a failed challenge shows E_PREVIEWS_ACME_CHALLENGE, gives no certificate and the preview stays on HTTP", async () => {
    // Its name points where odoodeck does not listen: the CA's check cannot connect.
    await pebble.resolve(`bad.${DOMAIN}`, "127.0.0.2");
    const op = await svc.create(
      { name: "bad", template: "acme", branch: "feature", owner: "admin" },
      "admin",
    );
    expect((await op.done).status).toBe("ok");
    const cell = await pageUntil(
      (html) =>
        /<tr data-host="bad\.preview\.test">([\s\S]*?)<\/tr>/.exec(html)?.[1]?.match(/E_PREVIEWS_\w+/)?.[0] &&
        html,
    );
    const row = /<tr data-host="bad\.preview\.test">([\s\S]*?)<\/tr>/.exec(cell)![1];
    expect(row).toContain("E_PREVIEWS_ACME_CHALLENGE");
    expect(row).toContain("127.0.0.2");
    expect(cell).toContain(`href="http://bad.${DOMAIN}/"`);
    const stored = await certRow(`bad.${DOMAIN}`);
    expect(stored.cert).toBeNull();
    expect(stored.error_code).toBe("E_PREVIEWS_ACME_CHALLENGE");
    // The listener has nothing for it (it falls back to another preview's certificate)...
    const { cert } = await presented(port, `bad.${DOMAIN}`, root);
    expect(cert.subjectaltname).not.toContain(`bad.${DOMAIN}`);
    // ...and the preview is served over plain HTTP.
    const res = await viaProxy("bad", "/web/login");
    expect(res.status).toBe(200);
    // Once its name points at odoodeck, the user asks again from the page and gets one.
    await pebble.unresolve(`bad.${DOMAIN}`);
    const again = await t.admin.post("/p/previews/bad/certificate", {});
    expect([200, 303]).toContain(again.status);
    await pageUntil((html) => html.includes(`href="https://bad.${DOMAIN}:${port}/"`));
    expect((await presented(port, `bad.${DOMAIN}`, root)).authorized).toBe(true);
    expect((await certRow(`bad.${DOMAIN}`)).error_code).toBeNull();
  }, 180_000);

  test("the renewal job issues again what expires within 30 days, and the listener serves it", async () => {
    const notAfter = new X509Certificate((await certRow(`feat.${DOMAIN}`)).cert).validTo;
    const soon = new Date(Date.parse(notAfter) - 10 * 86400_000);
    expect(await svc.tls.renewDue(new Date(Date.parse(notAfter) - 40 * 86400_000))).toEqual([]);
    expect(await svc.tls.renewDue(soon)).toContain(`feat.${DOMAIN}`);
    let serial = firstSerial;
    for (let i = 0; i < 50 && serial === firstSerial; i++) {
      serial = (await presented(port, `feat.${DOMAIN}`, root)).cert.serialNumber;
      if (serial === firstSerial) await Bun.sleep(100);
    }
    expect(serial).not.toBe(firstSerial);
  }, 120_000);

  test("destroying a preview drops its certificate; with none left HTTPS stops", async () => {
    await svc.destroy("feat");
    expect(await certRow(`feat.${DOMAIN}`)).toBeUndefined();
    let shown = `feat.${DOMAIN}`;
    for (let i = 0; i < 50 && shown.includes(`feat.${DOMAIN}`); i++) {
      shown = (await presented(port, `feat.${DOMAIN}`, root)).cert.subjectaltname ?? "";
      if (shown.includes(`feat.${DOMAIN}`)) await Bun.sleep(100);
    }
    expect(shown).not.toContain(`feat.${DOMAIN}`);
    await svc.destroy("early");
    await svc.destroy("bad");
    expect((await sql<any>`SELECT host FROM previews_certificates`.execute(t.core.db)).rows).toEqual([]);
    let closed = false;
    for (let i = 0; i < 50 && !closed; i++) {
      closed = await presented(port, `early.${DOMAIN}`, root).then(
        () => false,
        () => true,
      );
      if (!closed) await Bun.sleep(100);
    }
    expect(closed).toBe(true);
  }, 120_000);
});
