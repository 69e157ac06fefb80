/**
 * The last stage of a backup at one destination: re-read every part and compare size and
 * SHA-256, write the manifest, then make it visible under its final name. Until then the
 * backup only exists under its partial name, which a failure removes.
 */
import { AppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { digest, sha256File } from "./fanout.ts";
import { MANIFEST_FILE, type ManifestPart, partialName } from "./format.ts";

/** Where a backup is written before it is published at this destination. */
export function stagingName(d: Destination, finalName: string): string {
  return d.atomicObjects ? finalName : partialName(finalName);
}

/** Re-reads a stored part; throws E_BACKUP_CORRUPT on any difference. */
export async function checkPart(
  d: Destination,
  rel: string,
  part: Pick<ManifestPart, "name" | "bytes" | "sha256">,
  /** Its digest was just taken from this very file (produceToFile): the size is what is left to check. */
  hashedInPlace = false,
): Promise<void> {
  const size = await d.size(rel);
  if (size === null) throw new AppError("E_BACKUP_CORRUPT", `${part.name} is missing at ${d.label}`);
  if (size !== part.bytes)
    throw new AppError(
      "E_BACKUP_CORRUPT",
      `${part.name} at ${d.label} has ${size} bytes, expected ${part.bytes}`,
      {
        hint: "The copy is truncated or was changed after it was written",
      },
    );
  if (hashedInPlace) return;
  const got = d.localPath ? await sha256File(d.localPath(rel)) : await digest(d.read(rel));
  if (got.sha256 !== part.sha256 || got.bytes !== part.bytes)
    throw new AppError("E_BACKUP_CORRUPT", `${part.name} at ${d.label} does not match its SHA-256`, {
      hint: "The copy was damaged in transfer or on disk; make a new backup",
    });
}

const text = (s: string) => new Blob([s]).stream() as ReadableStream<Uint8Array>;

/** Native folder: parts checked, manifest written last, then renamed (or, on S3, the manifest makes it whole). */
export async function publishNative(
  d: Destination,
  finalName: string,
  parts: ManifestPart[],
  manifestJson: string,
  hashedInPlace: (rel: string) => boolean = () => false,
): Promise<void> {
  const staging = stagingName(d, finalName);
  for (const p of parts) await checkPart(d, `${staging}/${p.name}`, p, hashedInPlace(`${staging}/${p.name}`));
  await d.write(`${staging}/${MANIFEST_FILE}`, text(manifestJson));
  const m = new TextEncoder().encode(manifestJson);
  await checkPart(d, `${staging}/${MANIFEST_FILE}`, {
    name: MANIFEST_FILE,
    bytes: m.byteLength,
    sha256: new Bun.CryptoHasher("sha256").update(m).digest("hex"),
  });
  if (!d.atomicObjects) await d.rename(staging, finalName);
}

/** Single-file zip: checked, then renamed (on S3 the object appeared whole when its upload completed). */
export async function publishFile(
  d: Destination,
  finalName: string,
  part: ManifestPart,
  hashedInPlace: (rel: string) => boolean = () => false,
): Promise<void> {
  const staging = stagingName(d, finalName);
  await checkPart(d, staging, { ...part, name: finalName }, hashedInPlace(staging));
  if (!d.atomicObjects) await d.rename(staging, finalName);
}
