/**
 * A third-party odoodeck plugin, as someone outside the project would write it. Copy this folder
 * to <data>/plugins/hello/ and restart odoodeck: it adds a page, a JSON route, a scheduled job
 * and a table of its own. It imports nothing but "odoodeck/sdk" and "hono", so it declares no
 * capabilities. Plugins are not sandboxed: one that imports node:fs or runs programs can do
 * anything odoodeck can, so it says so in `capabilities` and the Plugins page shows it.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { definePlugin, ok } from "odoodeck/sdk";

export default definePlugin({
  id: "hello",
  name: "Hello (example)",
  version: "1.0.0",
  sdk: "^1",
  description: "Example third-party plugin",
  capabilities: [], // reaches for nothing beyond ctx
  settings: {
    greeting: { type: "string", label: "Greeting", default: "Hello from a third-party plugin" },
  },
  nav: [{ label: "Hello", path: "/", scope: "global" }],
  migrations: {
    "0001-greetings": {
      async up(db) {
        await db.schema
          .createTable("hello_greetings")
          .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
          .addColumn("at", "text", (c) => c.notNull())
          .addColumn("source", "text", (c) => c.notNull())
          .execute();
      },
    },
  },
  register(ctx) {
    const count = async () => {
      const r = await ctx.db
        .selectFrom("hello_greetings")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    };
    const pages = new Hono();
    pages.get("/", async (c) => {
      await ctx.auth.require(c as any, "viewer");
      const { greeting } = await ctx.settings();
      const n = await count();
      return ctx.views.page(c as any, {
        title: "Hello",
        body: html`<section class="card"><h1 id="hello">${greeting}</h1><p>The scheduled job has greeted <strong id="greetings">${n}</strong> time(s).</p></section>`,
      });
    });
    ctx.pages(pages as any);

    const api = new Hono();
    api.get("/greetings", async (c) => ok(c, { plugin: "hello", greetings: await count() }));
    ctx.api(api as any);

    ctx.jobs.define("greet", {
      description: "Records a greeting (example job)",
      scope: "global",
      defaultCron: "*/5 * * * *",
      async handler({ log }) {
        await ctx.db
          .insertInto("hello_greetings")
          .values({ at: new Date().toISOString(), source: "job" })
          .execute();
        log("greeted");
        return `greetings so far: ${await count()}`;
      },
    });
  },
});
