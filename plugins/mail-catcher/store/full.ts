/** A whole message, parsed on demand from its file: for the message view and the API. */
import { simpleParser } from "mailparser";
import type { Catcher } from "../catcher.ts";
import type { MessageRow } from "./messages.ts";
import { inSlices } from "./parse.ts";

export interface Part {
  /** Our part id: the attachment's position, 1-based (stable for a given message). */
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
  content: Buffer;
}

export interface FullMessage {
  raw: Buffer;
  html: string | null;
  text: string;
  /** In order, as sent; a header appearing twice appears twice. */
  headers: Array<[string, string]>;
  parts: Part[];
  date: Date | null;
  replyTo: string[];
}

export async function readFull(catcher: Catcher, row: MessageRow): Promise<FullMessage> {
  const raw = await catcher.files.read(row.mailboxId, row.id);
  const m = await simpleParser(inSlices(raw), { skipImageLinks: true }).catch(() => null);
  const headers: Array<[string, string]> = (m?.headerLines ?? []).map((h) => {
    const i = h.line.indexOf(":");
    return [h.line.slice(0, i).trim(), h.line.slice(i + 1).trim()];
  });
  return {
    raw,
    html: typeof m?.html === "string" ? m.html : null,
    text: m?.text ?? "",
    headers,
    parts: (m?.attachments ?? []).map((a, i) => ({
      partId: String(i + 1),
      filename: a.filename ?? `part-${i + 1}`,
      contentType: a.contentType,
      size: a.size,
      contentId: a.cid ?? null,
      inline: a.contentDisposition === "inline" || !!a.related,
      content: a.content,
    })),
    date: m?.date ?? null,
    replyTo: m?.replyTo?.value.map((v) => v.address ?? "").filter(Boolean) ?? [],
  };
}
