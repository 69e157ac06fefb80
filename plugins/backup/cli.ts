/** `odoodeck backup create|list|verify|download|restore-test`: the same service as the pages, with a progress line. */
import { createWriteStream } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CliCommand, PluginContext } from "../../server/sdk/index.ts";
import { resolveDestination } from "./destinations/resolve.ts";
import { downloadResponse } from "./copies/download.ts";
import { exportKeyFile, loadOrCreateKey } from "./encryption/keys.ts";
import { createRestoreTests } from "./restore-tests/restore-tests.ts";
import { createBackupService } from "./service.ts";
import type { BackupSettings } from "./settings.ts";
import { isVerified } from "./store.ts";

function flags(args: string[]): { pos: string[]; opt: Record<string, string> } {
  const pos: string[] = [];
  const opt: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (m) opt[m[1]] = m[2] ?? args[++i] ?? "";
    else pos.push(args[i]);
  }
  return { pos, opt };
}

async function instanceId(ctx: PluginContext, ref: string | undefined): Promise<number> {
  if (!ref) throw new Error("Give an instance id or name");
  if (/^\d+$/.test(ref)) return Number(ref);
  const found = (await ctx.instances.list()).find((i) => i.name === ref);
  if (!found) throw new Error(`No instance named ${ref}`);
  return found.id;
}

/** Prints the operation's current step and bytes on one line until it ends. */
async function follow(ctx: PluginContext, opId: string, done: Promise<unknown>) {
  let finished = false;
  done.finally(() => (finished = true)).catch(() => {});
  while (!finished) {
    const s = ctx.operations.get(opId);
    const cur = s?.steps
      .filter((x) => x.status === "running")
      .map((x) => `${x.name} ${((x.bytesDone ?? 0) / 1048576).toFixed(1)} MiB`)
      .join(" | ");
    if (cur) process.stderr.write(`\r${cur}\u001b[K`);
    await Bun.sleep(250);
  }
  process.stderr.write("\r\u001b[K");
}

const cx = (ctx: PluginContext) => ctx as unknown as PluginContext<BackupSettings>;

export const backupCli: CliCommand[] = [
  {
    name: "backup create",
    summary: "Back up an instance now",
    usage:
      "backup create <instance> [--scope full|db|files] [--format native|zip] [--to local,s3,server:<id>]",
    async run(args, ctx) {
      const { pos, opt } = flags(args);
      const svc = createBackupService(cx(ctx));
      const r = await svc.create(
        await instanceId(ctx, pos[0]),
        { scope: opt.scope, format: opt.format, destinations: opt.to },
        "cli",
      );
      await follow(ctx, r.operationId, r.done);
      const b = await r.done;
      console.log(
        `${b.status}\t${b.name}\t${b.bytes} bytes\t${b.destinations.map((d) => `${d.id}:${d.status}`).join(" ")}${b.error ? `\t${b.error}` : ""}`,
      );
      return b.status === "ok" ? 0 : 1;
    },
  },
  {
    name: "backup list",
    summary: "List an instance's backups",
    usage: "backup list <instance>",
    async run(args, ctx) {
      const svc = createBackupService(cx(ctx));
      for (const b of await svc.store.list(await instanceId(ctx, flags(args).pos[0])))
        console.log(
          [b.id, b.createdAt, b.status, isVerified(b) ? "verified" : "-", b.bytes, b.name].join("\t"),
        );
      return 0;
    },
  },
  {
    name: "backup verify",
    summary: "Re-read a backup at every destination and compare sizes and SHA-256",
    usage: "backup verify <backup id>",
    async run(args, ctx) {
      const svc = createBackupService(cx(ctx));
      const r = await svc.verify(Number(flags(args).pos[0]), "cli");
      const b = await r.done;
      for (const d of b.destinations)
        console.log(`${d.id}\t${d.verify ?? d.status}${d.verifyError ? `\t${d.verifyError}` : ""}`);
      return b.destinations.every((d) => d.status !== "ok" || d.verify === "verified") ? 0 : 1;
    },
  },
  {
    name: "backup restore-test",
    summary: "Restore the latest backup into a scratch database, check it, drop it",
    usage: "backup restore-test <instance> [--target <instance>]",
    async run(args, ctx) {
      const { pos, opt } = flags(args);
      const svc = createBackupService(cx(ctx));
      const tests = createRestoreTests(cx(ctx), svc.store);
      const id = await instanceId(ctx, pos[0]);
      const targetId = opt.target ? await instanceId(ctx, opt.target) : null;
      const actor = `cli:${process.env.USER ?? "unknown"}`;
      const r = await tests.start({ instanceId: id, targetId, actor, trigger: "cli" });
      await ctx.audit(
        { actor },
        {
          action: "backup.restore-test", // the operation's name, as on every other surface
          target: (await ctx.instances.get(id)).name,
          instanceId: id,
          details: {
            surface: "cli",
            targetInstanceId: targetId ?? id,
            testId: r.testId,
            operationId: r.operationId,
          },
        },
      );
      await follow(ctx, r.operationId, r.done);
      const t = await r.done;
      for (const c of t.checks)
        console.log(
          `${c.status === "ok" ? "pass" : c.status === "failed" ? "FAIL" : "skip"}\t${c.name}\t${c.message}`,
        );
      console.log(
        `${t.status}\t${t.backupName ?? "-"}\trestore ${t.restoreSeconds ?? "-"} s\ttotal ${t.totalSeconds ?? "-"} s${t.error ? `\t${t.error}` : ""}`,
      );
      return t.status === "ok" ? 0 : 1;
    },
  },
  {
    name: "backup key-export",
    summary: "Write the age key that decrypts backups on servers and S3 to a new file (keep it offline)",
    usage: "backup key-export <file>",
    async run(args, ctx) {
      const { pos } = flags(args);
      if (!pos[0]) throw new Error("Usage: odoodeck backup key-export <file>");
      const key = await loadOrCreateKey(ctx.dataDir, ctx.secrets);
      // "wx": never overwrite a file, 0600: the key decrypts every remote backup.
      await writeFile(pos[0], await exportKeyFile(key), { mode: 0o600, flag: "wx" });
      const actor = `cli:${process.env.USER ?? "unknown"}`;
      await ctx.audit({ actor }, { action: "backup.key.export", target: key.recipient });
      console.log(`Wrote the backup key to ${pos[0]} (public key ${key.recipient}); see docs/recovery.md`);
      return 0;
    },
  },
  {
    name: "backup download",
    summary: "Save a backup (zip, a tar of the native folder, or --as odoo-zip) to a file",
    usage: "backup download <backup id> <file> [--as odoo-zip]",
    async run(args, ctx) {
      const { pos, opt } = flags(args);
      const svc = createBackupService(cx(ctx));
      const b = await svc.store.get(Number(pos[0]));
      if (!b) throw new Error(`No backup ${pos[0]}`);
      const as = opt.as === "odoo-zip" ? "odoo-zip" : "stored";
      if (opt.as !== undefined && opt.as !== as) throw new Error(`Unknown --as ${opt.as} (odoo-zip)`);
      const res = await downloadResponse(b, (id) => resolveDestination(cx(ctx), id), as);
      const zip = b.format === "zip" || (as === "odoo-zip" && b.format === "native");
      const file =
        pos[1] ??
        (zip ? `${b.name.replace(/\.odoodeck$/, "")}${b.format === "zip" ? "" : ".zip"}` : `${b.name}.tar`);
      // Under a temporary name: a download that fails half-way leaves no file that looks whole.
      const tmp = `${file}.partial`;
      try {
        await pipeline(
          Readable.fromWeb(res.body as any),
          createWriteStream(tmp, { flags: "wx", mode: 0o600 }),
        );
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return 0;
    },
  },
];
