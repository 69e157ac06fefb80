/** A published backup as one download: the zip as stored, or a tar of the native folder. */
import { AppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { MANIFEST_FILE } from "../archive/format.ts";
import type { BackupRecord } from "../store.ts";
import { tarStream } from "../archive/tar-writer.ts";

export async function downloadResponse(
  b: BackupRecord,
  resolve: (id: string) => Promise<Destination>,
): Promise<Response> {
  if (b.status !== "ok" || !b.manifest)
    throw new AppError("E_NOT_FOUND", `Backup ${b.name} has no published copy`);
  const st = b.destinations.find(
    (d) => d.status === "ok" && d.verify !== "corrupt" && d.verify !== "missing",
  );
  if (!st)
    throw new AppError("E_BACKUP_CORRUPT", `No good copy of ${b.name} is left`, {
      hint: "Verify the backup to see what happened at each destination",
    });
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
