/**
 * Sliding-window limiter for failed sign-ins, per client address and per username, so neither
 * one address guessing many accounts nor many addresses guessing one account gets far.
 */
export class LoginLimiter {
  #failures = new Map<string, number[]>();
  constructor(
    private readonly max = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Milliseconds until the next attempt is allowed, or 0. */
  retryAfter(ip: string, username: string, now = Date.now()): number {
    let wait = 0;
    for (const key of [`ip:${ip}`, `user:${username.toLowerCase()}`]) {
      const list = this.#prune(key, now);
      if (list.length >= this.max) wait = Math.max(wait, list[0] + this.windowMs - now);
    }
    return wait;
  }

  fail(ip: string, username: string, now = Date.now()): void {
    for (const key of [`ip:${ip}`, `user:${username.toLowerCase()}`]) {
      const list = this.#prune(key, now);
      list.push(now);
      this.#failures.set(key, list);
    }
  }

  succeed(ip: string, username: string): void {
    this.#failures.delete(`ip:${ip}`);
    this.#failures.delete(`user:${username.toLowerCase()}`);
  }

  #prune(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length) this.#failures.set(key, list);
    else this.#failures.delete(key);
    return list;
  }
}
