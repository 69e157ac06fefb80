/**
 * Streams an uploaded Odoo backup (the raw request body) to a file under the data dir, chunk by
 * chunk (memory stays flat whatever the size), then checks it is restorable: a zip whose every
 * entry matches its CRC, or Odoo's `dump` format (a pg_dump custom file, told by its PGDMP magic).
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { AppError, isAppError } from "../../../server/sdk/index.ts";
import { uploadDir } from "../http/access.ts";
import { openOdooZip } from "../archive/odoo-zip-import.ts";
import { isPgDump } from "./restore-archive.ts";

export async function saveUpload(
  dataDir: string,
  body: ReadableStream<Uint8Array> | null,
): Promise<{ path: string; bytes: number; sha256: string; dbName: string | null; files: number }> {
  if (!body)
    throw new AppError("E_VALIDATION", "The upload is empty", { hint: "Send the zip as the request body" });
  const dir = uploadDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let path = join(dir, `upload-${Date.now()}-${crypto.randomUUID().slice(0, 8)}.zip`);
  const sink = Bun.file(path).writer({ highWaterMark: 1 << 20 });
  let bytes = 0;
  const hash = new Bun.CryptoHasher("sha256"); // recorded with the upload (uploads.ts)
  try {
    for await (const chunk of body) {
      sink.write(chunk);
      hash.update(chunk);
      bytes += chunk.byteLength;
      if (bytes % (8 << 20) < chunk.byteLength) await sink.flush(); // bounded buffering
    }
    await sink.end();
    const sha256 = hash.digest("hex");
    if (await isPgDump(path)) {
      const dump = path.replace(/\.zip$/, ".dump");
      await rename(path, dump);
      path = dump;
      return { path, bytes, sha256, dbName: null, files: 0 };
    }
    const zip = await openOdooZip(path).catch((e) => {
      throw new AppError(
        "E_BACKUP_CORRUPT",
        `The upload is not a restorable Odoo zip: ${(e as Error).message}`,
        {
          hint: 'Upload the .zip (or the pg_dump "dump" file) made by Odoo\'s database manager, or a zip made by odoodeck',
        },
      );
    });
    zip.close();
    return { path, bytes, sha256, dbName: zip.manifest?.db_name ?? null, files: zip.filestoreFiles.length };
  } catch (e) {
    await Promise.resolve(sink.end()).catch(() => {});
    await rm(path, { force: true });
    throw isAppError(e) ? e : new AppError("E_VALIDATION", `The upload failed: ${(e as Error).message}`);
  }
}
