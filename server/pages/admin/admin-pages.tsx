import { audited as sdkAudited } from "../../sdk/audited.ts";
import { formFlash } from "../../sdk/form-flash.ts";
import { Hono } from "hono";
import { queryAudit, recordAudit } from "../../auth/audit.ts";
import { ROLES } from "../../auth/roles.ts";
import { listTokens } from "../../auth/tokens.ts";
import { listUsers } from "../../auth/users.ts";
import type { Core } from "../../core.ts";
import type { PluginRecord } from "../../plugin-host/host.ts";
import type { AppContext, AuditEntry, Env, PageOptions, SettingsSchema } from "../../sdk/types.ts";
import {
  Badge,
  Card,
  Field,
  Flash,
  Form,
  Select,
  StatusBadge,
  Table,
  Time,
} from "../../../views/components/ui.tsx";
import { clientIp } from "../../http/client-ip.ts";
import { renderPage } from "../../http/render.tsx";
import { invokeOperation } from "../../operations/rest.ts";
import { limitsText, TokenLimitFields, tokenLimitsFrom, visibleInstances } from "../tokens/token-limits.tsx";

export function auditFrom(core: Core, c: AppContext, entry: AuditEntry) {
  const p = c.get("principal");
  return recordAudit(
    core.db,
    {
      actor: p?.username ?? "anonymous",
      actorId: p?.userId ?? null,
      ip: clientIp(c, core.config.trustProxy),
    },
    entry,
  );
}

/** The core's pages' `audited`: the SDK's one wrapper, writing through the core's audit log. */
export function audited<T>(core: Core, c: AppContext, entry: AuditEntry, fn: () => Promise<T>): Promise<T> {
  return sdkAudited({ audit: (_who, e) => auditFrom(core, c, e) }, c, entry, fn);
}

export function adminPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  const admin = (c: AppContext) => core.requireRole(c.get("principal"), "admin");

  // ---- users
  const usersPage = async (c: AppContext, flash: PageOptions["flash"] = null, status = 200) => {
    const users = await listUsers(core.db);
    const locked = new Set((await core.limiter.locks()).map((l) => l.username));
    return renderPage(core, c, {
      title: "Users",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Users</h1>
          <Card title="People who can sign in">
            <Table
              id="users"
              rows={users}
              columns={[
                { label: "Username", render: (u) => u.username },
                {
                  label: "Role",
                  render: (u) => <Badge kind={u.role === "admin" ? "info" : "muted"}>{u.role}</Badge>,
                },
                {
                  label: "Status",
                  render: (u) => (
                    <>
                      {u.disabled ? <Badge kind="error">disabled</Badge> : <Badge kind="ok">active</Badge>}
                      {locked.has(u.username.toLowerCase()) ? (
                        <Form action={`/users/${u.id}/unlock`} class="inline">
                          <Badge kind="warn">sign-in locked</Badge>{" "}
                          <button class="secondary" aria-label={`Unlock ${u.username}`}>
                            Unlock
                          </button>
                        </Form>
                      ) : null}
                    </>
                  ),
                },
                { label: "Created", render: (u) => <Time at={u.created_at} /> },
                {
                  label: "Change",
                  render: (u) => (
                    <Form action={`/users/${u.id}`} class="row">
                      <select name="role" aria-label={`Role of ${u.username}`}>
                        {ROLES.map((r) => (
                          <option value={r} selected={r === u.role}>
                            {r}
                          </option>
                        ))}
                      </select>
                      <select name="disabled" aria-label={`Status of ${u.username}`}>
                        <option value="0" selected={!u.disabled}>
                          active
                        </option>
                        <option value="1" selected={!!u.disabled}>
                          disabled
                        </option>
                      </select>
                      <button class="secondary">Save</button>
                    </Form>
                  ),
                },
              ]}
            />
          </Card>
          <Card title="Add a user">
            <Form action="/users/new">
              <Field label="Username" name="username" required />
              <Field
                label="Initial password"
                name="password"
                type="password"
                required
                hint="At least 10 characters; they can change it on their account page"
              />
              <Select
                label="Role"
                name="role"
                options={ROLES}
                value="viewer"
                hint="admin: everything · operator: run operations · viewer: read only"
              />
              <button>Add user</button>
            </Form>
          </Card>
        </div>
      ),
    });
  };
  app.get("/users", async (c) => {
    await admin(c);
    return usersPage(
      c,
      c.req.query("added") ? { kind: "ok", message: `User ${c.req.query("added")} added.` } : null,
    );
  });
  // These run their operations (server/operations/user-ops.ts) through the executor: the same
  // role, validation and audit entry as REST, the CLI and MCP.
  const run = (c: AppContext, id: string, input: Record<string, unknown>) =>
    invokeOperation(core, c, id, input).then((r) => r.data);
  app.post("/users/new", async (c) => {
    const f = await c.req.parseBody();
    try {
      const u = (await run(c, "users.add", {
        username: String(f.username ?? ""),
        password: String(f.password ?? ""),
        role: String(f.role ?? ""),
      })) as { username: string };
      return c.redirect(`/users?added=${encodeURIComponent(u.username)}`, 303);
    } catch (e) {
      return usersPage(c, formFlash(e), 400);
    }
  });
  app.post("/users/:id", async (c) => {
    const f = await c.req.parseBody();
    try {
      await run(c, "users.role", {
        user: Number(c.req.param("id")),
        role: String(f.role ?? ""),
        disabled: f.disabled === "1",
      });
      return usersPage(c, { kind: "ok", message: "User updated." });
    } catch (e) {
      return usersPage(c, formFlash(e), 400);
    }
  });
  app.post("/users/:id/password", async (c) => {
    const f = await c.req.parseBody();
    await run(c, "users.passwd", { user: Number(c.req.param("id")), password: String(f.password ?? "") });
    return usersPage(c, { kind: "ok", message: "Password reset; the user was signed out everywhere." });
  });

  app.post("/users/:id/unlock", async (c) => {
    const { username, lockedAddresses: pairs } = (await run(c, "users.unlock", {
      user: Number(c.req.param("id")),
    })) as { username: string; lockedAddresses: number };
    return usersPage(c, {
      kind: "ok",
      message: `${username} can sign in again (${pairs} locked address${pairs === 1 ? "" : "es"} cleared).`,
    });
  });

  // ---- tokens
  const tokensPage = async (
    c: AppContext,
    created: { name: string; token: string } | null = null,
    flash: PageOptions["flash"] = null,
  ) => {
    const p = c.get("principal")!;
    const tokens = await listTokens(core.db, p.role === "admin" ? undefined : p.userId);
    const instances = await visibleInstances(core, p);
    const names = new Map((await core.registry.instanceRows()).map((i) => [i.id, i.name]));
    return renderPage(core, c, {
      title: "API tokens",
      flash,
      body: (
        <div class="stack">
          <h1>API tokens</h1>
          {created ? (
            <Card title="Copy your new token now" class="token-created">
              <p>It is shown this once and stored only as a hash.</p>
              <pre class="log" id="new-token">
                {created.token}
              </pre>
            </Card>
          ) : null}
          <Card title={p.role === "admin" ? "All tokens" : "Your tokens"}>
            <Table
              id="tokens"
              rows={tokens}
              columns={[
                { label: "Name", render: (t) => t.name },
                { label: "Owner", render: (t) => t.username },
                { label: "Token", render: (t) => <code>{`odk_${t.prefix}_…`}</code> },
                { label: "Role", render: (t) => t.role },
                { label: "Limits", render: (t) => limitsText(t, names) },
                { label: "Last used", render: (t) => <Time at={t.last_used_at} /> },
                {
                  label: "",
                  render: (t) =>
                    t.revoked_at ? (
                      <Badge kind="muted">revoked</Badge>
                    ) : (
                      <Form action={`/tokens/${t.id}/revoke`} class="inline">
                        <button
                          class="secondary"
                          data-confirm={`Revoke token "${t.name}"? Scripts using it stop working.`}
                        >
                          Revoke
                        </button>
                      </Form>
                    ),
                },
              ]}
              empty="No tokens yet."
            />
          </Card>
          <Card title="Create a token">
            <Form action="/tokens/new">
              <Field label="Name" name="name" required placeholder="e.g. monitoring" />
              <Select
                label="Role"
                name="role"
                options={ROLES.filter((r) => r !== "admin" || p.role === "admin")}
                value="viewer"
                hint="A token never has more rights than you"
              />
              <TokenLimitFields instances={instances} />
              <button>Create token</button>
            </Form>
            <p class="muted">
              Use it as <code>Authorization: Bearer &lt;token&gt;</code> on <code>/api/v1/…</code> (see{" "}
              <a href="/api/v1/openapi.json">the OpenAPI document</a>).
            </p>
          </Card>
        </div>
      ),
    });
  };
  app.get("/tokens", (c) => tokensPage(c));
  app.post("/tokens/new", async (c) => {
    const f = await c.req.parseBody({ all: true });
    try {
      const t = (await run(c, "tokens.create", {
        name: String(f.name ?? ""),
        role: String(f.role ?? ""),
        ...tokenLimitsFrom(f),
      })) as { token: string };
      c.header("Cache-Control", "no-store");
      return tokensPage(c, { name: String(f.name), token: t.token });
    } catch (e) {
      return tokensPage(c, null, formFlash(e, ["E_VALIDATION", "E_FORBIDDEN"]));
    }
  });
  app.post("/tokens/:id/revoke", async (c) => {
    await run(c, "tokens.revoke", { id: Number(c.req.param("id")) });
    return tokensPage(c, null, { kind: "ok", message: "Token revoked." });
  });

  // ---- plugins
  app.get("/plugins", async (c) => {
    await admin(c); // it shows where plugins live and what they reach for
    const thirdParty = core.host.records.filter((r) => r.source === "external");
    return renderPage(core, c, {
      title: "Plugins",
      body: (
        <div class="stack">
          <h1>Plugins</h1>
          {thirdParty.length ? (
            <Flash
              kind="error"
              message={`Third-party plugins are not sandboxed (${thirdParty.map((r) => r.id).join(", ")}).`}
              hint="They run inside odoodeck with its rights: they can read every file odoodeck can (secret.key, odoodeck.db with its users and sessions), open connections and run programs. Keep only plugins whose code you trust."
            />
          ) : null}
          <Card>
            <Table
              id="plugins"
              rows={core.host.records}
              columns={[
                { label: "Plugin", render: (r) => <strong>{r.name}</strong> },
                { label: "Id", render: (r) => <code>{r.id}</code> },
                { label: "Version", render: (r) => r.version },
                {
                  label: "Source",
                  render: (r) =>
                    r.source === "builtin" ? (
                      "built-in"
                    ) : (
                      <span title={r.path ?? ""}>
                        third-party <Badge kind="warn">not sandboxed</Badge>
                        <small class="third-party-warning">runs with odoodeck's rights</small>
                      </span>
                    ),
                },
                {
                  label: "Status",
                  render: (r) => (
                    // Loaded or registered but not started: something is off, not fine.
                    <StatusBadge
                      status={r.status === "started" || r.status === "disabled" ? r.status : "warning"}
                      label={r.status}
                    />
                  ),
                },
                { label: "Reaches for", render: (r) => <PluginAccess rec={r} /> },
                {
                  label: "Reason",
                  render: (r) =>
                    r.reason ? <span class="reason">{r.reason}</span> : <span class="muted">—</span>,
                },
              ]}
            />
          </Card>
          <p class="muted">
            Third-party plugins are folders in <code>{core.config.dataDir}/plugins/&lt;id&gt;/</code> with an{" "}
            <code>index.js</code> or <code>index.ts</code>; they load at start-up. "Reaches for" shows what a
            plugin declares (<code>capabilities</code>) and, for third-party plugins, what odoodeck found in
            its code.
          </p>
        </div>
      ),
    });
  });

  // ---- settings
  const settingsPage = async (c: AppContext, flash: PageOptions["flash"] = null, status = 200) => {
    const withSettings = core.host.records.filter(
      (r) => r.status === "started" && r.def?.settings && Object.keys(r.def.settings).length,
    );
    const values = new Map<string, Record<string, unknown>>();
    for (const r of withSettings) values.set(r.id, await r.ctx!.settings());
    return renderPage(core, c, {
      title: "Settings",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Settings</h1>
          <Card title="odoodeck">
            <p>
              Data directory <code>{core.config.dataDir}</code> · listening on{" "}
              <code>{`${core.config.host}:${core.config.port}`}</code> · sessions last{" "}
              {core.config.sessionTtlHours} h.
            </p>
            <p class="muted">
              These come from flags, ODOODECK_* variables or odoodeck.toml in the data directory, and apply at
              the next start.
            </p>
          </Card>
          {withSettings.length === 0 ? <p class="muted">No plugin has settings.</p> : null}
          {withSettings.map((r) => (
            <Card title={r.name}>
              <Form action={`/settings/${r.id}`}>
                {Object.entries(r.def!.settings! as SettingsSchema).map(([key, spec]) => {
                  const v = values.get(r.id)![key];
                  if (spec.type === "boolean")
                    return (
                      <label class="field">
                        <span>
                          <input type="checkbox" name={key} checked={!!v} /> {spec.label}
                        </span>
                        {spec.help ? <small>{spec.help}</small> : null}
                      </label>
                    );
                  if (spec.type === "select")
                    return (
                      <Select
                        label={spec.label}
                        name={key}
                        options={spec.options}
                        value={String(v)}
                        hint={spec.help}
                      />
                    );
                  if (spec.type === "secret")
                    return (
                      <Field
                        label={spec.label}
                        name={key}
                        type="password"
                        hint={`${v ? "Set — leave blank to keep. " : ""}${spec.help ?? ""}`}
                      />
                    );
                  return (
                    <Field
                      label={spec.label}
                      name={key}
                      type={spec.type === "number" ? "number" : "text"}
                      value={v as string | number}
                      hint={spec.help}
                    />
                  );
                })}
                <button>Save {r.name} settings</button>
              </Form>
            </Card>
          ))}
        </div>
      ),
    });
  };
  app.get("/settings", async (c) => {
    await admin(c);
    return settingsPage(c);
  });
  app.post("/settings/:plugin", async (c) => {
    const plugin = c.req.param("plugin");
    const form = await c.req.parseBody();
    // The form's fields of the plugin's settings; an unticked box is absent from a form: false.
    const schema = (core.host.get(plugin)?.def?.settings ?? {}) as SettingsSchema;
    const values: Record<string, string | boolean> = {};
    for (const [key, spec] of Object.entries(schema))
      if (typeof form[key] === "string") values[key] = form[key] as string;
      else if (spec.type === "boolean") values[key] = false;
    try {
      const r = (await run(c, "settings.set", { plugin, values })) as { name: string; changed: string[] };
      return settingsPage(c, { kind: "ok", message: `${r.name}: saved ${r.changed.length} setting(s).` });
    } catch (e) {
      return settingsPage(c, formFlash(e), 400);
    }
  });

  // ---- audit
  app.get("/audit", async (c) => {
    await admin(c);
    const q = c.req.query();
    const rows = await queryAudit(core.db, {
      actor: q.actor || undefined,
      action: q.action || undefined,
      result: q.result === "ok" || q.result === "error" ? q.result : undefined,
      instanceId: q.instance ? Number(q.instance) : undefined,
      limit: 200,
    });
    return renderPage(core, c, {
      title: "Audit log",
      body: (
        <div class="stack">
          <h1>Audit log</h1>
          <Card>
            <form method="get" action="/audit" class="row">
              <input name="actor" placeholder="who" value={q.actor ?? ""} aria-label="Actor" />
              <input
                name="action"
                placeholder="action prefix, e.g. user."
                value={q.action ?? ""}
                aria-label="Action"
              />
              <select name="result" aria-label="Result">
                <option value="">any result</option>
                <option value="ok" selected={q.result === "ok"}>
                  ok
                </option>
                <option value="error" selected={q.result === "error"}>
                  error
                </option>
              </select>
              <button class="secondary">Filter</button>
            </form>
          </Card>
          <Card>
            <Table
              id="audit"
              rows={rows}
              empty="Nothing recorded for this filter."
              columns={[
                { label: "When", render: (r) => <Time at={r.at} /> },
                { label: "Who", render: (r) => r.actor },
                { label: "From", render: (r) => <span class="mono">{r.ip ?? ""}</span> },
                { label: "Action", render: (r) => <code>{r.action}</code> },
                { label: "Target", render: (r) => r.target ?? "" },
                {
                  label: "Instance",
                  render: (r) =>
                    r.instance_id ? <a href={`/instances/${r.instance_id}`}>#{r.instance_id}</a> : "",
                },
                {
                  label: "Result",
                  render: (r) => <StatusBadge status={r.result} />,
                },
              ]}
            />
          </Card>
          <Flash kind="info" message="The audit log is append-only: the store refuses edits and deletions." />
        </div>
      ),
    });
  });

  return app;
}

/** Declared capabilities, and what the code was found to use; an undeclared need stands out. */
function PluginAccess(props: { rec: PluginRecord }) {
  const { capabilities, scan } = props.rec;
  const undeclared = (scan?.needs ?? []).filter((n) => !capabilities.includes(n));
  return (
    <div class="plugin-access">
      {capabilities.length ? (
        capabilities.map((cap) => <Badge kind="info">{cap}</Badge>)
      ) : (
        <span class="muted">declares nothing</span>
      )}
      {undeclared.map((cap) => (
        <Badge kind="warn">{`${cap}, not declared`}</Badge>
      ))}
      {scan?.uses.length ? (
        <small class="plugin-uses">
          {"found in its code: "}
          {scan.uses.map((u, i) => (
            <>
              {i ? ", " : ""}
              <code>{u}</code>
            </>
          ))}
        </small>
      ) : null}
    </div>
  );
}
