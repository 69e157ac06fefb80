/**
 * A plugin route that calls its own declared operation (`ctx.operations.invoke`) goes through
 * the core's one executor: the same role check, validation errors and audit entry as REST, only
 * the surface says where the call came from.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Hono } from "hono";
import { definePlugin, defineOperation, type Env, ok, z } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

let bumps = 0;
const bump = defineOperation({
  id: "tally.bump",
  title: "Bump the tally",
  description: "Adds n to the tally",
  input: z.object({ n: z.number().int().min(1).describe("How much") }),
  role: "operator",
  scope: "global",
  danger: "mutating",
  tags: ["tally"],
  async run(op, input) {
    bumps += input.n;
    op.audit({ target: "tally", total: bumps });
    return { total: bumps };
  },
});

const tally = definePlugin({
  id: "tally",
  name: "Tally",
  version: "1.0.0",
  sdk: "^2",
  register(ctx) {
    ctx.operations.declare(bump);
    const pages = new Hono<Env>();
    pages.post("/bump", async (c) => {
      const form = await c.req.parseBody();
      const r = await ctx.operations.invoke(c, "tally.bump", { n: Number(form.n) });
      return c.text(`total ${(r.data as { total: number }).total}`);
    });
    const api = new Hono<Env>();
    api.post("/bump", async (c) =>
      ok(c, (await ctx.operations.invoke(c, "tally.bump", await c.req.json())).data),
    );
    api.post("/nothing", async (c) => ok(c, (await ctx.operations.invoke(c, "tally.nothing", {})).data));
    ctx.pages(pages);
    ctx.api(api);
  },
});

let t: TestApp;
let operator: TestClient;
let viewer: TestClient;

beforeAll(async () => {
  t = await startTestApp({ plugins: [tally] });
  operator = await t.client("operator", "olga");
  viewer = await t.client("viewer", "victor");
});
afterAll(async () => {
  await t?.stop();
});

const entries = () =>
  t.core.db
    .selectFrom("audit_log")
    .select(["action", "actor", "target", "result", "details"])
    .where("action", "=", "tally.bump")
    .orderBy("id")
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, details: JSON.parse(r.details ?? "{}") })));

test("a page route calling its operation leaves the audit entry REST leaves, surface aside", async () => {
  const rest = await operator.postJson("/api/v1/ops/tally.bump", { n: 2 });
  expect(rest.body.data).toEqual({ total: 2 });
  await operator.page("/");
  const page = await operator.post("/p/tally/bump", { n: "3" });
  expect(await page.text()).toBe("total 5");
  const [viaRest, viaPage] = await entries();
  expect(viaRest).toMatchObject({ action: "tally.bump", actor: "olga", target: "tally", result: "ok" });
  expect(viaRest.details).toMatchObject({ surface: "api", input: { n: 2 }, total: 2 });
  const { surface, input, total, ...same } = viaPage.details;
  expect([surface, input, total]).toEqual(["page", { n: 3 }, 5]);
  const { surface: _s, input: _i, total: _t, ...restSame } = viaRest.details;
  expect(same).toEqual(restSame);
  expect({ ...viaPage, details: null }).toEqual({ ...viaRest, details: null });
});

test("a JSON route calling its operation answers the errors REST answers, and audits the refusal", async () => {
  for (const [who, body] of [
    [viewer, { n: 1 }],
    [operator, { n: 0 }],
    [operator, { n: 1, extra: true }],
  ] as const) {
    const rest = await who.postJson("/api/v1/ops/tally.bump", body);
    const route = await who.postJson("/api/v1/tally/bump", body);
    expect(rest.body.ok).toBe(false);
    expect([route.status, route.body]).toEqual([rest.status, rest.body]);
  }
  const refused = (await entries()).filter((e) => e.result === "error");
  expect(refused.map((e) => [e.actor, e.details.errorCode, e.details.surface])).toEqual([
    ["victor", "E_FORBIDDEN", "api"],
    ["victor", "E_FORBIDDEN", "api"],
    ["olga", "E_VALIDATION", "api"],
    ["olga", "E_VALIDATION", "api"],
    ["olga", "E_VALIDATION", "api"],
    ["olga", "E_VALIDATION", "api"],
  ]);
  expect(bumps).toBe(5);
});

test("an operation that is not live is E_NOT_FOUND with a hint, not a crash", async () => {
  const r = await operator.postJson("/api/v1/tally/nothing", {});
  expect(r.status).toBe(404);
  expect(r.body.error).toMatchObject({ code: "E_NOT_FOUND", message: "No operation tally.nothing" });
});
