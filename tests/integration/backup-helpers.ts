/** Shared set-up for backup tests: an odoodeck with the backup plugin and acme_prod instances. */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { settings as backupSettings } from "../../plugins/backup/settings.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { fixtureDb, getPg } from "../helpers/pg.ts";
import { getSshd } from "../helpers/sshd.ts";

export async function startBackupApp(): Promise<TestApp & { dir: string }> {
  const t = await startTestApp({ plugins: [backupPlugin] });
  return Object.assign(t, { dir: mkdtempSync(join(tmpdir(), "odoodeck-backup-")) });
}

export async function setBackupSettings(t: TestApp, values: Record<string, unknown>) {
  await writeSettings(t.core.db, t.core.secrets, "backup", backupSettings, values);
}

/**
 * A fresh copy of acme_prod on the test cluster with its real filestore under `dir`, and an
 * odoo.conf pointing at both: what an Odoo on this machine leaves for odoodeck to find.
 */
export async function acmeOnDisk(dir: string, name: string, opts: { password?: string } = {}) {
  const pg = await getPg();
  const db = await fixtureDb("acme_prod");
  const data = join(dir, `data-${name}`);
  mkdirSync(join(data, "filestore"), { recursive: true });
  const extracted = await extractFilestore("acme_prod", join(data, "tmp"));
  renameSync(extracted, join(data, "filestore", db));
  const confPath = join(dir, `${name}.conf`);
  writeFileSync(
    confPath,
    [
      "[options]",
      "db_host = 127.0.0.1",
      `db_port = ${pg.port}`,
      `db_user = ${pg.odooUser}`,
      `db_password = ${opts.password ?? pg.odooPassword}`,
      `db_name = ${db}`,
      `data_dir = ${data}`,
      "",
    ].join("\n"),
  );
  return { db, data, confPath, filestore: join(data, "filestore", db) };
}

/** A fresh copy of acme_prod with its real filestore, registered as an instance. */
export async function addAcmeInstance(
  t: TestApp & { dir: string },
  name: string,
  opts: { password?: string; production?: boolean } = {},
) {
  const { db, data, confPath, filestore } = await acmeOnDisk(t.dir, name, opts);
  const id = await t.addLocalInstance({ name, confPath, dbName: db, production: opts.production });
  return { id, db, data, filestore };
}

/**
 * Registers the loopback sshd as the server "ssh-loopback" (through the API) and moves the instance
 * onto it: its odoo.conf and filestore are then reached over SSH; its database stays on the test
 * cluster. Returns the server's id.
 */
export async function moveToSshServer(t: TestApp, instanceId: number): Promise<number> {
  const sshd = await getSshd();
  const srv = await t.admin.postJson("/api/v1/servers", {
    name: "ssh-loopback",
    kind: "ssh",
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  if (srv.status !== 201) throw new Error(`adding the SSH server: ${JSON.stringify(srv.body)}`);
  await t.core.db
    .updateTable("instances")
    .set({ server_id: srv.body.data.id })
    .where("id", "=", instanceId)
    .execute();
  return srv.body.data.id;
}

export async function sha256File(path: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return h.digest("hex");
}

export async function sh(cmd: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}
