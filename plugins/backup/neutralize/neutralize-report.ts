/**
 * The neutralization report shown on the operation and on the restored instance: what was done,
 * each line marked "as Odoo" (what `odoo-bin neutralize` does too) or "stricter than Odoo"
 * (odoodeck goes further), and warnings that do not stop the copy.
 */
import type { ModuleScript, NeutralizeOptions } from "./neutralize.ts";

export interface NeutralizeLine {
  kind: "as Odoo" | "stricter than Odoo" | "warning";
  text: string;
}

export function scriptLines(scripts: ModuleScript[]): NeutralizeLine[] {
  if (!scripts.length)
    return [
      {
        kind: "warning",
        text: "no module neutralize.sql was found on the target: only odoodeck's built-in policy ran (it covers base's and mail's scripts)",
      },
    ];
  return scripts.map((s) => ({ kind: "as Odoo", text: `ran ${s.module}/data/neutralize.sql (${s.path})` }));
}

export function policyReport(o: NeutralizeOptions): NeutralizeLine[] {
  const mailTo = o.catcher ? `the catcher ${o.catcher.host}:${o.catcher.port}` : "the dummy invalid:1025";
  const lines: NeutralizeLine[] = [
    { kind: "as Odoo", text: `outgoing mail servers deactivated; one active mail server sends to ${mailTo}` },
    {
      kind: "as Odoo",
      text: "incoming mail (fetchmail) servers deactivated; mail templates force no server",
    },
    { kind: "as Odoo", text: "scheduled actions deactivated except the autovacuum" },
    { kind: "as Odoo", text: "webhook server actions disabled" },
    { kind: "as Odoo", text: "database.is_neutralized = true" },
    {
      kind: "stricter than Odoo",
      text: "SMTP/IMAP passwords and OAuth tokens of mail servers blanked (Odoo keeps them)",
    },
    {
      kind: "stricter than Odoo",
      text: "messages (mail_message.mail_server_id, which queued mail_mail rows send through) no longer name a deactivated server: they go through the active one (Odoo would still use the named server)",
    },
    {
      kind: "stricter than Odoo",
      text: "every payment provider disabled, test-mode ones included (Odoo keeps test mode)",
    },
    {
      kind: "stricter than Odoo",
      text: "secret-like system parameters (key, secret, token, password, webhook) blanked",
    },
  ];
  if (o.catcher?.user)
    lines.push({
      kind: "stricter than Odoo",
      text: `outgoing mail goes to odoodeck's mail catcher (mailbox ${o.catcher.user}${o.catcher.mailbox != null ? ` #${o.catcher.mailbox}` : ""}, ${o.catcher.host}:${o.catcher.port}): the database's own mail server wins over any smtp_server in odoo.conf`,
    });
  if (o.mode !== "move")
    lines.push({
      kind: "stricter than Odoo",
      text: "database.uuid and database.secret regenerated (a distinct database)",
    });
  return lines;
}

/** One line of text per report line, for operation logs and stored results. */
export function formatReport(lines: NeutralizeLine[]): string[] {
  return lines.map((l) => `[${l.kind}] ${l.text}`);
}
