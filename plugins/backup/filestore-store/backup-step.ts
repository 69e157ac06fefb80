/**
 * The filestore step of a native backup in CAS mode: scan (hash what is new), upload the objects
 * each destination lacks, then write the index as a part of the backup at each destination.
 */
import { createHash } from "node:crypto";
import type { Connection } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import type { ManifestPart } from "../archive/format.ts";
import { indexJson, PART_FILESTORE_INDEX } from "./layout.ts";
import { scanFilestore } from "./scan.ts";
import { uploadMissing } from "./upload.ts";

export interface CasStepResult {
  part: ManifestPart;
  files: number;
  bytes: number;
  /** Per destination id: objects and bytes this backup uploaded there. */
  written: Map<string, { objects: number; bytes: number }>;
  errors: Map<string, unknown>;
}

export async function backupFilestoreCas(
  conn: Connection,
  filestoreDir: string,
  dests: Destination[],
  /** Where the backup's parts go at a destination (its staging folder). */
  folder: (d: Destination) => string,
  o: {
    cachePath: string | null;
    signal?: AbortSignal;
    onBytes?: (n: number) => void;
    log?: (l: string) => void;
  },
): Promise<CasStepResult> {
  const { files } = await scanFilestore(conn, filestoreDir, o.cachePath, o);
  const up = await uploadMissing(conn, filestoreDir, files, dests, o);
  const json = indexJson(files);
  const bytes = new TextEncoder().encode(json);
  for (const d of dests) {
    if (up.errors.has(d.id)) continue;
    await d
      .write(
        `${folder(d)}/${PART_FILESTORE_INDEX}`,
        new Blob([json]).stream() as ReadableStream<Uint8Array>,
        o.signal,
      )
      .catch((e) => up.errors.set(d.id, e));
  }
  return {
    part: {
      name: PART_FILESTORE_INDEX,
      bytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      compression: "none",
      contains: "filestore-cas",
    },
    files: files.length,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    written: up.written,
    errors: up.errors,
  };
}
