/**
 * Running a preview's Odoo: one managed runtime per preview (free port, own data_dir and log under
 * the preview's folder), the install/upgrade done by its first start, and the branch's addons
 * first in the addons path.
 */
import { AppError, type Runtime } from "../../../server/sdk/index.ts";
import { managedName } from "../names.ts";
import type { PreviewsCtx } from "../settings.ts";
import type { Side } from "./side.ts";
import type { PreviewRecord } from "../store.ts";

export type PreviewRuntime = Runtime & { readonly baseUrl: string | null };

export const paths = (workDir: string) => ({
  src: `${workDir}/src`,
  data: `${workDir}/data`,
  initLog: `${workDir}/init.log`,
  log: `${workDir}/odoo.log`,
});

function addonsPath(side: Side, workDir: string): string {
  return [paths(workDir).src, ...side.settings.addonsPaths].join(",");
}

export async function previewRuntime(
  ctx: PreviewsCtx,
  side: Side,
  p: Pick<PreviewRecord, "name" | "dbName" | "workDir" | "port" | "instanceId">,
  extra: Record<string, string | number | null> = {},
  firstStartArgs: string[] = [],
): Promise<PreviewRuntime> {
  return ctx.runtimes.managed({
    connection: side.conn,
    name: managedName(p.name),
    odooBin: await side.odooBin(),
    workDir: p.workDir,
    db: p.dbName,
    ...(p.port ? { httpPort: p.port } : {}),
    options: { addons_path: addonsPath(side, p.workDir), ...side.dbOptions(), ...extra },
    instanceId: null,
    firstStartArgs,
  });
}

/** Where this start's init part ends: the registry loaded (Odoo 17 logs it once `-i`/`-u` are done). */
const INIT_DONE = /^.* odoo\.modules\.registry: Registry loaded in .*$/m;
/** The first line Odoo logs at each boot. */
const BOOT = / odoo: Odoo version /g;
/** How often a long install says what Odoo logged last. */
const PULSE_MS = 30_000;
/** An ERROR or CRITICAL line (Odoo's "Failed to initialize database" is CRITICAL). */
const INIT_ERROR = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) .*$/m;

export interface InitResult {
  rt: PreviewRuntime;
  ok: boolean;
  /** Why the init failed (the first ERROR/CRITICAL line, or the process's end). */
  reason: string;
  /** The start's log up to the registry loaded (or to the failure): kept as init.log. */
  log: string;
  /** Byte offset in odoo.log where this start's output begins. */
  logOffset: number;
}

/** The bytes written to `path` since `offset` (the log is appended to across starts). */
async function bytesSince(side: Side, path: string, offset: number): Promise<Uint8Array> {
  const st = await side.conn.stat(path);
  if (!st || st.size <= offset) return new Uint8Array(0);
  return new Uint8Array(await new Response(side.conn.readFile(path, { start: offset })).arrayBuffer());
}

/** The log written since `offset`. */
export async function logSince(side: Side, path: string, offset: number): Promise<string> {
  return new TextDecoder().decode(await bytesSince(side, path, offset));
}

/** The last complete, non-empty line of `text` (cut to 300 characters), if any. */
function lastLine(text: string): string | null {
  const lines = text
    .slice(0, text.lastIndexOf("\n") + 1)
    .trimEnd()
    .split("\n");
  const last = lines.at(-1)?.trim();
  return last ? last.slice(0, 300) : null;
}

/**
 * Starts the preview's Odoo once: the serving process itself installs (`-i`) the branch's new
 * modules and upgrades (`-u`) the changed ones before it serves (Odoo 17 does both in one run),
 * instead of a separate `--stop-after-init` run that booted Odoo a second time. Only this first
 * start carries -i/-u: a wake or restart makes a new runtime without them.
 *
 * Resolves once the init part of the log is complete: "Registry loaded" (ok), an ERROR/CRITICAL
 * line or the process gone (failed; Odoo 17 logs "Failed to initialize database" and goes on
 * serving, so the log is what tells). That part is written to init.log, kept for forensics.
 * A large install is legitimately slow (up to the hour): every PULSE_MS the step's log says what
 * Odoo logged last, so a stuck one is seen as stuck. Cancelled, the Odoo it started is stopped.
 */
export async function startWithInit(
  ctx: PreviewsCtx,
  side: Side,
  p: Pick<PreviewRecord, "name" | "dbName" | "workDir" | "port" | "instanceId">,
  install: string[],
  upgrade: string[],
  step?: { signal: AbortSignal; log(line: string): void },
): Promise<InitResult> {
  const signal = step?.signal;
  const at = paths(p.workDir);
  const logOffset = (await side.conn.stat(at.log))?.size ?? 0;
  const once: string[] = [];
  if (install.length) once.push("-i", install.join(","));
  if (upgrade.length) once.push("-u", upgrade.join(","));
  const rt = await previewRuntime(ctx, side, p, {}, once);
  await rt.start();
  const end = (ok: boolean, reason: string, log: string) =>
    side.conn.writeFile(at.initLog, log, { mode: 0o600 }).then(() => ({ rt, ok, reason, log, logOffset }));
  // Read as it grows: a real install logs thousands of lines.
  let text = "";
  let pos = logOffset;
  const decoder = new TextDecoder();
  const more = async () => {
    const bytes = await bytesSince(side, at.log, pos);
    pos += bytes.length;
    text += decoder.decode(bytes, { stream: true });
    return text;
  };
  const until = Date.now() + 3600_000;
  let delay = 25;
  let checkedAt = Date.now();
  let pulsedAt = Date.now();
  while (Date.now() < until) {
    if (signal?.aborted) {
      // not handed to the caller yet: nobody else would stop it
      await rt.stop().catch(() => {});
      throw new AppError("E_CANCELLED");
    }
    await more();
    const error = INIT_ERROR.exec(text);
    const done = INIT_DONE.exec(text);
    if (error && (!done || error.index < done.index)) return end(false, error[0].slice(0, 300), text);
    // A second boot in the init part: the first died and its supervisor started it again (without -i/-u).
    if ((text.match(BOOT) ?? []).length > 1)
      return end(false, "odoo-bin ended before its registry was loaded and was restarted", text);
    if (done) return end(true, "", text.slice(0, done.index + done[0].length + 1));
    if (Date.now() - pulsedAt >= PULSE_MS) {
      pulsedAt = Date.now();
      step?.log(`still installing: ${lastLine(text) ?? "(Odoo has logged nothing yet)"}`);
    }
    // Asking whether the process lives costs more than reading the log: once a second.
    if (Date.now() - checkedAt >= 1000) {
      checkedAt = Date.now();
      const st = await rt.status();
      if (st.state === "stopped" || st.state === "error")
        return end(false, `odoo-bin ended before its registry was loaded (${st.detail})`, await more());
    }
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 100); // the stand-in inits in ~0.5 s, a real install in seconds
  }
  return end(false, "the install did not finish within an hour", await more());
}
