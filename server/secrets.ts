import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "./errors.ts";
import type { SecretsApi } from "./sdk/types.ts";

/**
 * Secrets at rest are sealed with AES-256-GCM under a key kept in <data>/secret.key (0600,
 * created on first start) or ODOODECK_SECRET_KEY (64 hex chars or base64 of 32 bytes).
 * Sealed form: "v1:" + base64(iv | tag | ciphertext).
 */
export class SecretBox implements SecretsApi {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32)
      throw new AppError("E_CONFIG", "Invalid configuration: the secret key must be 32 bytes");
    this.#key = key;
  }

  static load(dataDir: string, envKey = process.env.ODOODECK_SECRET_KEY): SecretBox {
    if (envKey) {
      const key = /^[0-9a-f]{64}$/i.test(envKey) ? Buffer.from(envKey, "hex") : Buffer.from(envKey, "base64");
      if (key.length !== 32)
        throw new AppError(
          "E_CONFIG",
          "Invalid configuration: ODOODECK_SECRET_KEY must be 64 hex characters or base64 of 32 bytes",
          {
            hint: "Generate one with: openssl rand -hex 32",
          },
        );
      return new SecretBox(key);
    }
    const path = join(dataDir, "secret.key");
    if (!existsSync(path)) {
      writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
    }
    const text = readFileSync(path, "utf8").trim();
    if (!/^[0-9a-f]{64}$/i.test(text))
      throw new AppError("E_CONFIG", `Invalid configuration: ${path} does not hold a 64-hex-character key`, {
        hint: "Restore the file from a backup: without it, stored server credentials cannot be decrypted",
      });
    return new SecretBox(Buffer.from(text, "hex"));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  decrypt(sealed: string): string {
    if (!sealed.startsWith("v1:")) throw new AppError("E_INTERNAL", "Unknown secret format");
    const raw = Buffer.from(sealed.slice(3), "base64");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    } catch {
      throw new AppError("E_INTERNAL", "A stored secret cannot be decrypted", {
        hint: "The secret key changed since it was stored; restore the original secret.key or re-enter the credentials",
      });
    }
  }

  /**
   * A keyed digest (HMAC-SHA256, hex) for comparing secrets without storing them: equal inputs give
   * equal digests under one odoodeck key, and a stolen store cannot be brute-forced offline
   * without secret.key. `purpose` separates uses (e.g. "config-diff.admin_passwd").
   */
  keyedHash(purpose: string, value: string): string {
    return createHmac("sha256", this.derive(`keyed-hash:${purpose}`))
      .update(value, "utf8")
      .digest("hex");
  }

  /** A purpose-bound sub-key (HMAC-SHA256 of the label), e.g. for signing session cookies. */
  derive(label: string): Uint8Array {
    return new Uint8Array(createHmac("sha256", this.#key).update(label).digest());
  }
}
