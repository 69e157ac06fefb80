/**
 * Which objects a destination holds: one listing per backup (a readdir, one `find` over the
 * connection, or an S3 listing), so a backup uploads exactly what is missing there. The listing
 * is the truth, not a cache: objects removed by hand or by another odoodeck are uploaded again.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";
import { LocalDestination } from "../destinations/local.ts";
import { S3Destination } from "../destinations/s3.ts";
import { INCOMING_PREFIX, ServerDestination } from "../destinations/server.ts";
import type { Destination } from "../destinations/types.ts";
import { AGE_SUFFIX } from "../encryption/age.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { hashOfObjectRel, OBJECTS_DIR } from "./layout.ts";

// Objects (<aa>/<name>), and incoming folders a killed writeMany left (garbage to sweep).
const FIND = `[ -d "$1" ] || exit 0; cd "$1" && find . -mindepth 1 -maxdepth 2 \\( -path './${INCOMING_PREFIX}*' -prune -printf '%P\\n' \\) -o \\( -path './*/*' -type f -printf '%P\\n' \\)`;

/** Files under objects/, as "<aa>/<name>" (names as stored, suffixes included). */
export async function rawObjects(d: Destination): Promise<string[]> {
  if (d instanceof LocalDestination) {
    const root = join(d.root, OBJECTS_DIR);
    const out: string[] = [];
    for (const aa of await readdir(root).catch(() => [] as string[]))
      for (const f of await readdir(join(root, aa)).catch(() => [] as string[])) out.push(`${aa}/${f}`);
    return out;
  }
  if (d instanceof ServerDestination) {
    const dir = `${d.root.replace(/\/+$/, "")}/${OBJECTS_DIR}`;
    const r = await d.conn.exec(["sh", "-c", FIND, "odoodeck-cas-objects", dir], { timeoutMs: 600_000 });
    if (r.code !== 0)
      throw new AppError("E_COMMAND_FAILED", `Could not list ${dir} on ${d.conn.label}`, {
        hint: r.stderr.trim(),
      });
    return r.stdout.split("\n").filter(Boolean);
  }
  if (d instanceof S3Destination) {
    const prefix = `${d.prefix}${OBJECTS_DIR}/`;
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await d.client.list({ prefix, continuationToken: token });
      for (const c of page.contents ?? []) out.push(c.key.slice(prefix.length));
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
    return out;
  }
  throw new AppError("E_VALIDATION", `The ${d.kind} destination cannot hold a content-addressed filestore`);
}

/**
 * The SHA-256 of every object at `d`. Through an EncryptedDestination only encrypted objects
 * count (a plain object there would be stored unencrypted); elsewhere only plain ones.
 */
export async function listObjects(d: Destination): Promise<Set<string>> {
  const enc = d instanceof EncryptedDestination;
  const names = await rawObjects(enc ? d.inner : d);
  const out = new Set<string>();
  for (const n of names) {
    if (enc !== n.endsWith(AGE_SUFFIX)) continue;
    const h = hashOfObjectRel(enc ? n.slice(0, -AGE_SUFFIX.length) : n);
    if (h) out.add(h);
  }
  return out;
}
