/** The previews' operations: one declaration each, served on REST, the CLI and MCP. */
import { AppError, defineOperation, type OperationContext, z } from "../../server/sdk/index.ts";
import type { PreviewsService } from "./service.ts";
import type { PreviewsCtx } from "./settings.ts";

const byName = z.object({ name: z.string().min(1).describe("The preview's name") });

export function declarePreviewOperations(ctx: PreviewsCtx, svc: PreviewsService): void {
  /**
   * Previews are an instance's: the caller needs `role` on it. Unseen is the same as missing; seen
   * but not theirs to change is E_FORBIDDEN (as instanceRoute answers on the page).
   */
  async function mine(op: OperationContext, name: string, role: "viewer" | "operator") {
    const p = await svc.get(name);
    if (!(await op.can("viewer", p.instanceId)))
      throw new AppError("E_NOT_FOUND", `There is no preview ${name}`);
    if (!(await op.can(role, p.instanceId)))
      throw new AppError("E_FORBIDDEN", `Changing preview ${name} needs the ${role} role on its instance`, {
        hint: "An admin can grant it",
      });
    return p;
  }
  const long = (
    id: string,
    title: string,
    description: string,
    act: (n: string, actor: string) => Promise<{ operationId: string; done: Promise<unknown> }>,
  ) =>
    defineOperation({
      id: `previews.${id}`,
      title,
      description,
      input: byName,
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      longRunning: true,
      tags: ["previews"],
      async run(op, input) {
        await mine(op, input.name, "operator");
        op.audit({ target: input.name });
        return act(input.name, op.actor);
      },
    });

  ctx.operations.declare(
    defineOperation({
      id: "previews.template",
      title: "Create or refresh a preview template",
      description:
        "Copies the instance's database and filestore into a neutralized template previews are cloned from.",
      input: z.object({
        template: z.string().min(1).describe("Template name, e.g. acme"),
        repo: z
          .string()
          .min(1)
          .optional()
          .describe("Addons repository (git checkout on the server) of its previews"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      longRunning: true,
      tags: ["previews"],
      async run(op, input) {
        const existing = await svc.store.template(input.template);
        if (existing && existing.instanceId !== op.instance!.id)
          throw new AppError("E_CONFLICT", `Template ${existing.name} is made from another instance`, {
            hint: "Pick another name, or refresh that template from its own instance",
          });
        op.audit({ target: input.template });
        const o = svc.refreshTemplate(
          op.instance!,
          { name: input.template, repo: input.repo ?? null },
          op.actor,
        );
        return { operationId: o.id, done: o.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "previews.create",
      title: "New preview",
      description:
        "Clones a template (database TEMPLATE, hard-linked filestore), checks the branch out, starts Odoo and runs the smoke gate.",
      input: z.object({
        name: z.string().min(1),
        template: z.string().min(1),
        branch: z.string().min(1),
      }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      longRunning: true,
      tags: ["previews"],
      async run(op, input) {
        const tpl = await svc.store.template(input.template);
        if (!tpl || !(await op.can("operator", tpl.instanceId)))
          throw new AppError("E_NOT_FOUND", `There is no template ${input.template}`);
        op.audit({ target: input.name });
        const r = await svc.create({ ...input, owner: op.actor }, op.actor);
        return { operationId: r.operationId, preview: r.preview, done: r.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "previews.list",
      title: "List previews",
      description: "Previews with owner, status, smoke result and expiry.",
      input: z.object({}),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["previews"],
      async run(op) {
        const out = [];
        for (const p of await svc.store.list()) if (await op.can("viewer", p.instanceId)) out.push(p);
        return { previews: out };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "previews.get",
      title: "Show a preview",
      description: "One preview: status, failing step, smoke checks, modules.",
      input: byName,
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["previews"],
      run: (op, input) => mine(op, input.name, "viewer"),
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "previews.certificate",
      title: "Ask for a preview's certificate again",
      description:
        "Asks the ACME CA again now (after fixing DNS or port 80) instead of waiting for the next request; the result shows on the previews page.",
      input: byName,
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["previews"],
      async run(op, input) {
        const p = await mine(op, input.name, "operator");
        void svc.tls.ensure(p.name, { force: true });
        op.audit({ target: p.name });
        return { requested: p.name };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "previews.wildcard-certificate",
      title: "Ask for the previews' wildcard certificate again",
      description:
        "With DNS-01: runs the DNS hook and asks the ACME CA for *.<preview domain> now (after fixing the hook or the zone) instead of waiting for the next preview or the daily renewal; the result shows on the previews page.",
      input: z.object({}),
      // The hook is a command on odoodeck's machine the admin set: only an admin sets it off.
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["previews"],
      async run(op) {
        const s = await ctx.settings();
        if (s.preview_certificates !== "acme" || s.acme_challenge !== "dns-01" || !s.preview_domain.trim())
          throw new AppError("E_VALIDATION", "The previews' certificates are not a wildcard from DNS-01", {
            hint: "Set HTTPS certificates to acme, ACME challenge to dns-01 and the preview domain in the previews settings",
          });
        void svc.tls.ensureWildcard({ force: true });
        op.audit({ target: `*.${s.preview_domain.trim()}` });
        return { requested: `*.${s.preview_domain.trim()}` };
      },
    }),
  );
  ctx.operations.declare(
    long("reset", "Reset a preview", "Back to the template's data; the checkout stays.", svc.reset),
  );
  ctx.operations.declare(
    long("update", "Update a preview", "Newest commit of the branch; changed modules upgraded.", svc.update),
  );
  for (const [id, title, description, danger, act] of [
    [
      "promote",
      "Promote a preview to staging",
      "Keeps it: no expiry, never stopped to make room.",
      "mutating",
      (n: string) => svc.promote(n),
    ],
    [
      "wake",
      "Wake a preview",
      "Starts a stopped preview and waits until it answers.",
      "mutating",
      (n: string) => svc.wake(n),
    ],
    [
      "destroy",
      "Destroy a preview",
      "Drops its database, filestore, checkout, process and route.",
      "destructive",
      (n: string) => svc.destroy(n),
    ],
  ] as const)
    ctx.operations.declare(
      defineOperation({
        id: `previews.${id}`,
        title,
        description,
        input: byName,
        // Destructive: the executor asks the operator role on the preview's own instance.
        role: danger === "destructive" ? "operator" : "signed-in",
        scope: "global",
        ...(danger === "destructive"
          ? { instanceOf: async (i: { name: string }) => (await svc.store.get(i.name))?.instanceId ?? null }
          : {}),
        danger,
        confirmWord: (input: { name: string }) => input.name,
        confirmLabel: "the preview's name",
        tags: ["previews"],
        async run(op, input) {
          await mine(op, input.name, "operator");
          op.audit({ target: input.name });
          return { result: await act(input.name) };
        },
      }),
    );
}
