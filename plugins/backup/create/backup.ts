/**
 * Creating a backup: an operation with steps inspect → dump database ∥ archive filestore →
 * checksum & publish. pg_dump and tar run on the instance's server (through its Connection, so
 * SSH works too) and are compressed there; their output streams to every destination at once.
 * Nothing is published until every part is written, synced and re-read; a failure or cancel
 * removes the partial copies.
 *
 * startBackup claims the backup (claimBackup), runs the operation (runBackup: the steps of
 * backup-steps.ts over the shared state of backup-run.ts) and settles the record (settleRecord).
 */
import type { InstanceHandle, OperationsApi } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import {
  type BackupFormat,
  type BackupManifest,
  type BackupScope,
  backupBaseName,
  nativeName,
  zipName,
} from "../archive/format.ts";
import { acquireWrite } from "../filestore-store/lock.ts";
import type { BackupRecord, BackupStore, DestinationState } from "../store.ts";
import { type BackupClaim, BackupRun } from "./backup-run.ts";
import {
  discardUnpublished,
  inspectSource,
  manifestHeader,
  publishToDestinations,
  recordResult,
  type StepRunner,
  writeNativeParts,
  writeOdooZip,
} from "./backup-steps.ts";

export interface BackupRequest {
  scope: BackupScope;
  format: BackupFormat;
  destinations: Destination[];
  actor: string;
  /** Run as a child of this operation (e.g. the upgrade it protects): under its lock, cancelled with it. */
  parentId?: string;
  /** Native only: the filestore goes into each destination's object store (filestore-store/). */
  cas?: { cachePath: string | null };
}

export interface BackupEnv {
  operations: OperationsApi;
  store: BackupStore;
  onFinished?: (b: BackupRecord) => void;
}

/** Starts the backup operation; resolves once it is recorded (the work goes on in the background). */
export async function startBackup(env: BackupEnv, inst: InstanceHandle, req: BackupRequest) {
  const claim = await claimBackup(env, inst, req);
  const op = env.operations.start({
    kind: "backup.create",
    title: `Back up ${inst.name} (${req.scope}, ${req.format})`,
    instanceId: inst.id,
    actor: req.actor,
    lock: true,
    ...(req.parentId ? { parentId: req.parentId } : {}),
    steps: stepNames(req),
    run: (o) => runBackup(env, inst, req, claim, o),
  });
  await env.store.update(claim.backupId, { operationId: op.id });
  const done = op.done.then(() => settleRecord(env, claim, op.id));
  return { backupId: claim.backupId, operationId: op.id, name: claim.name, done };
}

/**
 * Before the operation: checks the request, resolves the database, picks a name no other backup
 * of the instance has, and records the backup as running with every destination pending.
 */
async function claimBackup(env: BackupEnv, inst: InstanceHandle, req: BackupRequest): Promise<BackupClaim> {
  if (!req.destinations.length) throw new AppError("E_VALIDATION", "Choose at least one destination");
  const { settings, db: baseDb } = await inst.odoo();
  const dbName = inst.dbName ?? settings.dbNames[0];
  if (!dbName)
    throw new AppError("E_CONF_INVALID", `${inst.name} has no database name`, {
      hint: "Set db_name in odoo.conf or on the instance",
    });
  const db = baseDb.withDatabase(dbName);
  const createdAt = new Date();
  // Two backups within one second (e.g. an upgrade's own backup right after a scheduled one) get -2, -3…
  const taken = new Set((await env.store.list(inst.id, 50)).map((b) => b.name));
  let name = "";
  for (let seq = 1; !name || taken.has(name); seq++) {
    const base = backupBaseName(inst.name, dbName, createdAt, req.scope, seq);
    name = req.format === "zip" ? zipName(base) : nativeName(base);
  }
  const dests: DestinationState[] = req.destinations.map((d) => ({
    id: d.id,
    label: d.label,
    status: "pending",
    path: d.where(name),
  }));
  const backupId = await env.store.insert({
    instanceId: inst.id,
    name,
    scope: req.scope,
    format: req.format,
    createdAt: createdAt.toISOString(),
    finishedAt: null,
    bytes: 0,
    status: "running",
    error: null,
    operationId: null,
    manifest: null,
    destinations: dests,
  });
  return { dbName, db, filestoreDir: settings.filestorePath(dbName), createdAt, name, backupId, dests };
}

/** The operation's steps as its page lists them. */
function stepNames(req: BackupRequest): string[] {
  const dataSteps =
    req.format === "zip"
      ? ["write odoo zip"]
      : [
          ...(req.scope !== "files" ? ["dump database"] : []),
          ...(req.scope !== "db" ? ["archive filestore"] : []),
        ];
  return ["inspect", ...dataSteps, "checksum & publish"];
}

/**
 * The operation's body: inspect, write the parts, publish them, record the result. Whatever
 * fails or is cancelled, discardUnpublished leaves no half-made copy behind.
 */
async function runBackup(
  env: BackupEnv,
  inst: InstanceHandle,
  req: BackupRequest,
  claim: BackupClaim,
  o: StepRunner,
) {
  const run = await BackupRun.open(env, inst, req, claim, o.signal);
  const facts = await o.step("inspect", (s) => inspectSource(run, s));
  const header = manifestHeader(run, facts);
  // No garbage collection at these destinations until this backup is published or removed.
  const releases = req.cas ? await Promise.all(req.destinations.map((d) => acquireWrite(d.id))) : [];
  try {
    for (const s of claim.dests) s.status = "writing";
    await run.save();
    const parts = req.format === "zip" ? await writeOdooZip(run, o, facts) : await writeNativeParts(run, o);
    const manifest: BackupManifest = { ...header, parts };
    const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
    await o.step("checksum & publish", (s) => publishToDestinations(run, s, parts, manifestJson));
    return await recordResult(run, manifest, manifestJson);
  } catch (e) {
    throw await discardUnpublished(run, e, o.signal);
  } finally {
    for (const release of releases) release();
  }
}

/**
 * Once the operation has ended: a record still "running" means run() never ran (e.g. E_BUSY on
 * the lock), so it is failed with the operation's reason. Tells onFinished; resolves to the record.
 */
async function settleRecord(env: BackupEnv, claim: BackupClaim, operationId: string): Promise<BackupRecord> {
  const b = (await env.store.get(claim.backupId))!;
  if (b.status === "running") {
    const snap = env.operations.get(operationId);
    await env.store.update(claim.backupId, {
      status: "failed",
      finishedAt: new Date().toISOString(),
      error: snap?.error ? `${snap.error.code}: ${snap.error.message}` : "did not start",
      destinations: claim.dests.map((d) => ({ ...d, status: "failed" as const })),
    });
  }
  const final = (await env.store.get(claim.backupId))!;
  env.onFinished?.(final);
  return final;
}
