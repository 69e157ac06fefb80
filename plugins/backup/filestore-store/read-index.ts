/** A CAS backup's index and manifest flag, read at a destination. */
import { AppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { type BackupManifest, MANIFEST_FILE, validateManifest } from "../archive/format.ts";
import { type FilestoreIndex, PART_FILESTORE_INDEX, parseIndex } from "./layout.ts";

/** True when the manifest says the filestore is in the destination's object store. */
export function isCas(m: Pick<BackupManifest, "filestore"> | null | undefined): boolean {
  return m?.filestore?.format === "cas";
}

const corrupt = (msg: string) =>
  new AppError("E_BACKUP_CORRUPT", msg, {
    hint: "The backup's files at that destination were damaged or removed",
  });

export async function readManifestAt(d: Destination, name: string): Promise<BackupManifest> {
  if ((await d.size(`${name}/${MANIFEST_FILE}`)) === null)
    throw corrupt(`${name}/${MANIFEST_FILE} is missing at ${d.label}`);
  try {
    return validateManifest(JSON.parse(await new Response(d.read(`${name}/${MANIFEST_FILE}`)).text()));
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw corrupt(`${name}/${MANIFEST_FILE} at ${d.label} cannot be read (${(e as Error).message})`);
  }
}

export async function readIndexAt(d: Destination, name: string): Promise<FilestoreIndex> {
  const rel = `${name}/${PART_FILESTORE_INDEX}`;
  if ((await d.size(rel)) === null) throw corrupt(`${rel} is missing at ${d.label}`);
  try {
    return parseIndex(await new Response(d.read(rel)).text());
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw corrupt(`${rel} at ${d.label} cannot be read (${(e as Error).message})`);
  }
}
