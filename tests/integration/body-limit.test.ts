import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { type ServeProcess, startServeProcess } from "../helpers/serve-process.ts";

const MB = 1024 * 1024;
let dir: string;
let s: ServeProcess;
let instanceId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-test-bodylimit-"));
  s = await startServeProcess(join(dir, "data"), async (core) => {
    const server = await core.db
      .insertInto("servers")
      .values({ name: "local", kind: "local", created_at: new Date().toISOString() })
      .returning("id")
      .executeTakeFirstOrThrow();
    const inst = await core.db
      .insertInto("instances")
      .values({
        name: "staging",
        server_id: Number(server.id),
        conf_path: join(dir, "odoo.conf"),
        production: 0,
        created_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    instanceId = Number(inst.id);
  });
});
afterAll(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A multipart body of `size` bytes, sent with its Content-Length as a browser or curl does. */
function multipart(size: number): { body: Blob; type: string } {
  const boundary = "----odoodeck-test";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return {
    body: new Blob([head, new Uint8Array(size), tail]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Sends the body while polling odoodeck's memory; returns the answer and the rise over the RSS before. */
async function send(
  path: string,
  init: RequestInit,
): Promise<{ status: number; body: string; riseMb: number }> {
  const base = s.rssMb();
  let peak = base;
  const poll = setInterval(() => (peak = Math.max(peak, s.rssMb())), 10);
  try {
    const res = await fetch(s.url + path, { method: "POST", redirect: "manual", ...init });
    const body = await res.text();
    await Bun.sleep(100); // a server that buffers late shows it here
    peak = Math.max(peak, s.rssMb());
    return { status: res.status, body, riseMb: peak - base };
  } finally {
    clearInterval(poll);
  }
}

describe("request bodies are limited before anyone signs in", () => {
  test("a 50 MB multipart POST to /login is refused with 413 and odoodeck's memory stays flat", async () => {
    const m = multipart(50 * MB);
    const r = await send("/login", {
      body: m.body,
      headers: { "Content-Type": m.type, Accept: "application/json" },
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe("E_TOO_LARGE");
    expect(r.riseMb).toBeLessThan(8);
  });

  test("a 50 MB multipart POST to a made-up /x/upload path is refused with 413 too", async () => {
    const m = multipart(50 * MB);
    const r = await send("/x/upload", {
      body: m.body,
      headers: { "Content-Type": m.type, Accept: "application/json" },
    });
    expect(r.status).toBe(413);
    expect(r.riseMb).toBeLessThan(8);
  });

  test("a chunked body without Content-Length is cut off after 2 MB, not read to the end", async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (sent >= 50 * MB) return ctrl.close();
        sent += MB;
        ctrl.enqueue(new Uint8Array(MB));
      },
    });
    const r = await send("/login", {
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    });
    expect(r.status).toBe(413);
    expect(sent).toBeLessThan(50 * MB);
    expect(r.riseMb).toBeLessThan(16); // the 2 MB it may read, and the socket's buffers
  });

  test("a declared upload route refuses a caller who is not signed in, without reading the body", async () => {
    const r = await send(`/api/v1/backup/i/${instanceId}/restore/upload`, {
      body: new Uint8Array(50 * MB),
      headers: { "Content-Type": "application/zip", Accept: "application/json" },
    });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.code).toBe("E_UNAUTHENTICATED");
    expect(r.riseMb).toBeLessThan(8);
  });
});

describe("signed-in users", () => {
  test("a 5 MB JSON body to an ordinary route is refused with 413", async () => {
    const admin = new TestClient(s.url);
    expect((await admin.login("admin")).status).toBe(303);
    const res = await admin.request("POST", "/api/v1/tokens", {
      body: JSON.stringify({ name: "x".repeat(5 * MB) }),
      headers: { "Content-Type": "application/json", Accept: "application/json" },
    });
    expect(res.status).toBe(413);
  });

  test("the backup plugin's upload route still takes an Odoo zip above 2 MB, streamed to disk", async () => {
    // The fixture zip plus a 3 MB attachment: a real restorable zip past the 2 MB limit.
    const files = unzipSync(readFileSync(FIXTURES.prodOdooBackupZip));
    files["filestore/zz/padding-attachment"] = randomBytes(3 * MB);
    const zipPath = join(dir, "big.zip");
    writeFileSync(zipPath, zipSync(files, { level: 0 }));
    const admin = new TestClient(s.url);
    await admin.login("admin");
    const res = await admin.request("POST", `/api/v1/backup/i/${instanceId}/restore/upload`, {
      body: Bun.file(zipPath).stream(),
      headers: { Accept: "application/json", "Content-Type": "application/zip" },
    });
    const j = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(j.data).toMatchObject({ dbName: "acme_prod", files: 92, bytes: Bun.file(zipPath).size });
    expect(j.data.bytes).toBeGreaterThan(5 * MB);
  });
});
