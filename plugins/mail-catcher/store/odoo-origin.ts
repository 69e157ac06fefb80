/**
 * Which Odoo record sent a mail, from what Odoo itself writes: the `X-Odoo-Objects` header
 * ("sale.order-7", set by mail.thread notifications) or, failing that, the tracking Message-Id
 * `<…-openerp-<res_id>-<model>@host>` (tools.generate_tracking_message_id).
 */
export interface OdooOrigin {
  model: string;
  resId: number;
}

const OBJECTS = /^\s*([a-z_][a-z0-9_.]*)-(\d+)\s*$/i;
const TRACKING = /-openerp-(\d+)-([a-z_][a-z0-9_.]*)@/i;

export function odooOrigin(headers: {
  objects?: string | null;
  messageId?: string | null;
}): OdooOrigin | null {
  // Several objects (project then task): the last one is the record the mail is about
  const parts = (headers.objects ?? "").split(",").filter((p) => OBJECTS.test(p));
  const last = parts.at(-1);
  if (last) {
    const m = OBJECTS.exec(last)!;
    return { model: m[1], resId: Number(m[2]) };
  }
  const t = TRACKING.exec(headers.messageId ?? "");
  return t ? { model: t[2], resId: Number(t[1]) } : null;
}
