import { Hono } from "hono";
import { visibleTo } from "../../auth/visible.ts";
import type { Core } from "../../core.ts";
import { isAppError } from "../../errors.ts";
import { discoverOdooConfs } from "../../odoo/discovery.ts";
import type { probeServer } from "../../instances/server-probe.ts";
import { DatabasesPlaceholder } from "../instances/conf-databases.tsx";
import { ProbeReport } from "./probe-view.tsx";
import type { ServerRow } from "../../instances/registry.ts";
import { serverFormInput } from "../../instances/server-fields.ts";
import type { AppContext, Env } from "../../sdk/types.ts";
import { Badge, Card, Field, Flash, Form, Select, Table, Time } from "../../../views/components/ui.tsx";
import { renderPage } from "../../http/render.tsx";
import { isHtmx } from "../../http/respond.ts";
import { routeId } from "../../http/route-id.ts";
import { formFlash } from "../../sdk/form-flash.ts";
import { invokeOperation } from "../../operations/rest.ts";

export type FlashMsg = { kind: "ok" | "error" | "info"; message: string; hint?: string } | null;

function TextArea(p: { label: string; name: string; hint?: string; placeholder?: string }) {
  return (
    <label class="field">
      <span>{p.label}</span>
      <textarea name={p.name} rows={5} placeholder={p.placeholder} spellcheck={false} autocomplete="off" />
      {p.hint ? <small>{p.hint}</small> : null}
    </label>
  );
}

/** Add/edit form. Secrets are never put back into the page: a stored one reads “set — leave blank to keep”. */
function ServerForm(p: { row?: ServerRow; servers: ServerRow[] }) {
  const r = p.row;
  const keep = (has: boolean) => (has ? "set — leave blank to keep" : undefined);
  const stored = !!r?.secret;
  return (
    <Form action={r ? `/servers/${r.id}` : "/servers/new"} id="server-form">
      <Field label="Name" name="name" value={r?.name} required placeholder="e.g. erp-prod" />
      <Select
        label="Kind"
        name="kind"
        options={[
          { value: "ssh", label: "SSH (a remote server)" },
          { value: "local", label: "local (the machine odoodeck runs on)" },
        ]}
        value={r?.kind ?? (p.servers.some((s) => s.kind === "local") ? "ssh" : "local")}
      />
      {/* Hidden by CSS while "local" is picked: the local machine needs no SSH settings. */}
      <div class="ssh-only">
        <Field label="Host" name="host" value={r?.host ?? undefined} placeholder="erp.example.com" />
        <Field label="Port" name="port" type="number" value={r?.port ?? 22} min={1} max={65535} />
        <Field label="User" name="username" value={r?.username ?? undefined} placeholder="odoo" />
        <TextArea
          label="Private key"
          name="privateKey"
          placeholder={
            stored && r?.auth === "key" ? "set — leave blank to keep" : "-----BEGIN OPENSSH PRIVATE KEY-----"
          }
          hint="OpenSSH or PEM private key; stored encrypted, never shown again"
        />
        <Field
          label="Key passphrase"
          name="passphrase"
          type="password"
          autocomplete="new-password"
          placeholder={keep(stored)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          placeholder={keep(stored && r?.auth === "password")}
          hint="Only when no key is used"
        />
        <Select
          label="Jump server"
          name="jumpServerId"
          options={[
            { value: "", label: "none (direct)" },
            ...p.servers
              .filter((s) => s.kind === "ssh" && s.id !== r?.id && s.jump_server_id == null)
              .map((s) => ({ value: String(s.id), label: s.name })),
          ]}
          value={r?.jump_server_id ? String(r.jump_server_id) : ""}
        />
      </div>
      <Field label="Group" name="group" value={r?.group_name ?? undefined} placeholder="e.g. Clients" />
      <button>{r ? "Save" : "Add server"}</button>
    </Form>
  );
}

export function serversPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  const isAdmin = (c: AppContext) => c.get("principal")?.role === "admin";

  const listPage = async (c: AppContext, flash: FlashMsg = null, status = 200) => {
    const servers = await core.registry.servers();
    const byId = new Map(servers.map((s) => [s.id, s]));
    return renderPage(core, c, {
      title: "Servers",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Servers</h1>
          <Card title="Where Odoo runs">
            <Table
              id="servers"
              rows={servers}
              empty="No server yet."
              columns={[
                { label: "Name", render: (s) => <a href={`/servers/${s.id}`}>{s.name}</a> },
                { label: "Kind", render: (s) => <Badge kind="info">{s.kind}</Badge> },
                {
                  label: "Host",
                  render: (s) =>
                    s.kind === "local" ? (
                      <span class="muted">this machine</span>
                    ) : (
                      <span class="mono">
                        {s.username}@{s.host}:{s.port}
                        {s.jump_server_id ? ` via ${byId.get(s.jump_server_id)?.name ?? "?"}` : ""}
                      </span>
                    ),
                },
                {
                  label: "Host key",
                  render: (s) =>
                    s.pending_host_key ? (
                      <Badge kind="error">changed — review</Badge>
                    ) : s.host_key ? (
                      <code class="mono">{s.host_key}</code>
                    ) : (
                      <span class="muted">{s.kind === "ssh" ? "pinned on first connection" : "—"}</span>
                    ),
                },
                { label: "Group", render: (s) => s.group_name ?? "" },
                { label: "Added", render: (s) => <Time at={s.created_at} /> },
              ]}
            />
          </Card>
          {isAdmin(c) ? (
            <Card title="Add a server">
              <ServerForm servers={servers} />
            </Card>
          ) : null}
        </div>
      ),
    });
  };

  const serverPage = async (
    c: AppContext,
    row: ServerRow,
    flash: FlashMsg = null,
    status = 200,
    probe: unknown = null,
  ) => {
    const servers = await core.registry.servers();
    const instances = (
      await visibleTo(core, c.get("principal"), await core.registry.instanceRows(), (i) => i.id)
    ).filter((i) => i.server_id === row.id);
    return renderPage(core, c, {
      title: `Server ${row.name}`,
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Server {row.name}</h1>
          {row.pending_host_key ? (
            <Flash
              kind="error"
              message={`The host key changed: pinned ${row.host_key}, presented ${row.pending_host_key}`}
              hint="Run “Test connection” to review; an admin can accept the new key"
            />
          ) : null}
          <Card
            title="Connection"
            actions={
              <Form
                action={`/servers/${row.id}/test`}
                class="inline"
                attrs={{
                  "hx-post": `/servers/${row.id}/test`,
                  "hx-target": "#probe-area",
                  "hx-swap": "innerHTML",
                }}
              >
                <button class="secondary">Test connection</button>
              </Form>
            }
          >
            <p class="mono">
              {row.kind === "local"
                ? "this machine (no SSH)"
                : `${row.username}@${row.host}:${row.port} · host key ${row.host_key ?? "not pinned yet"}`}
            </p>
            <div id="probe-area">{probe as any}</div>
          </Card>
          <Card
            title="Instances on this server"
            actions={
              <a class="button" href={`/servers/${row.id}/discover`}>
                Discover instances
              </a>
            }
          >
            <Table
              rows={instances}
              empty="None yet."
              columns={[
                { label: "Instance", render: (i) => <a href={`/instances/${i.id}`}>{i.name}</a> },
                { label: "odoo.conf", render: (i) => <code>{i.conf_path}</code> },
              ]}
            />
          </Card>
          {isAdmin(c) ? (
            <>
              <Card title="Edit">
                <ServerForm row={row} servers={servers} />
              </Card>
              <Card title="Remove">
                <Form action={`/servers/${row.id}/delete`} class="inline">
                  <button
                    class="danger"
                    data-confirm={`Remove server ${row.name}? Nothing on it is touched.`}
                  >
                    Remove server
                  </button>
                </Form>
              </Card>
            </>
          ) : null}
        </div>
      ),
    });
  };

  const idOf = (c: AppContext) => routeId(c, "server");

  app.get("/servers", async (c) => {
    await core.requireRole(c.get("principal"), "viewer");
    return listPage(c, c.req.query("removed") ? { kind: "ok", message: "Server removed." } : null);
  });

  // The actions below run their operations (server/operations/inventory-ops.ts,
  // inventory-edit-ops.ts) through the executor: the same role, validation, refusal and audit
  // entry as REST, the CLI and MCP.
  const run = (c: AppContext, id: string, input: Record<string, unknown>) =>
    invokeOperation(core, c, id, input).then((r) => r.data);

  app.post("/servers/new", async (c) => {
    const f = await c.req.parseBody();
    try {
      const row = (await run(c, "servers.add", serverFormInput(f))) as { id: number };
      return c.redirect(`/servers/${row.id}?added=1`, 303);
    } catch (e) {
      return listPage(c, formFlash(e), 400);
    }
  });

  app.get("/servers/:id", async (c) => {
    await core.requireRole(c.get("principal"), "viewer");
    const row = await core.registry.server(idOf(c));
    const q = c.req.query();
    return serverPage(
      c,
      row,
      q.added
        ? {
            kind: "ok",
            message:
              row.kind === "local"
                ? "Server added. Next: discover the Odoo instances on it."
                : "Server added. Test the connection to pin its host key, then discover its instances.",
          }
        : q.saved
          ? { kind: "ok", message: "Saved." }
          : null,
    );
  });

  app.post("/servers/:id", async (c) => {
    const server = idOf(c);
    const f = await c.req.parseBody();
    try {
      await run(c, "servers.edit", { server, ...serverFormInput(f) });
      return c.redirect(`/servers/${server}?saved=1`, 303);
    } catch (e) {
      const flash = formFlash(e);
      return serverPage(c, await core.registry.server(server), flash, 400);
    }
  });

  app.post("/servers/:id/delete", async (c) => {
    const server = idOf(c);
    try {
      await run(c, "servers.remove", { server });
    } catch (e) {
      const flash = formFlash(e);
      return serverPage(c, await core.registry.server(server), flash, 409);
    }
    return c.redirect("/servers?removed=1", 303);
  });

  app.post("/servers/:id/test", async (c) => {
    const id = idOf(c);
    const probe = (await run(c, "servers.test", { server: id })) as Awaited<ReturnType<typeof probeServer>>;
    const report = <ProbeReport serverId={id} probe={probe} admin={isAdmin(c)} />;
    if (isHtmx(c)) return renderPage(core, c, { title: "Test connection", body: report });
    return serverPage(c, await core.registry.server(id), null, 200, report);
  });

  app.post("/servers/:id/accept-key", async (c) => {
    const server = idOf(c);
    try {
      const { hostKey } = (await run(c, "servers.accept-key", { server })) as { hostKey: string };
      return serverPage(c, await core.registry.server(server), {
        kind: "ok",
        message: `New host key accepted: ${hostKey}`,
      });
    } catch (e) {
      const flash = formFlash(e);
      return serverPage(c, await core.registry.server(server), flash, 400);
    }
  });

  app.get("/servers/:id/discover", async (c) => {
    await core.requireRole(c.get("principal"), "operator");
    const row = await core.registry.server(idOf(c));
    let found: Awaited<ReturnType<typeof discoverOdooConfs>> = [];
    let flash: FlashMsg = null;
    try {
      found = await discoverOdooConfs(await core.registry.connection(row.id));
    } catch (e) {
      await core.registry.noteFailure(row.id, e);
      if (!isAppError(e)) throw e;
      flash = { kind: "error", message: e.message, hint: e.hint };
    }
    const fill = (x: (typeof found)[number]) =>
      `/instances?${new URLSearchParams({
        server: String(row.id),
        confPath: x.confPath,
        ...(x.serviceName ? { service: x.serviceName } : {}),
        ...(x.container ? { container: x.container } : {}),
      })}#instance-form`;
    return renderPage(core, c, {
      title: `Discover on ${row.name}`,
      flash,
      body: (
        <div class="stack">
          <h1>odoo.conf files on {row.name}</h1>
          <Card title={found.length ? `Found ${found.length}` : "Nothing found"}>
            <Table
              id="candidates"
              rows={found}
              empty="No odoo.conf in /etc, systemd units, running processes, Docker containers or ~/.odoorc."
              columns={[
                { label: "odoo.conf", render: (x) => <code class="wrap">{x.confPath}</code> },
                { label: "Found in", render: (x) => x.source },
                { label: "Service", render: (x) => x.serviceName ?? "", class: "hide-narrow" },
                { label: "Container", render: (x) => x.container ?? "", class: "hide-narrow" },
                { label: "Runs as", render: (x) => x.user ?? "", class: "hide-narrow" },
                {
                  label: "Odoo databases",
                  render: (x) =>
                    isAdmin(c) ? (
                      <DatabasesPlaceholder
                        serverId={String(row.id)}
                        query={{ confPath: x.confPath, service: x.serviceName, container: x.container }}
                      />
                    ) : null,
                },
                {
                  label: "",
                  render: (x) => (
                    <a class="button" href={fill(x)}>
                      Add this instance
                    </a>
                  ),
                },
              ]}
            />
          </Card>
          <Card title="Add manually" id="add-manually">
            <p class="muted">Odoo elsewhere? Give the path of its config file on {row.name}.</p>
            <form action="/instances" method="get" class="row">
              <input type="hidden" name="server" value={String(row.id)} />
              <input
                name="confPath"
                placeholder="/opt/odoo/odoo.conf"
                aria-label="Path of odoo.conf"
                required
                pattern="/.*"
              />
              <button class="secondary">Add manually</button>
            </form>
          </Card>
        </div>
      ),
    });
  });

  return app;
}
