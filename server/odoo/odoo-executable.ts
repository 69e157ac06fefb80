/**
 * How to run an instance's Odoo (`odoo-bin -i`, `neutralize --stdout`, `--stop-after-init`): the
 * command a source install really uses is often `python3 odoo-bin`, from a checkout whose
 * odoo-bin has no execute bit. One resolver, shared by the modules plugin and restore tests.
 */
import type { Connection } from "../connections/types.ts";
import { findOdooRoot } from "./addons-roots.ts";
import { discoverOdooConfs } from "./discovery.ts";

export interface OdooExecutable {
  /** The argv prefix that runs Odoo; options (-c, -d…) follow it. */
  argv: string[];
  /** The script (odoo-bin) or executable it runs. */
  path: string;
  /** Where it was found. */
  source: "setting" | "process" | "systemd" | "checkout" | "PATH" | "container";
  /** "not executable": the file lacks the execute bit, so argv runs it through its interpreter. */
  state: "ok" | "not executable";
  /** One sentence for logs and reports. */
  note: string;
}

export type OdooExecutableLookup =
  | ({ found: true } & OdooExecutable)
  | { found: false; reason: string; looked: string[] };

export interface OdooExecutableInput {
  /** A path set by the user; empty (or the old default "odoo-bin") means "find it". */
  configured?: string | null;
  /** The instance's odoo.conf: a running process or a systemd unit using it tells the command. */
  confPath?: string | null;
  addonsPaths?: string[];
  /** Inside a container Odoo is an executable on the image's PATH (the official image: `odoo`). */
  container?: string | null;
  containerExecutable?: string | null;
}

/** The interpreter a script's `#!` names (`/usr/bin/env python3` → python3); python3 without one. */
async function interpreterOf(conn: Connection, path: string): Promise<string[]> {
  let head = "";
  try {
    const reader = conn.readFile(path).getReader();
    const { value } = await reader.read();
    await reader.cancel().catch(() => {});
    head = new TextDecoder().decode(value?.slice(0, 256) ?? new Uint8Array());
  } catch {
    return ["python3"];
  }
  const m = /^#!\s*(\S+)(?:[ \t]+([^\n]*))?/.exec(head);
  if (!m) return ["python3"];
  const args = (m[2] ?? "").trim().split(/\s+/).filter(Boolean);
  return /(^|\/)env$/.test(m[1]) && args.length ? args : [m[1], ...args];
}

/** An existing file becomes a command: as is when executable, else through its interpreter. */
async function asCommand(
  conn: Connection,
  path: string,
  source: OdooExecutable["source"],
  prefix: string[] = [],
): Promise<OdooExecutableLookup | null> {
  const st = await conn.stat(path).catch(() => null);
  if (st?.type !== "file") return null;
  if (prefix.length || st.mode & 0o111)
    return { found: true, argv: [...prefix, path], path, source, state: "ok", note: `${path} (${source})` };
  const argv = [...(await interpreterOf(conn, path)), path];
  return {
    found: true,
    argv,
    path,
    source,
    state: "not executable",
    note: `${path} is not executable: run as ${argv.join(" ")}`,
  };
}

/** The command a running Odoo or its systemd unit uses with this conf (interpreter included). */
async function fromDiscovery(conn: Connection, confPath: string, looked: string[]) {
  looked.push(`the running Odoo process or systemd unit using ${confPath}`);
  const found = await discoverOdooConfs(conn, { docker: false }).catch(() => []);
  for (const c of found) {
    if (c.confPath !== confPath || !c.command?.length) continue;
    const script = c.command[c.command.length - 1];
    if (!script.startsWith("/")) continue; // a bare name: the PATH lookup below finds it
    const hit = await asCommand(
      conn,
      script,
      c.source === "systemd" ? "systemd" : "process",
      c.command.slice(0, -1),
    );
    if (hit) return hit;
  }
  return null;
}

/**
 * Finds how to run Odoo for an instance: the configured path, the command its running process or
 * systemd unit uses, odoo-bin at the root of the Odoo checkout its addons_path points into, then
 * odoo-bin / odoo on PATH. A non-executable odoo-bin is run through its interpreter and says so.
 * @example
 * const exe = await resolveOdooExecutable(conn, { confPath: "/etc/odoo/odoo.conf", addonsPaths });
 * // { found: true, argv: ["python3", "/opt/odoo/odoo-bin"], state: "not executable", … }
 */
export async function resolveOdooExecutable(
  conn: Connection,
  input: OdooExecutableInput,
): Promise<OdooExecutableLookup> {
  if (input.container) {
    const exe = input.containerExecutable?.trim() || "odoo";
    return {
      found: true,
      argv: [exe],
      path: exe,
      source: "container",
      state: "ok",
      note: `${exe} in ${input.container}`,
    };
  }
  const looked: string[] = [];
  const configured = input.configured?.trim() ?? "";
  if (configured && configured !== "odoo-bin") {
    looked.push(configured);
    return (
      (await asCommand(conn, configured, "setting")) ?? {
        found: false,
        reason: `the configured odoo-bin ${configured} does not exist on ${conn.label}`,
        looked,
      }
    );
  }
  if (input.confPath) {
    const hit = await fromDiscovery(conn, input.confPath, looked);
    if (hit) return hit;
  }
  const root = await findOdooRoot(conn, { addonsPaths: input.addonsPaths ?? [] });
  if (root) {
    const path = `${root === "/" ? "" : root}/odoo-bin`;
    looked.push(path);
    const hit = await asCommand(conn, path, "checkout");
    if (hit) return hit;
  }
  looked.push("odoo-bin and odoo on PATH");
  const r = await conn.exec(["sh", "-c", "command -v odoo-bin || command -v odoo"]).catch(() => null);
  const onPath = r?.code === 0 ? r.stdout.trim().split("\n")[0] : "";
  if (onPath.startsWith("/")) {
    const hit = await asCommand(conn, onPath, "PATH");
    if (hit) return hit;
  }
  return { found: false, reason: `no odoo-bin found on ${conn.label}`, looked };
}
