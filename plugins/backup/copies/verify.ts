/**
 * Re-reads a backup at each of its destinations and compares every part's size and SHA-256 with
 * what was recorded when it was made (odoo#16315: a cut transfer must never pass for a backup).
 */
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { MANIFEST_FILE, validateManifest } from "../archive/format.ts";
import { checkObjects } from "../filestore-store/check.ts";
import { isCas } from "../filestore-store/read-index.ts";
import { checkPart } from "../archive/publish.ts";
import type { BackupRecord, DestinationState } from "../store.ts";

export interface VerifyOutcome {
  destination: string;
  verify: "verified" | "corrupt" | "missing";
  error?: string;
}

export async function verifyAt(b: BackupRecord, d: Destination): Promise<VerifyOutcome> {
  const parts = b.manifest?.parts ?? [];
  if (!parts.length) return { destination: d.id, verify: "corrupt", error: "no parts recorded" };
  try {
    if (b.format === "zip") {
      if ((await d.size(b.name)) === null)
        return { destination: d.id, verify: "missing", error: `${b.name} is gone` };
      await checkPart(d, b.name, { ...parts[0], name: b.name });
    } else {
      const size = await d.size(`${b.name}/${MANIFEST_FILE}`);
      if (size === null)
        return { destination: d.id, verify: "missing", error: `${b.name}/${MANIFEST_FILE} is gone` };
      const stored = validateManifest(
        JSON.parse(await new Response(d.read(`${b.name}/${MANIFEST_FILE}`)).text()),
      );
      for (const p of parts) {
        const q = stored.parts.find((x) => x.name === p.name);
        if (!q || q.sha256 !== p.sha256 || q.bytes !== p.bytes)
          throw new AppError(
            "E_BACKUP_CORRUPT",
            `manifest.json at ${d.label} disagrees with the record for ${p.name}`,
          );
        await checkPart(d, `${b.name}/${p.name}`, p);
      }
      if (isCas(stored)) await requireObjects(d, b.name);
    }
    return { destination: d.id, verify: "verified" };
  } catch (e) {
    return { destination: d.id, verify: "corrupt", error: toAppError(e).message };
  }
}

/** A CAS backup is whole only when every object it references is there with its hash. */
async function requireObjects(d: Destination, name: string): Promise<void> {
  const r = await checkObjects(d, name);
  if (r.missing.length || r.corrupt.length)
    throw new AppError(
      "E_BACKUP_CORRUPT",
      `${r.missing.length} filestore objects missing and ${r.corrupt.length} damaged at ${d.label}`,
      {
        hint: [...r.missing.map((h) => `missing ${h}`), ...r.corrupt.map((h) => `damaged ${h}`)]
          .slice(0, 5)
          .join(", "),
      },
    );
}

/** Verifies every published copy; returns the updated destination states. */
export async function verifyBackup(
  b: BackupRecord,
  resolve: (id: string) => Promise<Destination>,
  onProgress?: (done: number, total: number) => void,
): Promise<DestinationState[]> {
  const states = b.destinations.map((s) => ({ ...s }));
  const targets = states.filter((s) => s.status === "ok");
  let done = 0;
  for (const s of targets) {
    let out: VerifyOutcome;
    try {
      out = await verifyAt(b, await resolve(s.id));
    } catch (e) {
      out = { destination: s.id, verify: "corrupt", error: toAppError(e).message };
    }
    s.verify = out.verify;
    s.verifyError = out.error;
    s.verifiedAt = new Date().toISOString();
    onProgress?.(++done, targets.length);
  }
  return states;
}

/** The error a caller sees when any copy failed verification. */
export function corruptError(states: DestinationState[]): AppError | null {
  const bad = states.filter((s) => s.status === "ok" && s.verify !== "verified");
  if (!bad.length) return null;
  return new AppError(
    "E_BACKUP_CORRUPT",
    `The backup failed verification at ${bad.map((s) => s.id).join(", ")}`,
    {
      hint: bad.map((s) => `${s.id}: ${s.verifyError ?? s.verify}`).join("; "),
    },
  );
}
