/**
 * An odoodeck that is killed mid-restore. Run in its own process group by a test, which waits for
 * the temporary databases to appear and then SIGKILLs the whole group (as systemd does with a
 * service's cgroup, or as a power loss does): nothing gets to clean up.
 *
 * argv: <data dir> <JSON { restoreTest?: { instanceId, targetId? }, restore?: { instanceId, backupId },
 *   backup?: { instanceId, destinations } }>
 */
import backupPlugin from "../../plugins/backup/index.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";

const [dataDir, spec] = process.argv.slice(2);
const want = JSON.parse(spec) as {
  restoreTest?: { instanceId: number; targetId?: number };
  restore?: { instanceId: number; backupId: number };
  backup?: { instanceId: number; destinations: string[] };
};
const core = await Core.open(loadConfig({ data: dataDir, port: "0", plugins: "false" }, {}));
await core.startPlugins([backupPlugin]);
const service = (name: string) => core.services.get(name) as any;
if (want.restoreTest)
  await service("backup.restoreTests").start({
    ...want.restoreTest,
    actor: "crash",
    trigger: "cli",
  });
if (want.restore)
  await service("backup.api").restore(want.restore.instanceId, {
    backupId: want.restore.backupId,
    actor: "crash",
    neutralize: false,
  });
if (want.backup)
  await service("backup.api").create(want.backup.instanceId, {
    destinations: want.backup.destinations,
    actor: "crash",
  });
console.log("started");
setInterval(() => {}, 1 << 30); // until killed
