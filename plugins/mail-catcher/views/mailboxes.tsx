/**
 * The mailboxes of an inbox with what they hold, and per mailbox the retention and chaos forms:
 * an operator of the mailbox's instance (admin for mailboxes of no instance) sets them, by the
 * rule the operations share (mailbox-access.ts); audited.
 */
import { Hono } from "hono";
import { AppError, type AppContext, type Env, type PluginContext, ui } from "../../../server/sdk/index.ts";
import type { Catcher } from "../catcher.ts";
import { editRole } from "../mailbox-access.ts";
import type { MailSettings, MailSettingsValues } from "../settings.ts";
import type { Mailbox } from "../store/mailboxes.ts";
import { formBody } from "./form-body.ts";

const BASE = "/p/mail-catcher";

export const inboxUrl = (instanceId: number | null) =>
  instanceId == null ? `${BASE}/` : `${BASE}/i/${instanceId}`;

export async function mayEdit(
  ctx: PluginContext<MailSettings>,
  c: AppContext,
  box: Mailbox,
): Promise<boolean> {
  return ctx.auth.can(c.get("principal"), editRole(box), box.instanceId);
}

export function MailboxTable(props: {
  boxes: Mailbox[];
  stats: Map<number, { count: number; bytes: number }>;
  defaults: MailSettingsValues;
  editable: Set<number>;
}) {
  const d = props.defaults;
  return (
    <div class="table-wrap">
      <table class="table" id="mc-mailboxes">
        <thead>
          <tr>
            <th>Mailbox</th>
            <th>SMTP user</th>
            <th>Messages</th>
            <th>Size</th>
            <th>Keeps</th>
            <th>Chaos</th>
          </tr>
        </thead>
        <tbody>
          {props.boxes.map((b) => {
            const s = props.stats.get(b.id) ?? { count: 0, bytes: 0 };
            return (
              <tr data-mailbox={b.id}>
                <td>{b.label}</td>
                <td>
                  <code>{b.smtpUser}</code>
                </td>
                <td class="mc-count">{s.count}</td>
                <td class="mc-size">{ui.bytes(s.bytes)}</td>
                <td class="mc-keeps">
                  {b.retainCount ?? d.retainCount} messages, {b.retainMb ?? d.retainMb} MB,{" "}
                  {b.retainDays ?? d.retainDays} days
                  {props.editable.has(b.id) ? <RetentionForm box={b} /> : null}
                </td>
                <td class="mc-chaos">
                  {b.chaosRate > 0 ? `${Math.round(b.chaosRate * 100)} % refused with ${b.chaosCode}` : "off"}
                  {props.editable.has(b.id) ? <ChaosForm box={b} /> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RetentionForm({ box }: { box: Mailbox }) {
  return (
    <details>
      <summary>Change</summary>
      <ui.Form action={`${BASE}/mb/${box.id}/retention`} class="mc-retention">
        <ui.Field
          label="Messages"
          name="count"
          type="number"
          min={1}
          value={box.retainCount ?? ""}
          hint="Empty: the default"
        />
        <ui.Field label="MB" name="mb" type="number" min={1} value={box.retainMb ?? ""} />
        <ui.Field label="Days" name="days" type="number" min={1} value={box.retainDays ?? ""} />
        <button type="submit">Save retention</button>
      </ui.Form>
    </details>
  );
}

function ChaosForm({ box }: { box: Mailbox }) {
  return (
    <details>
      <summary>Change</summary>
      <ui.Form action={`${BASE}/mb/${box.id}/chaos`} class="mc-chaos-form">
        <ui.Field
          label="Refuse (%)"
          name="percent"
          type="number"
          min={0}
          max={100}
          value={Math.round(box.chaosRate * 100)}
        />
        <ui.Field
          label="With code"
          name="code"
          type="number"
          min={400}
          max={599}
          value={box.chaosCode}
          hint="4xx: Odoo retries; 5xx: it gives up"
        />
        <button type="submit">Save chaos</button>
      </ui.Form>
    </details>
  );
}

/** An optional whole number in [min, max]: "" means null (the default). */
function intField(
  f: Record<string, string>,
  name: string,
  min: number,
  max: number,
  optional: boolean,
): number | null {
  const v = (f[name] ?? "").trim();
  if (v === "" && optional) return null;
  const n = Number(v);
  if (v === "" || !Number.isInteger(n) || n < min || n > max)
    throw new AppError("E_VALIDATION", `${name}: a whole number from ${min} to ${max} is needed`, {
      hint: optional ? "Leave it empty to use the plugin's default" : `Give a number from ${min} to ${max}`,
    });
  return n;
}

export function mailboxRoutes(ctx: PluginContext<MailSettings>, catcher: Catcher): Hono<Env> {
  const app = new Hono<Env>();

  // The forms run mail-catcher.retention / .chaos (ctx.operations.invoke): the mailbox rule
  // (mailbox-access.ts), the audit entry and the refusals are those of REST /ops, CLI and MCP.
  const mailbox = (c: AppContext) => Number(c.req.param("id"));

  app.post("/mb/:id/retention", async (c) => {
    const f = await formBody(c);
    const input = {
      mailbox: mailbox(c),
      count: intField(f, "count", 1, 1_000_000, true),
      mb: intField(f, "mb", 1, 100_000, true),
      days: intField(f, "days", 1, 3650, true),
    };
    await ctx.operations.invoke(c, "mail-catcher.retention", input);
    return c.redirect(inboxUrl(await instanceOf(input.mailbox)), 303);
  });

  app.post("/mb/:id/chaos", async (c) => {
    const f = await formBody(c);
    const percent = intField(f, "percent", 0, 100, false)!;
    const code = intField(f, "code", 400, 599, false)!;
    await ctx.operations.invoke(c, "mail-catcher.chaos", { mailbox: mailbox(c), rate: percent / 100, code });
    return c.redirect(inboxUrl(await instanceOf(mailbox(c))), 303);
  });

  /** The instance of a mailbox the operation just changed (so the caller may see it). */
  const instanceOf = async (id: number) => catcher.mailboxes.get(id)?.instanceId ?? null;

  return app;
}
