/** Messages per minute per client address: a runaway loop in one Odoo cannot starve the others. */
export class FloodGate {
  #counts = new Map<string, { minute: number; n: number }>();

  constructor(private readonly perMinute: () => number) {}

  /** Counts one message from `addr`; false when it is over the limit for this minute. */
  take(addr: string, now = Date.now()): boolean {
    const minute = Math.floor(now / 60_000);
    let c = this.#counts.get(addr);
    if (!c || c.minute !== minute) {
      if (this.#counts.size > 10_000) this.#counts.clear(); // bounded whatever the clients
      c = { minute, n: 0 };
      this.#counts.set(addr, c);
    }
    c.n++;
    return c.n <= this.perMinute();
  }
}
