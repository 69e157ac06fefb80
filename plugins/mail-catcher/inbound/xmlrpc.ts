/**
 * Just enough XML-RPC to call Odoo as odoo-mailgate.py does (`common.login`, then
 * `object.execute_kw(db, uid, password, "mail.thread", "message_process", [model, Binary(msg)])`).
 */
import { AppError } from "../../../server/sdk/index.ts";

export type XmlRpcValue =
  | string
  | number
  | boolean
  | null
  | Uint8Array
  | XmlRpcValue[]
  | { [k: string]: XmlRpcValue };

const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);

export function encodeValue(v: XmlRpcValue): string {
  if (v === null) return "<value><nil/></value>";
  if (typeof v === "boolean") return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === "number")
    return Number.isInteger(v) ? `<value><int>${v}</int></value>` : `<value><double>${v}</double></value>`;
  if (typeof v === "string") return `<value><string>${esc(v)}</string></value>`;
  if (v instanceof Uint8Array) return `<value><base64>${Buffer.from(v).toString("base64")}</base64></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join("")}</data></array></value>`;
  return `<value><struct>${Object.entries(v)
    .map(([k, x]) => `<member><name>${esc(k)}</name>${encodeValue(x)}</member>`)
    .join("")}</struct></value>`;
}

export function methodCall(method: string, params: XmlRpcValue[]): string {
  return `<?xml version="1.0"?><methodCall><methodName>${esc(method)}</methodName><params>${params
    .map((p) => `<param>${encodeValue(p)}</param>`)
    .join("")}</params></methodCall>`;
}

/** Calls `method` at `url`; a fault becomes E_COMMAND_FAILED with Odoo's message. Returns the first scalar. */
export async function call(
  url: string,
  method: string,
  params: XmlRpcValue[],
  signal?: AbortSignal,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "text/xml" },
      body: methodCall(method, params),
      signal: signal ?? AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new AppError("E_UNREACHABLE", `Odoo cannot be reached at ${url}`, { hint: (e as Error).message });
  }
  const text = await res.text();
  if (!res.ok) throw new AppError("E_UNREACHABLE", `Odoo answered ${res.status} at ${url}`);
  if (text.includes("<fault>")) {
    const msg = /<name>faultString<\/name>\s*<value>(?:<string>)?([\s\S]*?)(?:<\/string>)?<\/value>/.exec(
      text,
    )?.[1];
    throw new AppError(
      "E_COMMAND_FAILED",
      `Odoo refused ${method}: ${(msg ?? "fault").trim().split("\n").at(-1)}`,
    );
  }
  return /<param>\s*<value>\s*(?:<(?:int|i4|string|boolean)>)?([^<]*)/.exec(text)?.[1] ?? "";
}
