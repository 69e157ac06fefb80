import type { Connection } from "../connections/types.ts";
import {
  findConfigArg,
  isOdooCommand,
  odooExecutableOf,
  parseUnitFile,
  splitCommandLine,
} from "./odoo-argv.ts";

/** A place an odoo.conf was found; confPath is the path on the server (or inside the container). */
export interface ConfCandidate {
  confPath: string;
  source: "etc" | "systemd" | "process" | "docker" | "home";
  serviceName?: string;
  container?: string;
  user?: string;
  /** How Odoo is run there (interpreter and script, e.g. ["python3", "/opt/odoo/odoo-bin"]), when seen. */
  command?: string[];
}

export interface DiscoveryOptions {
  /** Prefix under which /etc and /lib are read (default "/"); tests lay out a fake tree there. */
  root?: string;
  /** Scan running processes (default true). */
  processes?: boolean;
  /** Ask docker for running containers (default true; silently skipped when docker is absent). */
  docker?: boolean;
  /** Home folders to look for ~/.odoorc in (default: the connection user's $HOME and the usual odoo homes). */
  homes?: string[];
}

/** Where Odoo's own default config lives when no -c is given: ~/.odoorc (older: ~/.openerp_serverrc). */
const RC_NAMES = [".odoorc", ".openerp_serverrc"];
const ODOO_HOMES = ["/var/lib/odoo", "/opt/odoo", "/home/odoo"];

const UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];
const MAX_UNIT_BYTES = 256 * 1024;

/**
 * Finds the odoo.conf files of a server: /etc/odoo*.conf, /etc/odoo/*.conf, systemd units whose
 * ExecStart passes -c/--config (or set ODOO_RC), running odoo processes, Docker containers, and
 * ~/.odoorc of the connection user and of the usual odoo users.
 * One candidate per config file; the most informative source wins (systemd > process > etc).
 *
 * @example
 * const found = await discoverOdooConfs(conn);
 * // [{ confPath: "/etc/odoo/odoo.conf", source: "systemd", serviceName: "odoo", user: "odoo" }]
 */
export async function discoverOdooConfs(
  conn: Connection,
  opts: DiscoveryOptions = {},
): Promise<ConfCandidate[]> {
  const root = (opts.root ?? "/").replace(/\/+$/, "");
  const found = await Promise.all([
    fromSystemd(conn, root),
    opts.processes === false ? [] : fromProcesses(conn),
    fromEtc(conn, root),
    opts.docker === false ? [] : fromDocker(conn),
    fromHomes(conn, root, opts.homes),
  ]);
  const byPath = new Map<string, ConfCandidate>();
  for (const c of found.flat()) {
    const key = `${c.container ?? ""}\u0000${c.confPath}`;
    const prev = byPath.get(key);
    if (!prev) byPath.set(key, c);
    else
      byPath.set(key, {
        ...c,
        ...prev,
        user: prev.user ?? c.user,
        serviceName: prev.serviceName ?? c.serviceName,
        command: prev.command ?? c.command,
      });
  }
  return [...byPath.values()];
}

async function listSafe(conn: Connection, dir: string) {
  try {
    return await conn.list(dir);
  } catch {
    return [];
  }
}

async function fromEtc(conn: Connection, root: string): Promise<ConfCandidate[]> {
  const top = (await listSafe(conn, `${root}/etc`))
    .filter((f) => f.type !== "dir" && /^odoo.*\.conf$/.test(f.name))
    .map((f) => `/etc/${f.name}`);
  const sub = (await listSafe(conn, `${root}/etc/odoo`))
    .filter((f) => f.type !== "dir" && f.name.endsWith(".conf"))
    .map((f) => `/etc/odoo/${f.name}`);
  return [...top, ...sub].sort().map((confPath) => ({ confPath, source: "etc" as const }));
}

async function readText(conn: Connection, path: string, max: number): Promise<string> {
  const reader = conn.readFile(path).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

async function fromSystemd(conn: Connection, root: string): Promise<ConfCandidate[]> {
  const out: ConfCandidate[] = [];
  const seen = new Set<string>();
  for (const dir of UNIT_DIRS) {
    for (const f of await listSafe(conn, `${root}${dir}`)) {
      // /etc overrides /lib for the same unit name, as systemd does.
      if (!f.name.endsWith(".service") || seen.has(f.name) || (f.type !== "file" && f.type !== "symlink"))
        continue;
      seen.add(f.name);
      let text: string;
      try {
        text = await readText(conn, `${root}${dir}/${f.name}`, MAX_UNIT_BYTES);
      } catch {
        continue;
      }
      if (!/odoo|openerp/i.test(text)) continue;
      const unit = parseUnitFile(text);
      const serviceName = f.name.replace(/\.service$/, "");
      for (const argv of unit.execStart) {
        const confPath = findConfigArg(argv) ?? (isOdooCommand(argv) ? unit.odooRc : undefined);
        if (confPath)
          out.push({ confPath, source: "systemd", serviceName, user: unit.user, ...commandOf(argv) });
      }
    }
  }
  return out;
}

const commandOf = (argv: string[]) => {
  const command = odooExecutableOf(argv);
  return command ? { command } : {};
};

async function fromProcesses(conn: Connection): Promise<ConfCandidate[]> {
  const res = await conn
    .exec(["ps", "-eww", "-o", "pid=,user:64=,args="], { timeoutMs: 10_000 })
    .catch(() => null);
  if (res?.code !== 0) return [];
  const out: ConfCandidate[] = [];
  for (const line of res.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    // ps shows arguments joined by spaces: quoting is lost, so paths with spaces cannot be recovered.
    const argv = m[3].split(/\s+/);
    if (!isOdooCommand(argv)) continue;
    const confPath = findConfigArg(argv);
    if (confPath) out.push({ confPath, source: "process", user: m[2], ...commandOf(argv) });
  }
  return out;
}

async function fromDocker(conn: Connection): Promise<ConfCandidate[]> {
  const res = await conn
    .exec(["docker", "ps", "--no-trunc", "--format", "{{json .}}"], { timeoutMs: 5_000 })
    .catch(() => null);
  if (res?.code !== 0) return [];
  const out: ConfCandidate[] = [];
  for (const line of res.stdout.split("\n")) {
    if (!line.trim()) continue;
    let c: { Names?: string; Image?: string; Command?: string };
    try {
      c = JSON.parse(line);
    } catch {
      continue;
    }
    const command = (c.Command ?? "").replace(/^"|"$/g, "");
    if (!/odoo/i.test(`${c.Image} ${command}`)) continue;
    // The official image reads /etc/odoo/odoo.conf unless the command says otherwise.
    const confPath = findConfigArg(splitCommandLine(command)) ?? "/etc/odoo/odoo.conf";
    out.push({ confPath, source: "docker", container: c.Names });
  }
  return out;
}

async function fromHomes(conn: Connection, root: string, homes?: string[]): Promise<ConfCandidate[]> {
  const own = homes
    ? []
    : await conn
        .exec(["printenv", "HOME"], { timeoutMs: 5_000 })
        .then((r) => (r.code === 0 ? [r.stdout.trim()] : []))
        .catch(() => []);
  const dirs = [...new Set([...(homes ?? ODOO_HOMES), ...own].filter((h) => h.startsWith("/")))];
  const out: ConfCandidate[] = [];
  for (const home of dirs) {
    const names = new Set((await listSafe(conn, `${root}${home}`)).map((f) => f.name));
    for (const rc of RC_NAMES)
      if (names.has(rc)) out.push({ confPath: `${home.replace(/\/+$/, "")}/${rc}`, source: "home" });
  }
  return out;
}
