import type { EventBus, EventMap } from "../sdk/types.ts";
import { createLogger } from "../log.ts";

const log = createLogger("events");

export interface BusEvent {
  id: number;
  name: string;
  payload: unknown;
}

/**
 * In-process typed event bus. Every emitted event also lands in a small ring buffer so an SSE
 * client reconnecting with Last-Event-ID gets what it missed.
 */
export class TypedBus implements EventBus {
  #handlers = new Map<string, Set<(p: any) => void | Promise<void>>>();
  #any = new Set<(e: BusEvent) => void>();
  #ring: BusEvent[] = [];
  #seq = 0;
  constructor(private readonly ringSize = 500) {}

  on<K extends keyof EventMap>(name: K, handler: (payload: EventMap[K]) => void | Promise<void>): () => void {
    let set = this.#handlers.get(name as string);
    if (!set) this.#handlers.set(name as string, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  emit<K extends keyof EventMap>(name: K, payload: EventMap[K]): void {
    const ev: BusEvent = { id: ++this.#seq, name: name as string, payload };
    this.#ring.push(ev);
    if (this.#ring.length > this.ringSize) this.#ring.shift();
    for (const h of this.#handlers.get(name as string) ?? []) {
      // A failing handler is logged and never breaks the emitter or other handlers.
      try {
        const r = h(payload);
        if (r && typeof (r as Promise<void>).catch === "function")
          (r as Promise<void>).catch((e) =>
            log.error(`handler for ${String(name)} failed`, { error: String(e) }),
          );
      } catch (e) {
        log.error(`handler for ${String(name)} failed`, { error: String(e) });
      }
    }
    for (const l of this.#any) l(ev);
  }

  /** All events, for SSE fan-out. */
  onAny(listener: (e: BusEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  since(lastId: number): BusEvent[] {
    return this.#ring.filter((e) => e.id > lastId);
  }
}
