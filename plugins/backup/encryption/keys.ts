/**
 * The age key pair backups are encrypted with: one per odoodeck, made on first use, kept in the
 * data dir sealed by the core's secret store (ctx.secrets), never in plain text on disk. Export
 * (admins only, audited) is how an operator keeps a copy for recovery without odoodeck.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AppError, type SecretsApi } from "../../../server/sdk/index.ts";

export interface AgeKey {
  /** AGE-SECRET-KEY-1…: decrypts; never leaves odoodeck except through an audited export. */
  identity: string;
  /** age1…: encrypts. */
  recipient: string;
}

export function keyFile(dataDir: string): string {
  return join(dataDir, "backup-keys", "age-identity.sealed");
}

async function run(argv: string[], stdin?: string): Promise<string> {
  const p = Bun.spawn(argv, {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0)
    throw new AppError("E_COMMAND_FAILED", `${argv[0]} failed (exit ${code})`, {
      hint:
        err.trim().slice(0, 300) || "Install the age package (apt-get install age) on the odoodeck machine",
    });
  return out;
}

export async function recipientOf(identity: string): Promise<string> {
  return (await run(["age-keygen", "-y"], `${identity}\n`)).trim();
}

/** The identity line of an age key file's text (comments dropped); E_VALIDATION when there is none. */
export function identityFrom(text: string): string {
  const line = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  if (!line)
    throw new AppError("E_VALIDATION", "No AGE-SECRET-KEY-1… line in the key", {
      hint: "Paste the whole key file age-keygen wrote",
    });
  return line.trim();
}

const cache = new Map<string, AgeKey>();

/** The key pair, created (age-keygen) and sealed the first time it is needed. */
export async function loadOrCreateKey(dataDir: string, secrets: SecretsApi): Promise<AgeKey> {
  const path = keyFile(dataDir);
  const hit = cache.get(path);
  if (hit) return hit;
  let identity: string;
  try {
    identity = secrets.decrypt((await readFile(path, "utf8")).trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    identity = identityFrom(await run(["age-keygen"]));
    await saveKey(dataDir, secrets, identity);
  }
  const key = { identity, recipient: await recipientOf(identity) };
  cache.set(path, key);
  return key;
}

/** Replaces the key (import of an exported one); backups made with another key then fail with E_BACKUP_KEY. */
export async function saveKey(dataDir: string, secrets: SecretsApi, identity: string): Promise<void> {
  const path = keyFile(dataDir);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(`${path}.tmp`, `${secrets.encrypt(identity)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  cache.delete(path);
}

/** The text of an age key file, as `age -d -i key.txt` reads it. */
export async function exportKeyFile(k: AgeKey): Promise<string> {
  return `# odoodeck backup key, exported ${new Date().toISOString()}\n# public key: ${k.recipient}\n${k.identity}\n`;
}
