import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.ts";
import { buildApp } from "../../server/app.ts";
import { createUser } from "../../server/auth/users.ts";
import { ensureSetupLink } from "../../server/pages/auth/auth-pages.tsx";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import type { PluginDefinition, Role } from "../../server/sdk/index.ts";

export const TEST_PASSWORD = "correct horse battery staple";

/** A browser-like client: keeps cookies, finds the CSRF token in pages, sends it on posts. */
export class TestClient {
  cookies = new Map<string, string>();
  csrf: string | null = null;
  constructor(readonly base: string) {}

  #cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(
    method: string,
    path: string,
    init: {
      body?: BodyInit;
      headers?: Record<string, string>;
      json?: unknown;
      form?: Record<string, string>;
      noCsrf?: boolean;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "text/html", ...(init.headers ?? {}) };
    if (this.cookies.size) headers.Cookie = this.#cookieHeader();
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers["Content-Type"] = "application/json";
      headers.Accept = "application/json";
    }
    if (init.form) {
      body = new URLSearchParams({ ...(this.csrf ? { _csrf: this.csrf } : {}), ...init.form });
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    if (method !== "GET" && this.csrf && !headers["X-CSRF-Token"] && !init.form && !init.noCsrf)
      headers["X-CSRF-Token"] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, body, redirect: "manual" });
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(";");
      const [k, v] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || v === "") this.cookies.delete(k.trim());
      else this.cookies.set(k.trim(), v.trim());
    }
    return res;
  }

  /** GET a page and remember the CSRF token it carries. */
  async page(path: string): Promise<{ res: Response; html: string }> {
    const res = await this.request("GET", path);
    const html = await res.text();
    const m =
      /name="_csrf" value="([^"]+)"/.exec(html) ??
      /"X-CSRF-Token":"([^"]+)"/.exec(html.replace(/&quot;/g, '"'));
    if (m) this.csrf = m[1];
    return { res, html };
  }

  get(path: string) {
    return this.request("GET", path);
  }
  async getJson<T = any>(path: string): Promise<{ status: number; body: T }> {
    const res = await this.request("GET", path, { headers: { Accept: "application/json" } });
    return { status: res.status, body: (await res.json()) as T };
  }
  post(path: string, form: Record<string, string> = {}) {
    return this.request("POST", path, { form });
  }
  async postJson<T = any>(path: string, json: unknown): Promise<{ status: number; body: T }> {
    const res = await this.request("POST", path, { json });
    return { status: res.status, body: (await res.json()) as T };
  }

  async login(username: string, password = TEST_PASSWORD): Promise<Response> {
    await this.page("/login");
    const res = await this.post("/login", { username, password, next: "/" });
    if (res.status === 303) await this.page("/");
    return res;
  }
}

export interface TestApp {
  url: string;
  core: Core;
  dataDir: string;
  /** With `firstRun`: the one-time setup link; otherwise null. */
  setupLink: string | null;
  /** A signed-in admin client (user "admin"; not signed in with `firstRun`). */
  admin: TestClient;
  /** A new user with this role, signed in. */
  client(role: Role | "none", username?: string): Promise<TestClient>;
  anonymous(): TestClient;
  /** Registers a local server (once) and an instance on it; returns the instance id. */
  addLocalInstance(input: {
    name: string;
    confPath: string;
    dbName?: string | null;
    production?: boolean;
    service?: string | null;
  }): Promise<number>;
  stop(): Promise<void>;
}

let userSeq = 0;

/**
 * Starts a real odoodeck (store, plugins, HTTP server on a free port) in a fresh data directory.
 * @example const t = await startTestApp(); const { html } = await t.admin.page("/");
 */
export async function startTestApp(
  opts: {
    plugins?: PluginDefinition<any>[];
    dataDir?: string;
    loadExternal?: boolean;
    /** Extra serve flags, e.g. { "trust-proxy": "true" }. */
    flags?: Record<string, string>;
    /** Start as on a first run: no user yet, `setupLink` is the link odoodeck would print. */
    firstRun?: boolean;
    /**
     * Plugin settings stored before the plugins start, as a saved configuration is on a restart
     * (what a plugin reads once at start, or re-reads on a timer, is then in effect at once).
     */
    settings?: Record<string, Record<string, unknown>>;
  } = {},
): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "odoodeck-test-"));
  const config = loadConfig(
    {
      data: dataDir,
      port: "0",
      plugins: opts.loadExternal ? "true" : "false",
      // Any free port: test apps run side by side, each with its own mail catcher
      "smtp-port": "0",
      ...opts.flags,
    } as Record<string, string>,
    {},
  );
  const core = await Core.open(config);
  const plugins = opts.plugins ?? builtinPlugins;
  for (const [id, values] of Object.entries(opts.settings ?? {})) {
    const schema = plugins.find((p) => p.id === id)?.settings;
    if (!schema) throw new Error(`startTestApp: no plugin ${id} with settings`);
    await writeSettings(core.db, core.secrets, id, schema, values);
  }
  await core.startPlugins(plugins);
  const app = buildApp(core);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...core.vhosts.serveOptions(app.fetch),
    idleTimeout: 0,
  });
  const url = `http://127.0.0.1:${server.port}`;
  const setupLink = opts.firstRun ? await ensureSetupLink(core, url) : null;
  // (a restart on the same data directory finds the admin there already)
  const hasAdmin = await core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", "admin")
    .executeTakeFirst();
  if (!opts.firstRun && !hasAdmin)
    await createUser(core.db, { username: "admin", password: TEST_PASSWORD, role: "admin" });
  const admin = new TestClient(url);
  if (!opts.firstRun) await admin.login("admin");
  let localServerId: number | null = null;
  return {
    url,
    core,
    dataDir,
    admin,
    setupLink,
    anonymous: () => new TestClient(url),
    async client(role, username) {
      const name = username ?? `user${++userSeq}`;
      await createUser(core.db, {
        username: name,
        password: TEST_PASSWORD,
        role: role === "none" ? "viewer" : role,
      });
      if (role === "none")
        await core.db.updateTable("users").set({ role: "none" }).where("username", "=", name).execute();
      const c = new TestClient(url);
      await c.login(name);
      return c;
    },
    async addLocalInstance(input) {
      if (localServerId == null) {
        const row = await core.db
          .insertInto("servers")
          .values({ name: "local", kind: "local", created_at: new Date().toISOString() })
          .returning("id")
          .executeTakeFirstOrThrow();
        localServerId = Number(row.id);
      }
      const row = await core.db
        .insertInto("instances")
        .values({
          name: input.name,
          server_id: localServerId,
          conf_path: input.confPath,
          db_name: input.dbName ?? null,
          production: input.production ? 1 : 0,
          service: input.service ?? null,
          created_at: new Date().toISOString(),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },
    async stop() {
      server.stop(true);
      await core.shutdown();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
