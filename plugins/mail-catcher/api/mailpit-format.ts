/** Our rows in Mailpit's JSON shapes (api/v1 of Mailpit 1.x), as its clients expect them. */
import type { FullMessage } from "../store/full.ts";
import type { MessageRow } from "../store/messages.ts";

const addr = (a: string) => ({ Name: "", Address: a });

export function listItem(m: MessageRow, username?: string) {
  return {
    ID: m.id,
    MessageID: (m.messageId ?? "").replace(/^<|>$/g, ""),
    Read: m.read,
    From: addr(m.sender),
    To: m.recipients.map(addr),
    Cc: [],
    Bcc: [],
    ReplyTo: [],
    Subject: m.subject,
    Created: new Date(m.receivedAt).toISOString(),
    Tags: m.odooModel ? [`odoo:${m.odooModel}`] : [],
    Size: m.size,
    Attachments: m.attachments,
    Snippet: m.snippet,
    ...(username ? { Username: username } : {}),
  };
}

export function summary(m: MessageRow, f: FullMessage) {
  const part = (p: FullMessage["parts"][number]) => ({
    PartID: p.partId,
    FileName: p.filename,
    ContentType: p.contentType,
    ContentID: p.contentId ?? "",
    Size: p.size,
  });
  const header = (name: string) => f.headers.find(([k]) => k.toLowerCase() === name)?.[1] ?? "";
  return {
    ...listItem(m),
    Date: (f.date ?? new Date(m.receivedAt)).toISOString(),
    ReplyTo: f.replyTo.map(addr),
    ReturnPath: header("return-path").replace(/^<|>$/g, ""),
    HTML: f.html ?? "",
    Text: f.text,
    Inline: f.parts.filter((p) => p.inline).map(part),
    Attachments: f.parts.filter((p) => !p.inline).map(part),
    ListUnsubscribe: { Header: header("list-unsubscribe"), HeaderPost: "", Links: [], Errors: "" },
  };
}

/** Mailpit's headers answer: name → every value. */
export function headerMap(f: FullMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of f.headers) (out[k] ??= []).push(v);
  return out;
}
