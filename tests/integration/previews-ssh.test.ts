/**
 * A preview of an instance on an SSH server. The server is a real sshd whose sessions have a
 * network namespace of their own (tests/helpers/sshd-netns.ts), so the preview's Odoo listens on
 * a loopback odoodeck cannot reach, as on a real remote machine: the smoke gate, the proxy (HTTP
 * and WebSocket) and the health probe must all go through the SSH link. Files and PostgreSQL's
 * Unix socket are shared, so the instance's database is reached by psql on the "server".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { dropPreviews, PREVIEW_DOMAIN, previewsWithTemplate } from "../helpers/previews.ts";
import { getIsolatedSshd, type IsolatedSshd } from "../helpers/sshd-netns.ts";

let t: TestApp;
let svc: PreviewsService;
let dir: string;
let sshd: IsolatedSshd;

const viaProxy = (name: string, path: string) =>
  fetch(`${t.url}${path}`, {
    headers: { Host: `${name}.${PREVIEW_DOMAIN}` },
    redirect: "manual",
    // A hang is a failure: the proxy must answer, even when the server is unreachable.
    signal: AbortSignal.timeout(30_000),
  });

/** True when nothing accepts a TCP connection on host:port. */
function refuses(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open: (s) => {
          s.end();
          resolve(false);
        },
        data() {},
        connectError: () => resolve(true),
        error: () => resolve(true),
      },
    }).catch(() => resolve(true));
  });
}

async function echoOf(ws: WebSocket, msg: string): Promise<string> {
  try {
    return await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send(msg);
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket failed"));
      setTimeout(() => reject(new Error("no echo")), 15_000);
    });
  } finally {
    ws.close();
  }
}

/** The listening sockets on odoodeck's machine for `port`, as "address:port" (from /proc/net/tcp*). */
function listenersOf(port: number): string[] {
  const out: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== "0A" || !local) continue; // 0A: LISTEN
      const [hex, p] = local.split(":");
      if (Number.parseInt(p, 16) !== port) continue;
      const addr =
        hex.length === 8
          ? (hex.match(/../g) ?? [])
              .reverse()
              .map((b) => Number.parseInt(b, 16))
              .join(".")
          : `[${hex}]`;
      out.push(`${addr}:${port}`);
    }
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-ssh-"));
  sshd = await getIsolatedSshd();
  const pg = await getPg();
  let instanceId: number;
  ({ t, svc, instanceId } = await previewsWithTemplate(dir, {
    // psql runs on the server, whose loopback has no PostgreSQL: it uses the shared Unix socket.
    before: async (acme) => {
      const conf = readFileSync(acme.confPath, "utf8").replace(
        /^db_host = .*$/m,
        `db_host = ${pg.socketDir}`,
      );
      writeFileSync(acme.confPath, conf);
    },
  }));
  const srv = await t.admin.postJson("/api/v1/servers", {
    name: "remote",
    kind: "ssh",
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  if (srv.status !== 201) throw new Error(`adding the SSH server: ${JSON.stringify(srv.body)}`);
  await t.core.db
    .updateTable("instances")
    .set({ server_id: srv.body.data.id })
    .where("id", "=", instanceId)
    .execute();
}, 240_000);

/** Set by the last test, which stops odoodeck itself. */
let stopped = false;

afterAll(async () => {
  if (!stopped) {
    await dropPreviews(svc);
    await t.stop();
  } else {
    const pg = await getPg();
    await pg.dropDb("p_near").catch(() => {});
    await pg.psql("postgres", "ALTER DATABASE acme_tpl IS_TEMPLATE false").catch(() => {});
    await pg.dropDb("acme_tpl").catch(() => {});
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a preview of an instance on an SSH server", () => {
  test("is created on the server and passes the smoke gate through the SSH link", async () => {
    const r = await svc.create({ name: "far", template: "acme", branch: "feature", owner: "admin" }, "admin");
    const snap = await r.done;
    expect([snap.status, snap.error?.message]).toEqual(["ok", undefined]);
    const p = (await svc.store.get("far"))!;
    expect(p.status).toBe("running");
    expect(p.smoke?.checks.map((c) => [c.name, c.ok])).toEqual([
      ["ready", true],
      ["login", true],
      ["log", true],
      ["modules", true],
    ]);
    expect(p.smoke?.checks[1].detail).toBe("admin signed in");
    // Odoo listens on the server's loopback, which odoodeck's own machine does not reach.
    expect((await sshd.inside(["ss", "-ltnH"])).out).toContain(`127.0.0.1:${p.port}`);
    expect(await refuses(p.port!)).toBe(true);
  }, 180_000);

  test("odoodeck's proxy serves it over HTTP and WebSocket at <name>.<preview domain>", async () => {
    const res = await viaProxy("far", "/web/login");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("oe_login_form");
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/websocket`, {
      headers: { Host: `far.${PREVIEW_DOMAIN}` },
    } as never);
    expect(await echoOf(ws, "ping from far away")).toBe("ping from far away");
  }, 60_000);

  test("the tunnel listens on odoodeck's loopback only", async () => {
    const tunnel = svc.tunnels.get("far");
    expect(tunnel?.open).toBe(true);
    expect(listenersOf(tunnel!.port)).toEqual([`127.0.0.1:${tunnel!.port}`]);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === "IPv4");
    if (outside) expect(await refuses(tunnel!.port, outside.address)).toBe(true);
  });

  test("its page shows its health, probed through the tunnel", async () => {
    const { html } = await t.admin.page("/p/previews/far");
    expect(html).toMatch(/class="health">.*\/web\/health answers \(\d+ ms\)/s);
  }, 30_000);

  test("while the server is unreachable the proxy answers 502; once it is back the link is reopened", async () => {
    await sshd.down();
    let back = false;
    try {
      const res = await viaProxy("far", "/web/login");
      expect(res.status).toBe(502);
      expect(await res.text()).toContain("does not answer");
    } finally {
      await sshd.up();
    }
    // The link dropped, and Odoo with it (its lifeline ended): the runtime starts it again.
    for (let i = 0; i < 300 && !back; i++) {
      back = (await viaProxy("far", "/web/login")).status === 200;
      if (!back) await Bun.sleep(200);
    }
    expect(back).toBe(true);
  }, 120_000);

  test("stop closes the tunnel; a request wakes the preview and opens a new one", async () => {
    const before = svc.tunnels.get("far")!.port;
    await svc.stop("far");
    expect(svc.tunnels.get("far")).toBeUndefined();
    expect(await refuses(before)).toBe(true);
    let status = 0;
    for (let i = 0; i < 300 && status !== 200; i++) {
      status = (await viaProxy("far", "/web/login")).status;
      if (status !== 200) await Bun.sleep(200);
    }
    expect(status).toBe(200);
    expect(svc.tunnels.get("far")?.open).toBe(true);
  }, 120_000);

  test("destroy closes the tunnel: its local port refuses and the name is gone", async () => {
    const port = svc.tunnels.get("far")!.port;
    await svc.destroy("far");
    expect(svc.tunnels.get("far")).toBeUndefined();
    expect(await refuses(port)).toBe(true);
    expect((await viaProxy("far", "/web/login")).status).toBe(404);
  }, 60_000);

  test("odoodeck stopping closes the tunnels of the previews still running", async () => {
    const r = await svc.create(
      { name: "near", template: "acme", branch: "feature", owner: "admin" },
      "admin",
    );
    expect((await r.done).status).toBe("ok");
    const port = svc.tunnels.get("near")!.port;
    expect(await refuses(port)).toBe(false);
    stopped = true;
    await t.stop();
    expect(await refuses(port)).toBe(true);
  }, 180_000);
});
