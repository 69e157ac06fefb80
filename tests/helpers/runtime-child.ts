/**
 * An odoodeck that runs a managed Odoo and is then killed -9 by a test (nothing gets to clean
 * up). Prints {"pid": <odoo pid>} once Odoo answers, then waits to be killed.
 *
 * argv: <work dir> [<SSH connection JSON>]
 */
import { LocalConnection } from "../../server/connections/local.ts";
import { SshConnection } from "../../server/connections/ssh.ts";
import { ManagedRuntime } from "../../server/runtime/managed.ts";
import { STAND_IN_ODOO } from "./runtime.ts";

const [workDir, ssh] = process.argv.slice(2);
const connection = ssh ? new SshConnection(JSON.parse(ssh)) : new LocalConnection();
const rt = new ManagedRuntime({
  connection,
  name: "killed",
  odooBin: [STAND_IN_ODOO],
  workDir,
  db: "acme_prod",
});
await rt.start();
await rt.waitReady({ timeoutMs: 20_000 });
console.log(JSON.stringify({ pid: (await rt.status()).pid }));
setInterval(() => {}, 1 << 30); // until killed
