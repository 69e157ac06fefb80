/** Pages at /p/previews and the webhooks at /pub/previews/hooks/<provider>/<template>. */
import { Hono } from "hono";
import { type AppContext, AppError, type Env, isAppError, masking } from "../../../server/sdk/index.ts";
import { inboxUrl } from "../build/mailbox.ts";
import { prPreviewName } from "../names.ts";
import { previewHealth } from "../serve/health.ts";
import { previewSubPages } from "./preview-routes.tsx";
import { paths } from "../build/runner.ts";
import type { PreviewsService } from "../service.ts";
import type { PreviewsCtx } from "../settings.ts";
import { templatePages } from "./template-routes.tsx";
import { domainOf } from "../serve/tls.ts";
import { HttpsStatus } from "../views/certificates.tsx";
import { NewPreviewForm, PreviewDetail, PreviewList, previewUrl } from "../views/pages.tsx";
import { type PrEvent, type Provider, parseEvent, statusRequest, verifySignature } from "./webhooks.ts";

async function urlOf(ctx: PreviewsCtx, svc: PreviewsService, name: string): Promise<string | null> {
  const s = await ctx.settings();
  return previewUrl({ name }, s.preview_domain, svc.tls.portFor(name));
}

export function previewPages(ctx: PreviewsCtx, svc: PreviewsService) {
  const app = new Hono<Env>();
  const form = async (c: AppContext) => (await c.req.parseBody()) as Record<string, string>;

  // Before "/:name": "templates" is a page, not a preview.
  app.route("/templates", templatePages(ctx, svc));
  app.route("/", previewSubPages(ctx, svc));

  app.get("/", async (c) => {
    const principal = await ctx.auth.require(c, "viewer");
    const visible = [];
    for (const p of await svc.store.list())
      if (await ctx.auth.can(principal, "viewer", p.instanceId)) visible.push(p);
    const s = await ctx.settings();
    return ctx.views.page(c, {
      title: "Previews",
      body: (
        <div>
          <h1>Previews</h1>
          <PreviewList previews={visible} domain={s.preview_domain} httpsPortOf={(n) => svc.tls.portFor(n)} />
          <HttpsStatus
            mode={s.preview_certificates}
            challenge={s.acme_challenge}
            domain={domainOf(s)}
            error={svc.tls.error()}
            certificates={s.preview_certificates === "acme" ? await svc.tls.certificates() : []}
          />
          <p>
            <a href="/p/previews/templates">Templates</a> previews are cloned from
          </p>
          <h2>New preview</h2>
          <NewPreviewForm templates={await svc.store.templates()} />
        </div>
      ),
    });
  });

  // The forms run the previews.* operations (ctx.operations.invoke): role, the one audit entry and
  // the refusals are those of REST /ops, the CLI and MCP.
  app.post("/new", async (c) => {
    const b = await form(c);
    const r = await ctx.operations.invoke(c, "previews.create", {
      name: String(b.name ?? ""),
      template: String(b.template ?? ""),
      branch: String(b.branch ?? ""),
    });
    return c.redirect(`/p/previews/${(r.data as { preview: string }).preview}`, 303);
  });

  // DNS-01: runs the DNS hook and asks the CA for the wildcard again now (after fixing the hook or
  // the zone), not waiting for the next preview or the daily renewal.
  app.post("/wildcard-certificate", async (c) => {
    await ctx.operations.invoke(c, "previews.wildcard-certificate", {});
    return c.redirect("/p/previews", 303);
  });

  /** A preview's page; `flash` (with `status`) when a form on it was refused. */
  async function detailPage(
    c: AppContext,
    name: string,
    flash: { kind: "error"; message: string; hint?: string; code?: string } | null = null,
    status = 200,
  ) {
    const p = await svc.get(name);
    const who = await ctx.auth.require(c, "viewer", p.instanceId);
    const inst = await ctx.instances.get(p.instanceId);
    const conn = await inst.connection();
    const st = await conn.stat(paths(p.workDir).initLog);
    const initLog = st ? await new Response(conn.readFile(paths(p.workDir).initLog)).text() : "";
    return ctx.views.page(c, {
      title: `Preview ${p.name}`,
      flash,
      status,
      body: (
        <PreviewDetail
          p={p}
          url={await urlOf(ctx, svc, p.name)}
          initLog={masking.maskText(initLog.slice(-64 * 1024))}
          canWrite={await ctx.auth.can(who, "operator", p.instanceId)}
          health={await previewHealth(svc, p)}
          links={{
            logs: `/p/previews/${p.name}/logs`,
            modules: `/p/previews/${p.name}/modules`,
            mails: inboxUrl(ctx, p),
          }}
        />
      ),
    });
  }
  app.get("/:name", (c) => detailPage(c, c.req.param("name")));

  // Asks the ACME CA again now (after fixing DNS or the port), not waiting for the next request.
  app.post("/:name/certificate", async (c) => {
    await ctx.operations.invoke(c, "previews.certificate", { name: c.req.param("name") });
    return c.redirect("/p/previews", 303);
  });

  for (const action of ["update", "reset", "promote"] as const)
    app.post(`/:name/${action}`, async (c) => {
      const name = c.req.param("name");
      await ctx.operations.invoke(c, `previews.${action}`, { name });
      return c.redirect(`/p/previews/${name}`, 303);
    });

  // previews.destroy asks for the preview's name: what the user typed is passed as it is (nothing
  // typed is no confirmation). A wrong name brings the preview's page back with the refusal.
  app.post("/:name/destroy", async (c) => {
    const name = c.req.param("name");
    const b = await form(c);
    try {
      await ctx.operations.invoke(c, "previews.destroy", { name, confirm: String(b.confirm ?? "").trim() });
    } catch (e) {
      if (!isAppError(e) || e.code !== "E_CONFIRMATION") throw e;
      return detailPage(
        c,
        name,
        {
          kind: "error",
          code: e.code,
          message: `Preview ${name} was not destroyed: the name typed is not ${name}`,
          hint: `Type ${name} in the field beside Destroy`,
        },
        400,
      );
    }
    return c.redirect("/p/previews", 303);
  });
  return app;
}

/** Webhooks: signature first; then the action; the provider hears back through a commit status. */
export function previewHooks(ctx: PreviewsCtx, svc: PreviewsService) {
  const app = new Hono<Env>();
  app.post("/hooks/:provider/:template", async (c) => {
    const provider = c.req.param("provider") as Provider;
    if (!["github", "gitlab", "gitea"].includes(provider))
      throw new AppError("E_NOT_FOUND", "Unknown provider");
    const body = await c.req.text();
    const s = await ctx.settings();
    if (!verifySignature(provider, s.webhook_secret, c.req.raw.headers, body)) {
      await ctx.audit(
        { actor: `webhook:${provider}` },
        { action: "previews.webhook", result: "error", details: { code: "E_FORBIDDEN" } },
      );
      throw new AppError("E_FORBIDDEN", "The webhook signature does not match", {
        hint: "Set the same secret in the provider's webhook and in the previews settings",
      });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      throw new AppError("E_BAD_JSON");
    }
    const ev = parseEvent(provider, c.req.raw.headers, payload);
    if (!ev || ev.action === "ignore") return c.json({ ok: true, data: { ignored: true } });
    const template = c.req.param("template");
    const tpl = await svc.store.template(template);
    if (!tpl) throw new AppError("E_NOT_FOUND", `There is no template ${template}`);
    const name = prPreviewName(template, ev.number);
    const actor = `webhook:${provider}`;
    const exists = !!(await svc.store.get(name));
    let done: Promise<unknown> | null = null;
    if (ev.action === "close") {
      if (exists) await svc.destroy(name);
    } else if (ev.action === "sync" && exists) done = (await svc.update(name, actor)).done;
    else if (!exists)
      done = (
        await svc.create(
          { name, template, branch: ev.branch, owner: actor, source: { provider, ...ev } },
          actor,
        )
      ).done;
    await ctx.audit(
      { actor },
      { action: `previews.webhook.${ev.action}`, target: name, instanceId: tpl.instanceId },
    );
    if (done) void done.then(() => reportStatus(ctx, svc, provider, ev, name));
    return c.json({ ok: true, data: { preview: name, action: ev.action } }, 202);
  });
  return app;
}

/** Posts the smoke result as a commit status; a provider that refuses it is logged, not retried. */
async function reportStatus(
  ctx: PreviewsCtx,
  svc: PreviewsService,
  provider: Provider,
  ev: PrEvent,
  name: string,
) {
  const s = await ctx.settings();
  const p = await svc.store.get(name);
  const passed = p?.status === "running" && !!p.smoke?.ok;
  const url = (await urlOf(ctx, svc, name)) ?? "";
  const req = statusRequest(provider, s.status_api_base, s.status_api_token, ev, {
    state: passed ? "success" : "failure",
    url,
    description: passed ? "Preview ready, smoke test passed" : `Preview failed at ${p?.failedStep ?? "?"}`,
  });
  try {
    const res = await fetch(req.url, { ...req.init, signal: AbortSignal.timeout(15_000) });
    if (!res.ok) ctx.log.warn(`${provider} refused the commit status for ${name}: HTTP ${res.status}`);
  } catch (e) {
    ctx.log.warn(`The commit status for ${name} could not be sent: ${(e as Error).message}`);
  }
}
