import { Hono } from "hono";
import { type AppContext, type Env, formFlash, type PageOptions, type PluginContext, ui } from "odoodeck/sdk";
import { CHANNEL_KINDS, describeChannel, listChannels, listRules } from "./channels.ts";
import type { Notifier } from "./notifier.ts";
import type { NotificationsCtx } from "./tables.ts";

const { Badge, Card, Field, Form, Select, StatusBadge, Table, Time } = ui;
type FlashMsg = PageOptions["flash"];

/** Events worth a rule; plugins' own events can be typed in as well. */
export const SUGGESTED_EVENTS = [
  "operation.finished",
  "job.finished",
  "backup.overdue",
  "backup.restore_test_stale",
  "health.changed",
  "instance.added",
  "instance.removed",
  "instance.state",
  "runtime.crashed",
];

/** /p/notifications: channels, rules and the delivery log (admins only). */
export function notificationsPages(ctx: NotificationsCtx, notifier: Notifier): Hono<Env> {
  const app = new Hono<Env>();
  const admin = (c: AppContext) => ctx.auth.require(c, "admin");
  const base = `/p/${ctx.id}`;

  const page = async (c: AppContext, flash: FlashMsg = null, status = 200) => {
    const channels = await listChannels(ctx.db, ctx.secrets);
    const names = new Map(channels.map((ch) => [ch.id, ch.name]));
    const rules = await listRules(ctx.db);
    const deliveries = await ctx.db
      .selectFrom("notifications_deliveries")
      .selectAll()
      .orderBy("id", "desc")
      .limit(50)
      .execute();
    return ctx.views.page(c, {
      title: "Notifications",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Notifications</h1>
          <Card title="Channels">
            <Table
              id="channels"
              rows={channels}
              empty="No channel yet."
              columns={[
                { label: "Name", render: (ch) => ch.name },
                { label: "Kind", render: (ch) => <Badge kind="info">{ch.kind}</Badge> },
                { label: "Goes to", render: (ch) => <span class="mono">{describeChannel(ch)}</span> },
                {
                  label: "",
                  render: (ch) => (
                    <div class="row">
                      <Form action={`${base}/channels/${ch.id}/test`} class="inline">
                        <button class="secondary">Send test</button>
                      </Form>
                      <Form action={`${base}/channels/${ch.id}/delete`} class="inline">
                        <button class="danger" data-confirm={`Remove channel ${ch.name} and its rules?`}>
                          Remove
                        </button>
                      </Form>
                    </div>
                  ),
                },
              ]}
            />
            <Form action={`${base}/channels`}>
              <Field label="Name" name="name" required />
              <Select label="Kind" name="kind" options={CHANNEL_KINDS} value="webhook" />
              <Field label="URL (webhook, Slack)" name="url" placeholder="https://hooks.example.com/…" />
              <Field
                label="Signing secret (webhook)"
                name="secret"
                type="password"
                hint="Signs the body with HMAC-SHA256 in X-Odoodeck-Signature"
              />
              <Field label="SMTP host (email)" name="smtpHost" />
              <Field label="SMTP port" name="smtpPort" type="number" value={587} />
              <Field label="SMTP user" name="smtpUser" autocomplete="off" />
              <Field label="SMTP password" name="smtpPassword" type="password" autocomplete="new-password" />
              <Field label="From" name="from" placeholder="odoodeck@example.com" />
              <Field label="To" name="to" placeholder="ops@example.com" />
              <button>Add channel</button>
            </Form>
          </Card>
          <Card title="Rules">
            <Table
              id="rules"
              rows={rules}
              empty="No rule: nothing is sent."
              columns={[
                { label: "Event", render: (r) => <code>{r.event}</code> },
                { label: "Status", render: (r) => r.status ?? "any" },
                { label: "Channel", render: (r) => names.get(r.channel_id) ?? "?" },
              ]}
            />
            {channels.length ? (
              <Form action={`${base}/rules`} class="row">
                <input
                  name="event"
                  list="events"
                  placeholder="operation.finished"
                  aria-label="Event"
                  required
                />
                <datalist id="events">
                  {SUGGESTED_EVENTS.map((e) => (
                    <option value={e} />
                  ))}
                </datalist>
                <select name="status" aria-label="Status">
                  <option value="error">status error</option>
                  <option value="">any status</option>
                </select>
                <select name="channelId" aria-label="Channel">
                  {channels.map((ch) => (
                    <option value={String(ch.id)}>{ch.name}</option>
                  ))}
                </select>
                <button class="secondary">Add rule</button>
              </Form>
            ) : null}
          </Card>
          <Card title="Deliveries">
            <Table
              id="deliveries"
              rows={deliveries}
              empty="Nothing sent yet."
              columns={[
                { label: "When", render: (d) => <Time at={d.created_at} /> },
                { label: "Event", render: (d) => <code>{d.event}</code> },
                { label: "Channel", render: (d) => names.get(d.channel_id) ?? "(removed)" },
                {
                  label: "Status",
                  render: (d) => <StatusBadge status={d.status} />,
                },
                { label: "Attempts", render: (d) => String(d.attempts), class: "num" },
                { label: "Last error", render: (d) => d.last_error ?? "" },
                {
                  label: "Next try",
                  render: (d) => (d.status === "pending" ? <Time at={d.next_attempt_at} /> : ""),
                },
              ]}
            />
          </Card>
        </div>
      ),
    });
  };

  app.get("/", async (c) => {
    await admin(c);
    return page(c);
  });
  // The forms run notifications.* operations (ctx.operations.invoke): admin only (checked, and a
  // refusal audited, by the executor), one audit entry each (the channel's URL and secrets masked), as on REST /ops, the CLI and MCP.
  /** The form's filled-in fields (an unused field of another kind is left out). */
  const filled = async (c: AppContext) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(await c.req.parseBody()))
      if (typeof v === "string" && v.trim() !== "" && k !== "_csrf") out[k] = v.trim();
    return out;
  };
  app.post("/channels", async (c) => {
    const { smtpPort, smtpSecure, ...f } = await filled(c);
    try {
      await ctx.operations.invoke(c, "notifications.channels.add", {
        ...f,
        ...(smtpPort !== undefined ? { smtpPort: Number(smtpPort) } : {}),
        ...(smtpSecure !== undefined ? { smtpSecure: smtpSecure === "on" || smtpSecure === "true" } : {}),
      });
      return page(c, { kind: "ok", message: `Channel ${f.name} added.` });
    } catch (e) {
      return page(c, formFlash(e), 400);
    }
  });
  app.post("/channels/:id/delete", async (c) => {
    await ctx.operations.invoke(c, "notifications.channels.remove", { id: Number(c.req.param("id")) });
    return page(c, { kind: "ok", message: "Channel removed." });
  });
  app.post("/channels/:id/test", async (c) => {
    await ctx.operations.invoke(c, "notifications.channels.test", { id: Number(c.req.param("id")) });
    return page(c, { kind: "info", message: "Test message queued; its delivery shows below." });
  });
  app.post("/rules", async (c) => {
    const { channelId, ...f } = await filled(c);
    try {
      await ctx.operations.invoke(c, "notifications.rules.set", { ...f, channel: Number(channelId) });
      return page(c, { kind: "ok", message: "Rule added." });
    } catch (e) {
      return page(c, formFlash(e), 400);
    }
  });
  return app;
}
