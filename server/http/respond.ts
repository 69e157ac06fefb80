import type { Context } from "hono";
import { AppError } from "../errors.ts";

/** `{ ok: true, data }` — the JSON envelope every API answer uses. */
export function ok<T>(c: Context, data: T, status: 200 | 201 | 202 = 200): Response {
  return c.json({ ok: true, data }, status);
}

/** `{ ok: false, error: { code, message, hint } }` with the code's HTTP status. */
export function fail(c: Context, err: AppError): Response {
  return c.json({ ok: false, error: err.toJSON() }, err.status as any);
}

export function isHtmx(c: Context): boolean {
  return c.req.header("HX-Request") === "true";
}

/** Browsers navigating get HTML; API clients and fetch() with Accept: json get JSON. */
export function wantsHtml(c: Context): boolean {
  if (c.req.path.startsWith("/api/")) return false;
  const accept = c.req.header("Accept") ?? "";
  return isHtmx(c) || accept.includes("text/html");
}

/** Reads a JSON body and turns a malformed one into E_BAD_JSON instead of a crash. */
export async function readJson<T = Record<string, unknown>>(c: Context): Promise<T> {
  try {
    return (await c.req.json()) as T;
  } catch {
    throw new AppError("E_BAD_JSON", undefined, {
      hint: "Send a JSON object with Content-Type: application/json",
    });
  }
}
