/**
 * Requests per key (a client address) in a fixed window, in memory: enough to keep one stranger
 * from flooding the public routes, forgotten on restart, which costs an attacker nothing new.
 */
export class RateWindow {
  #hits = new Map<string, { start: number; count: number }>();
  constructor(
    public limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; answers 0 when it may go on, else milliseconds until it may. */
  hit(key: string): number {
    const t = this.now();
    const w = this.#hits.get(key);
    if (!w || t - w.start >= this.windowMs) {
      // Old windows go when the map grows, so many addresses cannot grow it without bound.
      if (this.#hits.size > 10_000) this.#forgetOld(t);
      this.#hits.set(key, { start: t, count: 1 });
      return 0;
    }
    w.count++;
    return w.count > this.limit ? w.start + this.windowMs - t : 0;
  }

  #forgetOld(t: number): void {
    for (const [k, w] of this.#hits) if (t - w.start >= this.windowMs) this.#hits.delete(k);
  }
}
