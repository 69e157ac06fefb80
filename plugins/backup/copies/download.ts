/**
 * A published backup as one download: the zip as stored, a tar of the native folder, or (`as:
 * "odoo-zip"`) a native backup converted to Odoo's zip, its filestore read from the CAS objects
 * or the filestore tar.
 */
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { type BackupManifest, MANIFEST_FILE, NATIVE_SUFFIX } from "../archive/format.ts";
import { odooZipFromNative } from "../archive/odoo-zip-from-native.ts";
import type { BackupRecord } from "../store.ts";
import { tarStream } from "../archive/tar-writer.ts";

export type DownloadAs = "stored" | "odoo-zip";

export async function downloadResponse(
  b: BackupRecord,
  resolve: (id: string) => Promise<Destination>,
  as: DownloadAs = "stored",
): Promise<Response> {
  if (b.status !== "ok" || !b.manifest)
    throw new AppError("E_NOT_FOUND", `Backup ${b.name} has no published copy`);
  const good = b.destinations.filter(
    (d) => d.status === "ok" && d.verify !== "corrupt" && d.verify !== "missing",
  );
  const st = good[0];
  if (!st)
    throw new AppError("E_BACKUP_CORRUPT", `No good copy of ${b.name} is left`, {
      hint: "Verify the backup to see what happened at each destination",
    });
  if (as === "odoo-zip" && b.format === "native")
    return odooZipResponse({ ...b, manifest: b.manifest }, good, resolve);
  const d = await resolve(st.id);
  if (b.format === "zip") {
    const size = await d.size(b.name);
    if (size === null) throw new AppError("E_FILE_NOT_FOUND", `${b.name} is missing at ${d.label}`);
    return new Response(d.read(b.name), {
      headers: {
        "Content-Type": "application/zip",
        "Content-Length": String(size),
        "Content-Disposition": `attachment; filename="${b.name}"`,
        "X-Backup-Sha256": b.manifest.parts[0]?.sha256 ?? "",
      },
    });
  }
  const files = [MANIFEST_FILE, ...b.manifest.parts.map((p) => p.name)];
  const inputs = [];
  for (const f of files) {
    const size = await d.size(`${b.name}/${f}`);
    if (size === null) throw new AppError("E_BACKUP_CORRUPT", `${b.name}/${f} is missing at ${d.label}`);
    inputs.push({ path: `${b.name}/${f}`, size, open: () => d.read(`${b.name}/${f}`) });
  }
  const total = inputs.reduce((n, f) => n + 512 + Math.ceil(f.size / 512) * 512, 1024);
  return new Response(tarStream(inputs), {
    headers: {
      "Content-Type": "application/x-tar",
      "Content-Length": String(total),
      "Content-Disposition": `attachment; filename="${b.name}.tar"`,
    },
  });
}

/** The first copy that is whole enough to start (a copy on this machine first: no transfer). */
async function odooZipResponse(
  b: BackupRecord & { manifest: BackupManifest },
  good: BackupRecord["destinations"],
  resolve: (id: string) => Promise<Destination>,
): Promise<Response> {
  const { manifest } = b;
  const dests = await Promise.all(good.map((g) => resolve(g.id)));
  dests.sort((x, y) => Number(!x.localPath) - Number(!y.localPath));
  let first: unknown = null;
  for (const dest of dests) {
    try {
      const z = await odooZipFromNative({ name: b.name, manifest, dest });
      z.finished.catch(() => {}); // the stream itself ends with the error
      const file = `${b.name.slice(0, -NATIVE_SUFFIX.length)}.zip`;
      return new Response(z.stdout, {
        headers: {
          "Content-Type": "application/zip",
          "Content-Disposition": `attachment; filename="${file}"`,
        },
      });
    } catch (e) {
      const err = toAppError(e);
      if (err.code !== "E_BACKUP_CORRUPT") throw err;
      first ??= err;
    }
  }
  throw first;
}
