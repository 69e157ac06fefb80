import { type Connection, isAppError } from "../../../server/sdk/index.ts";

/** A whole small file as text through the connection; null when it does not exist. */
export async function readTextOrNull(conn: Connection, path: string): Promise<string | null> {
  try {
    return await new Response(conn.readFile(path)).text();
  } catch (e) {
    if (isAppError(e) && e.code === "E_FILE_NOT_FOUND") return null;
    throw e;
  }
}

export async function readBytes(conn: Connection, path: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(conn.readFile(path)).arrayBuffer());
}
