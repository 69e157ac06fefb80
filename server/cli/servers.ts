import { readFileSync } from "node:fs";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { instanceStatus } from "../instances/instance-status.ts";
import { publicInstance } from "../instances/instances.ts";
import type { ServerRow } from "../instances/registry.ts";
import { probeServer } from "../instances/server-probe.ts";
import { publicServer } from "../instances/servers.ts";
import { discoverOdooConfs } from "../odoo/discovery.ts";
import type { CliIO } from "./commands.ts";
import { runAsCli } from "./ops-cli.ts";

type Flags = Record<string, string | boolean>;

export const SERVER_USAGE = `odoodeck server add <name> [--kind ssh|local] --host H [--port 22] --user U
                    (--key-file PATH [--passphrase-stdin] | --password-stdin) [--jump NAME] [--group G]
odoodeck server test <name>     odoodeck server list [--json]
odoodeck instance add <name> --server NAME --conf PATH [--db DB] [--service S] [--container C]
                      [--url URL] [--group G] [--tags a,b] [--production=true]
odoodeck instance discover <server>     odoodeck instance list [--json]`;

const table = (rows: Array<Record<string, unknown>>, cols: string[]) => {
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (v: string[]) =>
    v
      .map((x, i) => x.padEnd(w[i]))
      .join("  ")
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ""))))].join("\n");
};

const flag = (f: Flags, k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);

async function serverByName(core: Core, ref: string | undefined): Promise<ServerRow> {
  const all = await core.registry.servers();
  const s = all.find((x) => x.name === ref || String(x.id) === ref);
  if (!s)
    throw new AppError("E_NOT_FOUND", `No server named "${ref ?? ""}"`, {
      hint: "odoodeck server list shows them",
    });
  return s;
}

/** `odoodeck server …` and `odoodeck instance …`; returns the exit code. */
export async function serverCommands(
  core: Core,
  cmd: string,
  args: string[],
  f: Flags,
  io: CliIO,
): Promise<number> {
  const [sub, name] = args;
  if (cmd === "server" && sub === "list") {
    const rows = (await core.registry.servers()).map(publicServer);
    io.out(
      f.json
        ? JSON.stringify(rows, null, 2)
        : table(rows as any, ["id", "name", "kind", "host", "port", "username", "hostKey", "group"]),
    );
    return 0;
  }
  if (cmd === "server" && sub === "add" && name) {
    const secret = f["password-stdin"] || f["passphrase-stdin"] ? await io.readStdin() : undefined;
    const keyFile = flag(f, "key-file");
    const jump = flag(f, "jump") ? (await serverByName(core, flag(f, "jump"))).id : null;
    // servers.add through the executor: the page's checks and audit entry (secrets masked).
    const row = (await runAsCli(core, "servers.add", {
      name,
      kind: flag(f, "kind") ?? (flag(f, "host") ? "ssh" : "local"),
      host: flag(f, "host"),
      port: flag(f, "port"),
      username: flag(f, "user"),
      privateKey: keyFile ? readFileSync(keyFile, "utf8") : undefined,
      passphrase: f["passphrase-stdin"] ? secret : undefined,
      password: f["password-stdin"] ? secret : undefined,
      jumpServerId: jump,
      group: flag(f, "group"),
    })) as { id: number; name: string };
    io.out(
      `server ${row.name} added (id ${row.id}); run "odoodeck server test ${row.name}" to pin its host key`,
    );
    return 0;
  }
  if (cmd === "server" && sub === "test" && name) {
    const s = await serverByName(core, name);
    const p = await probeServer(core.registry, s.id);
    if (f.json) io.out(JSON.stringify(p, null, 2));
    else {
      io.out(
        `reachable: ${p.reachable ? "yes" : "no"}   auth: ${p.authOk ? "ok" : "failed"}   host key: ${p.fingerprint ?? "-"}`,
      );
      if (p.error)
        io.err(`${p.error.code}: ${p.error.message}${p.error.hint ? `\n  hint: ${p.error.hint}` : ""}`);
      if (p.error?.presented) io.err(`  expected ${p.error.expected}\n  presented ${p.error.presented}`);
      if (p.authOk) {
        io.out(`os: ${p.os ?? "-"} (${p.distribution ?? "-"})   round trip: ${p.latencyMs} ms`);
        for (const d of p.disks)
          io.out(`disk ${d.path}: ${d.freeBytes} bytes free of ${d.totalBytes} (${d.mount})`);
        for (const t of p.tools)
          io.out(`${t.name.padEnd(11)} ${t.path ?? "missing"}${t.version ? ` (${t.version})` : ""}`);
      }
    }
    return p.authOk ? 0 : 1;
  }
  if (cmd === "instance" && sub === "list") {
    const rows = (await core.registry.instanceRows()).map(publicInstance);
    io.out(
      f.json
        ? JSON.stringify(rows, null, 2)
        : table(rows as any, ["id", "name", "serverId", "confPath", "dbName", "production", "group"]),
    );
    return 0;
  }
  if (cmd === "instance" && sub === "discover" && name) {
    const s = await serverByName(core, name);
    try {
      const found = await discoverOdooConfs(await core.registry.connection(s.id));
      io.out(
        f.json
          ? JSON.stringify(found, null, 2)
          : found.length
            ? table(found as any, ["confPath", "source", "serviceName", "container", "user"])
            : "no odoo.conf found",
      );
    } catch (e) {
      await core.registry.noteFailure(s.id, e);
      throw e;
    }
    return 0;
  }
  if (cmd === "instance" && sub === "add" && name) {
    const s = await serverByName(core, flag(f, "server"));
    // instances.add through the executor: the page's checks, audit entry and instance.added event.
    const added = (await runAsCli(core, "instances.add", {
      name,
      serverId: s.id,
      confPath: flag(f, "conf"),
      dbName: flag(f, "db"),
      service: flag(f, "service"),
      container: flag(f, "container"),
      publicUrl: flag(f, "url"),
      production: f.production === true || f.production === "true",
      group: flag(f, "group"),
      tags: flag(f, "tags")
        ?.split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    })) as { id: number };
    const row = await core.registry.instanceRow(added.id);
    const st = await instanceStatus(core.registry, row);
    io.out(`instance ${row.name} added (id ${row.id})`);
    if (!st.conf.ok) io.err(`warning: ${st.conf.error.code}: ${st.conf.error.message}`);
    else if (st.db && !st.db.ok) io.err(`warning: ${st.db.error.code}: ${st.db.error.message}`);
    else
      io.out(
        `database ${st.db?.ok ? st.db.name : "-"}: Odoo ${st.odooVersion ?? "?"}, ${st.dbSizeBytes ?? "?"} bytes`,
      );
    return 0;
  }
  throw new AppError("E_VALIDATION", `Usage:\n${SERVER_USAGE}`);
}
