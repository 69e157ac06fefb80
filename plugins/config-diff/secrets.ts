import { masking } from "odoodeck/sdk";

/** Which values are secrets is the core's one rule set (shared with the logs): see `masking`. */
export const isSecret = masking.isSecret;

/** What pages and API answers show for a value: the fixed mask for secrets. */
export const shown = masking.shownValue;

/**
 * Digest stored instead of a secret: salted (per odoodeck install) so a short password cannot be
 * looked up in a precomputed table, stable so a change is still detected.
 */
export function secretDigest(salt: string, value: string): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(salt);
  h.update("\0");
  h.update(value);
  return `sha256:${h.digest("hex")}`;
}
