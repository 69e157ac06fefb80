import { AppError } from "../../server/sdk/index.ts";

/** Reads a date from a form (datetime-local is zone-less: taken as UTC) or an ISO string. */
export function parseWhen(raw: unknown, field: string): string {
  const s = String(raw ?? "").trim();
  const withZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(s) ? `${s}Z` : s;
  const t = Date.parse(withZone);
  if (!s || Number.isNaN(t))
    throw new AppError("E_VALIDATION", `"${field}" is not a date`, { hint: "Use YYYY-MM-DDTHH:MM (UTC)" });
  return new Date(t).toISOString();
}

/** Validates a maintenance window request. */
export function parseWindow(input: Record<string, unknown>): {
  startsAt: string;
  endsAt: string;
  reason: string;
} {
  const startsAt = parseWhen(input.from, "from");
  const endsAt = parseWhen(input.to, "to");
  if (endsAt <= startsAt)
    throw new AppError("E_VALIDATION", "The window ends before it starts", {
      hint: "Pick a 'to' after 'from'",
    });
  const reason = String(input.reason ?? "").trim();
  if (!reason || reason.length > 200)
    throw new AppError("E_VALIDATION", "Give a reason (200 characters at most)", {
      hint: "e.g. 'Odoo upgrade to 17.0'",
    });
  return { startsAt, endsAt, reason };
}
