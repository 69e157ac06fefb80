/**
 * Read-only share links for a customer's acceptance test: the message id and an expiry, signed
 * with a key derived from odoodeck's secret. No row is kept; a link dies with its expiry.
 */
import { timingSafeEqual } from "node:crypto";
import type { SecretsApi } from "../../../server/sdk/index.ts";

const PURPOSE = "mail-catcher-share";

export function signShare(secrets: SecretsApi, id: string, expiresAt: number): string {
  return `${id}.${expiresAt}.${secrets.keyedHash(PURPOSE, `${id}.${expiresAt}`)}`;
}

/** The message id when the token is genuine and unexpired, else null. */
export function verifyShare(secrets: SecretsApi, token: string, now = Date.now()): string | null {
  const m = /^([\w-]+)\.(\d{1,15})\.([0-9a-f]{64})$/.exec(token);
  if (!m) return null;
  const want = Buffer.from(secrets.keyedHash(PURPOSE, `${m[1]}.${m[2]}`));
  const got = Buffer.from(m[3]);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  return Number(m[2]) > now ? m[1] : null;
}
