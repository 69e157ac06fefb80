import type { AppContext } from "../../../server/sdk/index.ts";

/** A posted form as strings: a file field reads as "" (none of these forms take files). */
export async function formBody(c: AppContext): Promise<Record<string, string>> {
  const b = await c.req.parseBody();
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === "string" ? v : ""]));
}
