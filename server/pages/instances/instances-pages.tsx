import { Hono } from "hono";
import { ROLES } from "../../auth/roles.ts";
import { RuntimeSlot } from "../../runtime/runtime-view.tsx";
import type { Core } from "../../core.ts";
import { instanceDatabases, instanceStatus } from "../../instances/instance-status.ts";
import { type InstanceInput, listGrants } from "../../instances/instances.ts";
import { InstanceForm, StatusFacts, StatusPlaceholder } from "./instance-views.tsx";
import { addFormLink, DatabaseChoices, DatabasesPlaceholder, odooDatabasesOf } from "./conf-databases.tsx";
import { AppError, toAppError } from "../../errors.ts";
import type { InstanceRow } from "../../instances/registry.ts";
import type { AppContext, Env } from "../../sdk/types.ts";
import { Badge, bytes, Card, Flash, Form, ProdMarker, Table } from "../../../views/components/ui.tsx";
import { renderPage } from "../../http/render.tsx";
import { invokeOperation } from "../../operations/rest.ts";
import { instanceCards } from "../dashboard/dashboard.tsx";
import { OperationsTable } from "../operations/ops-pages.tsx";
import { formFlash } from "../../sdk/form-flash.ts";
import type { FlashMsg } from "../servers/servers-pages.tsx";
import { coreInstanceRoute, routeId } from "../../http/route-id.ts";

export const instanceFormInput = (f: Record<string, unknown>): InstanceInput => ({
  name: f.name as string,
  serverId: f.serverId as string,
  confPath: f.confPath as string,
  dbName: f.dbName as string | undefined,
  service: f.service as string | undefined,
  container: f.container as string | undefined,
  publicUrl: f.publicUrl as string | undefined,
  production: f.name !== undefined ? f.production === "on" || f.production === "1" : undefined,
  group: f.group as string | undefined,
  tags: f.tags as string | undefined,
});

/** A form's instance fields as an operation's input: tags as a list, fields not sent left out. */
function operationInput(input: InstanceInput): Record<string, unknown> {
  const tags =
    typeof input.tags === "string"
      ? input.tags
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean)
      : input.tags;
  return Object.fromEntries(Object.entries({ ...input, tags }).filter(([, v]) => v !== undefined));
}

/** A first name for a discovered instance: "/etc/odoo/odoo-prod.conf" → "prod", "~/.odoorc" → the folder's. */
export function nameFromConfPath(path: string): string {
  const parts = path.split("/").filter(Boolean);
  const file = (parts.at(-1) ?? "")
    .replace(/\.(conf|cfg)$/, "")
    .replace(/^\.?(odoorc|openerp_serverrc)$/, "");
  const name = file.replace(/^odoo[-_]?/, "") || parts.at(-2)?.replace(/^\./, "") || "odoo";
  return name.slice(0, 60);
}

export function instancesPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  const p = (c: AppContext) => c.get("principal");
  const admin = (c: AppContext) => core.requireRole(p(c), "admin");
  const idOf = (c: AppContext) => routeId(c, "instance");

  const listPage = async (c: AppContext, flash: FlashMsg = null, status = 200, draft: InstanceInput = {}) => {
    const servers = await core.registry.servers();
    const names = new Map(servers.map((s) => [s.id, s.name]));
    const rows: InstanceRow[] = [];
    for (const r of await core.registry.instanceRows())
      if (await core.can(p(c), "viewer", r.id)) rows.push(r);
    const q = c.req.query();
    const prefill: InstanceInput = {
      name: q.confPath ? nameFromConfPath(q.confPath) : undefined,
      serverId: q.server,
      confPath: q.confPath,
      service: q.service,
      container: q.container,
      dbName: q.dbName,
      ...draft,
    };
    return renderPage(core, c, {
      title: "Instances",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Instances</h1>
          <Card>
            <Table
              id="instances"
              rows={rows}
              empty="No instance yet."
              columns={[
                { label: "Name", render: (r) => <a href={`/instances/${r.id}`}>{r.name}</a> },
                {
                  label: "Server",
                  render: (r) => <a href={`/servers/${r.server_id}`}>{names.get(r.server_id)}</a>,
                },
                { label: "odoo.conf", render: (r) => <code>{r.conf_path}</code> },
                { label: "Database", render: (r) => r.db_name ?? <span class="muted">from odoo.conf</span> },
                { label: "", render: (r) => (r.production ? <ProdMarker /> : null) },
                { label: "Group", render: (r) => r.group_name ?? "" },
                { label: "Tags", render: (r) => (JSON.parse(r.tags) as string[]).join(", ") },
              ]}
            />
          </Card>
          {p(c)?.role === "admin" ? (
            <Card title="Add an instance" id="instance-form">
              {servers.length ? (
                <>
                  <p class="muted">
                    Or let odoodeck look for odoo.conf files:{" "}
                    {servers.map((s) => (
                      <>
                        <a href={`/servers/${s.id}/discover`}>discover on {s.name}</a>{" "}
                      </>
                    ))}
                  </p>
                  <InstanceForm servers={servers} value={prefill} />
                  {prefill.serverId && prefill.confPath ? (
                    <DatabasesPlaceholder
                      serverId={String(prefill.serverId)}
                      query={{ ...q, dbName: String(prefill.dbName ?? q.dbName ?? "") }}
                    />
                  ) : null}
                </>
              ) : (
                <p>
                  Add a server first: <a href="/servers">Servers</a>
                </p>
              )}
            </Card>
          ) : null}
        </div>
      ),
    });
  };

  const overview = async (c: AppContext, row: InstanceRow, flash: FlashMsg = null, status = 200) => {
    const server = await core.registry.server(row.server_id);
    const handle = core.registry.handle(row, server);
    const [slots, ops] = await Promise.all([instanceCards(core, handle), core.operations.list(10, row.id)]);
    const isAdmin = p(c)?.role === "admin";
    const grants = isAdmin ? await listGrants(core.db, row.id) : [];
    return renderPage(core, c, {
      title: row.name,
      instanceId: row.id,
      status,
      flash,
      body: (
        <div class="stack">
          <StatusPlaceholder row={row} />
          <RuntimeSlot instanceId={row.id} />
          {slots.length ? <Card title="At a glance">{slots}</Card> : null}
          <Card
            title="Databases"
            actions={
              <button
                class="secondary"
                hx-get={`/instances/${row.id}/databases`}
                hx-target="#databases"
                hx-swap="innerHTML"
              >
                Discover databases
              </button>
            }
          >
            <div id="databases" />
          </Card>
          <Card title="Recent operations" actions={<a href="/operations">All operations</a>}>
            <OperationsTable
              id="instance-ops"
              rows={ops}
              empty="Nothing has run on this instance yet."
              actorColumn
            />
          </Card>
          {isAdmin ? (
            <>
              <Card title="Access to this instance">
                <Table
                  id="grants"
                  rows={grants}
                  empty="Only the global roles apply."
                  columns={[
                    { label: "User", render: (g) => g.username },
                    { label: "Role here", render: (g) => g.role },
                  ]}
                />
                <Form action={`/instances/${row.id}/grants`} class="row">
                  <input name="username" placeholder="username" aria-label="Username" required />
                  <select name="role" aria-label="Role">
                    {[...ROLES, "none"].map((r) => (
                      <option value={r}>{r === "none" ? "none (remove)" : r}</option>
                    ))}
                  </select>
                  <button class="secondary">Set</button>
                </Form>
              </Card>
              <Card title="Edit">
                <InstanceForm servers={await core.registry.servers()} value={{}} row={row} />
              </Card>
              <Card title="Remove">
                <Form action={`/instances/${row.id}/delete`} class="row">
                  {row.production ? (
                    <input
                      name="confirm"
                      placeholder={`type ${row.name} to confirm`}
                      aria-label="Confirm the name"
                    />
                  ) : null}
                  <button
                    class="danger"
                    data-confirm={`Remove ${row.name} from odoodeck? Nothing on the server is touched.`}
                  >
                    Remove instance
                  </button>
                </Form>
              </Card>
            </>
          ) : null}
        </div>
      ),
    });
  };

  app.get("/instances", async (c) => {
    await core.requireRole(p(c), "viewer").catch(async (e) => {
      // Users with only per-instance grants still see the list of what they may view.
      if (p(c)?.role !== "none") throw e;
    });
    return listPage(c, c.req.query("removed") ? { kind: "ok", message: "Instance removed." } : null);
  });

  // The actions below run their operations (server/operations/inventory-ops.ts,
  // inventory-edit-ops.ts) through the executor: the same role, validation, refusal and audit
  // entry as REST, the CLI and MCP.
  const run = (c: AppContext, id: string, input: Record<string, unknown>) =>
    invokeOperation(core, c, id, input).then((r) => r.data);

  app.post("/instances/new", async (c) => {
    const f = await c.req.parseBody();
    const input = instanceFormInput(f);
    try {
      const row = (await run(c, "instances.add", operationInput(input))) as { id: number };
      return c.redirect(`/instances/${row.id}`, 303);
    } catch (e) {
      return listPage(c, formFlash(e), 400, input);
    }
  });

  app.get("/instances/:id", coreInstanceRoute(core, "viewer"), async (c) => {
    const id = c.var.instance.id;
    return overview(
      c,
      await core.registry.instanceRow(id),
      c.req.query("saved") ? { kind: "ok", message: "Saved." } : null,
    );
  });

  app.post("/instances/:id", async (c) => {
    const instance = idOf(c);
    const f = await c.req.parseBody();
    try {
      await run(c, "instances.edit", { instance, ...operationInput(instanceFormInput(f)) });
      return c.redirect(`/instances/${instance}?saved=1`, 303);
    } catch (e) {
      const flash = formFlash(e);
      return overview(c, await core.registry.instanceRow(instance), flash, 400);
    }
  });

  app.post("/instances/:id/delete", async (c) => {
    const instance = idOf(c);
    const f = await c.req.parseBody();
    try {
      // A production instance's form asks for its name; for the others the button's own
      // confirmation dialog is the confirmation, as it always was.
      const row = await core.registry.instanceRow(instance).catch(() => null);
      const confirm = row && !row.production ? row.name : String(f.confirm ?? "");
      await run(c, "instances.remove", { instance, confirm });
    } catch (e) {
      const flash = formFlash(e);
      return overview(c, await core.registry.instanceRow(instance), flash, 400);
    }
    return c.redirect("/instances?removed=1", 303);
  });

  app.post("/instances/:id/grants", async (c) => {
    const instance = idOf(c);
    const f = await c.req.parseBody();
    try {
      const { username } = (await run(c, "instances.grants.set", {
        instance,
        username: String(f.username ?? ""),
        role: String(f.role ?? ""),
      })) as { username: string };
      return overview(c, await core.registry.instanceRow(instance), {
        kind: "ok",
        message: `Access of ${username} updated.`,
      });
    } catch (e) {
      const flash = formFlash(e);
      return overview(c, await core.registry.instanceRow(instance), flash, 400);
    }
  });

  // The Odoo databases an odoo.conf reaches, to pick the instance's from (discovery, add form).
  app.get("/servers/:id/discover/databases", async (c) => {
    await admin(c);
    const server = await core.registry.server(idOf(c));
    const q = c.req.query();
    const confPath = String(q.confPath ?? "");
    if (!confPath.startsWith("/"))
      throw new AppError("E_VALIDATION", "The odoo.conf path must be absolute", {
        hint: "e.g. /etc/odoo/odoo.conf",
      });
    try {
      const dbs = await odooDatabasesOf(await core.registry.connection(server.id), confPath);
      return c.html(
        <DatabaseChoices
          dbs={dbs}
          picked={q.dbName}
          link={(db) => addFormLink(server.id, { ...q, dbName: db })}
        />,
      );
    } catch (e) {
      const err = toAppError(e);
      return c.html(<Flash kind="error" message={err.message} hint={err.hint} code={err.code} />);
    }
  });

  // The Status card's facts, fetched by the overview's placeholder once the page is in.
  app.get("/instances/:id/status", coreInstanceRoute(core, "viewer"), async (c) => {
    const id = c.var.instance.id;
    const row = await core.registry.instanceRow(id);
    const [server, st] = await Promise.all([
      core.registry.server(row.server_id),
      instanceStatus(core.registry, row),
    ]);
    return c.html(<StatusFacts row={row} server={server} st={st} />);
  });

  app.get("/instances/:id/databases", coreInstanceRoute(core, "operator"), async (c) => {
    const id = c.var.instance.id;
    const row = await core.registry.instanceRow(id);
    const dbs = await instanceDatabases(core.registry, row);
    const isAdmin = p(c)?.role === "admin";
    return renderPage(core, c, {
      title: `Databases of ${row.name}`,
      instanceId: id,
      body: (
        <Table
          id="database-list"
          rows={dbs}
          empty="The PostgreSQL user of this instance sees no database."
          columns={[
            { label: "Database", render: (d) => <strong>{d.name}</strong> },
            { label: "Size", render: (d) => bytes(d.sizeBytes), class: "num" },
            {
              label: "Odoo",
              render: (d) =>
                d.isOdoo ? (
                  <Badge kind="ok">{d.odooVersion ?? "yes"}</Badge>
                ) : d.isOdoo === false ? (
                  <Badge>not Odoo</Badge>
                ) : (
                  <Badge kind="warn">no access</Badge>
                ),
            },
            { label: "Owner", render: (d) => d.owner },
            {
              label: "",
              render: (d) =>
                isAdmin && d.isOdoo && d.name !== row.db_name ? (
                  <Form action={`/instances/${id}`} class="inline">
                    <input type="hidden" name="dbName" value={d.name} />
                    <button class="secondary">Use this database</button>
                  </Form>
                ) : d.name === row.db_name ? (
                  <Badge kind="info">in use</Badge>
                ) : null,
            },
          ]}
        />
      ),
    });
  });

  return app;
}
