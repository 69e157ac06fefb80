import type { CoreDb } from "../db/schema.ts";

/** Failures from one address allowed for one username before sign-ins from there wait. */
export const FREE_FAILURES = 5;
/** Failures from one address across all usernames (someone trying many accounts). */
export const FREE_FAILURES_PER_ADDRESS = 20;
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 15 * 60_000;
/** A pair that has not failed for this long starts again from zero. */
const FORGET_MS = 60 * 60_000;
// The per-address row uses a username no account can have (users.ts allows letters, digits, . _ @ -).
const ANY_USER = "*";

export interface LoginLock {
  username: string;
  ip: string;
  failures: number;
  lockedUntil: number;
}

/**
 * Failed sign-ins, counted per (username, client address) with delays that double: after five
 * failures from one address that address waits 30 s, then 1 min, 2 min… up to 15 min, before it
 * may try that username again. Someone guessing from another address cannot lock the real user
 * out (a shared per-username lock did exactly that). An address trying many usernames is slowed
 * the same way after 20 failures. Kept in the store, so `odoodeck user unlock` reaches it.
 */
export class LoginLimiter {
  constructor(
    private readonly db: CoreDb,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this address may try this username again, or 0. */
  async retryAfter(ip: string, username: string): Promise<number> {
    const rows = await this.db
      .selectFrom("login_failures")
      .select("locked_until")
      .where("ip", "=", ip)
      .where("username", "in", [key(username), ANY_USER])
      .execute();
    return Math.max(0, ...rows.map((r) => Number(r.locked_until) - this.now()));
  }

  async fail(ip: string, username: string): Promise<void> {
    if (key(username) !== ANY_USER) await this.#bump(key(username), ip, FREE_FAILURES);
    await this.#bump(ANY_USER, ip, FREE_FAILURES_PER_ADDRESS);
  }

  /** A correct password clears this pair (not the address's count across usernames). */
  async succeed(ip: string, username: string): Promise<void> {
    await this.db
      .deleteFrom("login_failures")
      .where("ip", "=", ip)
      .where("username", "=", key(username))
      .execute();
  }

  /** Pairs that wait right now, e.g. for the Users page. */
  async locks(): Promise<LoginLock[]> {
    const rows = await this.db
      .selectFrom("login_failures")
      .selectAll()
      .where("locked_until", ">", this.now())
      .execute();
    return rows.map((r) => ({
      username: r.username,
      ip: r.ip,
      failures: Number(r.failures),
      lockedUntil: Number(r.locked_until),
    }));
  }

  /** Forgets every failure of this username, from every address; returns how many pairs waited. */
  async unlock(username: string): Promise<number> {
    const now = this.now();
    const rows = await this.db
      .deleteFrom("login_failures")
      .where("username", "=", key(username))
      .returning("locked_until")
      .execute();
    return rows.filter((r) => Number(r.locked_until) > now).length;
  }

  async #bump(username: string, ip: string, free: number): Promise<void> {
    const now = this.now();
    const row = await this.db
      .selectFrom("login_failures")
      .select(["failures", "last_at"])
      .where("username", "=", username)
      .where("ip", "=", ip)
      .executeTakeFirst();
    const failures = row && now - Number(row.last_at) < FORGET_MS ? Number(row.failures) + 1 : 1;
    const lockedUntil = failures >= free ? now + delayAfter(failures - free) : 0;
    await this.db
      .insertInto("login_failures")
      .values({ username, ip, failures, last_at: now, locked_until: lockedUntil })
      .onConflict((oc) =>
        oc.columns(["username", "ip"]).doUpdateSet({ failures, last_at: now, locked_until: lockedUntil }),
      )
      .execute();
  }
}

const key = (username: string) => username.trim().toLowerCase();
const delayAfter = (extra: number) => Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(extra, 10));
