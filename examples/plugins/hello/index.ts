/**
 * A third-party odoodeck plugin, as someone outside the project would write it. Copy this folder
 * to <data>/plugins/hello/ and restart odoodeck: it adds a page, a JSON route, a scheduled job,
 * a table of its own, an error code and one operation — "hello.greet", which the core serves as
 * `POST /api/v1/ops/hello.greet` (in the OpenAPI document), `odoodeck hello greet --name Ann`
 * and the MCP tool `hello_greet`. It imports nothing but "odoodeck/sdk" and "hono", so it declares
 * no capabilities. Plugins are not sandboxed: one that imports node:fs or runs programs can do
 * anything odoodeck can, so it says so in `capabilities` and the Plugins page shows it.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { defineOperation, definePlugin, ok, z } from "odoodeck/sdk";

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
  cli: [
    {
      name: "hello count",
      summary: "How many greetings were recorded",
      async run(_args, ctx) {
        const r = await ctx.db
          .selectFrom("hello_greetings")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirst();
        console.log(`greetings: ${Number(r?.n ?? 0)}`);
      },
    },
  ],
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

    const shy = ctx.errors.define("E_HELLO_SHY", { status: 422, message: "Nobody to greet" });
    ctx.operations.declare(
      defineOperation({
        id: "hello.greet",
        title: "Greet someone",
        description: "Records a greeting and answers with it.",
        input: z.object({ name: z.string().max(80).describe("Who to greet") }),
        output: z.object({ text: z.string(), greetings: z.number() }),
        role: "operator",
        scope: "global",
        danger: "mutating",
        tags: ["hello"],
        async run(op, input) {
          if (!input.name.trim()) throw shy("Give a name to greet", { hint: "--name Ann" });
          const { greeting } = await ctx.settings();
          await ctx.db
            .insertInto("hello_greetings")
            .values({ at: new Date().toISOString(), source: op.surface })
            .execute();
          return { text: `${greeting}, ${input.name}!`, greetings: await count() };
        },
      }),
    );

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
