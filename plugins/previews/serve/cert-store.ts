/**
 * The previews' certificates from an ACME CA (table previews_certificates) and the ACME account
 * keys (previews_acme_accounts). Private keys are sealed with the core's secret key: a copy of the
 * database alone gives away no key.
 */
import type { Kysely, SecretsApi } from "../../../server/sdk/index.ts";

export interface CertificateRecord {
  host: string;
  /** PEM chain (leaf first); null while none was ever issued. */
  cert: string | null;
  key: string | null;
  notAfter: string | null;
  issuedAt: string | null;
  /** The last attempt's failure (E_PREVIEWS_ACME_*), cleared by a success. */
  errorCode: string | null;
  error: string | null;
  attemptedAt: string;
}

export class CertificateStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly secrets: SecretsApi,
  ) {}

  #row = (r: any, keys = true): CertificateRecord => ({
    host: r.host,
    cert: r.cert,
    key: r.key_sealed && keys ? this.secrets.decrypt(r.key_sealed) : null,
    notAfter: r.not_after,
    issuedAt: r.issued_at,
    errorCode: r.error_code,
    error: r.error,
    attemptedAt: r.attempted_at,
  });

  /** Without `keys`, `key` is null: the page and the change check need no private key opened. */
  async list(opts: { keys?: boolean } = {}): Promise<CertificateRecord[]> {
    const rows = await this.db.selectFrom("previews_certificates").selectAll().orderBy("host").execute();
    return rows.map((r) => this.#row(r, !!opts.keys));
  }

  async get(host: string): Promise<CertificateRecord | null> {
    const r = await this.db
      .selectFrom("previews_certificates")
      .selectAll()
      .where("host", "=", host)
      .executeTakeFirst();
    return r ? this.#row(r) : null;
  }

  /** A new certificate replaces the old one and clears the last error. */
  async saveIssued(
    host: string,
    c: { cert: string; key: string; notAfter: string },
    at: string,
  ): Promise<void> {
    const values = {
      cert: c.cert,
      key_sealed: this.secrets.encrypt(c.key),
      not_after: c.notAfter,
      issued_at: at,
      error_code: null,
      error: null,
      attempted_at: at,
    };
    await this.db
      .insertInto("previews_certificates")
      .values({ host, ...values })
      .onConflict((oc) => oc.column("host").doUpdateSet(values))
      .execute();
  }

  /** A failed attempt keeps the certificate the host had (it may still be valid). */
  async saveFailure(host: string, code: string, message: string, at: string): Promise<void> {
    await this.db
      .insertInto("previews_certificates")
      .values({ host, error_code: code, error: message, attempted_at: at })
      .onConflict((oc) =>
        oc.column("host").doUpdateSet({ error_code: code, error: message, attempted_at: at }),
      )
      .execute();
  }

  async remove(host: string): Promise<void> {
    await this.db.deleteFrom("previews_certificates").where("host", "=", host).execute();
  }

  /** The account key for this CA and e-mail, made (and kept sealed) on first use. */
  async accountKey(directoryUrl: string, email: string, make: () => Promise<string>): Promise<string> {
    const r = await this.db
      .selectFrom("previews_acme_accounts")
      .select("key_sealed")
      .where("directory_url", "=", directoryUrl)
      .where("email", "=", email)
      .executeTakeFirst();
    if (r) return this.secrets.decrypt(r.key_sealed);
    await this.db
      .insertInto("previews_acme_accounts")
      .values({
        directory_url: directoryUrl,
        email,
        key_sealed: this.secrets.encrypt(await make()),
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    // Two first issuances at once: both use the key that was stored first.
    return this.accountKey(directoryUrl, email, make);
  }
}
