import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Connection } from "../../server/connections/types.ts";
import { LocalExec } from "./local-exec.ts";

/** The real LocalConnection once server/connections/local.ts exists, else the test stand-in. */
export async function localConnection(): Promise<Connection> {
  const real = resolve(import.meta.dir, "../../server/connections/local.ts");
  if (existsSync(real)) {
    const mod = (await import(real)) as { LocalConnection?: new () => Connection };
    if (mod.LocalConnection) return new mod.LocalConnection();
  }
  return new LocalExec();
}
